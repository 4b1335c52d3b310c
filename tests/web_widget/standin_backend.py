"""The stand-in API as a test Backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.web_widget.backends import DEMO_KEY, XSS_IMG, XSS_SCRIPT, Expected
from tests.web_widget.standin import ScriptedReply, StandInApi

CITATION: dict[str, Any] = {
    "n": 1,
    "source": "thong-bao/tap-huan.txt",
    "chunk_id": "thong-bao/tap-huan.txt#0",
    "quote": "Lớp tập huấn kỹ năng số cho tổ công nghệ số cộng đồng diễn ra tại hội trường phường.",
    "start": 0,
    "end": 84,
    "title": "Thông báo tập huấn kỹ năng số",
    "date": "2024-03-15",
}


@dataclass
class StandInBackend:
    api: StandInApi
    base_url: str
    kind: str = "standin"

    @property
    def api_key(self) -> str:
        return self.api.api_key

    def script(self, reply: ScriptedReply) -> None:
        self.api.replies.append(reply)

    def script_cited(self) -> Expected:
        tokens = ["Lớp tập huấn ", "diễn ra tại ", "hội trường ", "phường."]
        # The passage shown first is another sentence of the cited document: the citation replaces it.
        evidence = {k: CITATION[k] for k in ("source", "chunk_id", "title", "date")}
        evidence.update(quote="Ủy ban nhân dân phường tổ chức lớp tập huấn kỹ năng số.", start=90, end=145)
        self.script(
            ScriptedReply(
                tokens=tokens,
                answer="".join(tokens) + " [1]",
                citations=[CITATION],
                delay_s=0.15,
                evidence=evidence,
            )
        )
        return Expected(
            "Lớp tập huấn diễn ra tại hội trường phường.", CITATION["title"], "15/03/2024", "hội trường"
        )

    def script_refusal(self) -> Expected:
        text = "Tài liệu hiện có không đủ thông tin để trả lời câu hỏi này."
        self.script(ScriptedReply(tokens=["Mức phí là 50.000 đồng."], answer=text, refused=True))
        return Expected(text)

    def script_xss(self) -> Expected:
        quote = f"Văn bản có đoạn {XSS_IMG} và {XSS_SCRIPT} giữ nguyên."
        citation = dict(CITATION, quote=quote, title=f"Tiêu đề {XSS_IMG}")
        answer = f"Trả lời {XSS_IMG} {XSS_SCRIPT} [1]"
        self.script(ScriptedReply(tokens=[answer], answer=answer, citations=[citation]))
        return Expected(f"Trả lời {XSS_IMG} {XSS_SCRIPT}", f"Tiêu đề {XSS_IMG}", "15/03/2024", XSS_IMG)

    def script_list(self) -> Expected:
        second = dict(CITATION, n=2, start=90, end=120, quote="Ngày 18/4/2024 ký với Trường Đại học Mở.")
        answer = "Các thỏa thuận trong tài liệu:\n- Công ty An Phát, ký ngày 10/4/2024 [1].\n- Trường Đại học Mở [2]."
        self.script(ScriptedReply(tokens=[answer], answer=answer, citations=[CITATION, second]))
        return Expected("Công ty An Phát, ký ngày 10/4/2024", CITATION["title"])

    def feedback(self) -> list[dict[str, Any]]:
        return list(self.api.feedback)

    def conversation_ids(self) -> list[str | None]:
        return list(self.api.answer_conversations)


def new_standin() -> StandInApi:
    return StandInApi(api_key=DEMO_KEY)
