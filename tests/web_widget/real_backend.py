"""The real app as a test Backend: `web.app.create_app` over a real Library (BM25 over a small generated
corpus), the real answer pipeline and the scripted chat model, served by uvicorn on loopback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.web_widget.backends import MARKUP_IMG, MARKUP_TAG, Expected
from tests.web_widget.server import serve

TRAINING = """# Thông báo tập huấn kỹ năng số cho tổ công nghệ số cộng đồng

Ngày đăng: 15/03/2024

Ủy ban nhân dân Phường An Khánh tổ chức lớp tập huấn kỹ năng số cho các thành viên \
tổ công nghệ số cộng đồng. \
Lớp tập huấn diễn ra tại hội trường phường vào sáng thứ Bảy. \
Học viên được hướng dẫn cài đặt ứng dụng định danh điện tử và nộp hồ sơ trực tuyến.
"""

MARKUP_NOTE = f"""Ghi chú kỹ thuật về mã nhúng trên trang thông tin phường

Ngày đăng: 02/04/2024

Trang cũ từng hiển thị nguyên văn đoạn mã nhúng {MARKUP_IMG} và {MARKUP_TAG} trong mục hướng dẫn. \
Bộ phận kỹ thuật đã gỡ bỏ đoạn mã nhúng này khỏi trang.
"""

OFFICE_HOURS = """Lịch tiếp công dân của bộ phận một cửa

Ngày đăng: 05/01/2024

Bộ phận một cửa của phường tiếp nhận hồ sơ trong giờ hành chính từ thứ Hai đến thứ Sáu. \
Người dân có thể đặt lịch trước qua cổng dịch vụ công để không phải chờ lâu.
"""

AGREEMENTS = """Các thỏa thuận hợp tác của phường An Khánh

Ngày đăng: 20/04/2024

Ngày 10/4/2024, UBND phường An Khánh và Công ty Cổ phần Viễn thông An Phát ký thỏa thuận hợp tác \
hỗ trợ người dân nộp hồ sơ trực tuyến.

Ngày 18/4/2024, UBND phường An Khánh và Trường Đại học Mở ký thỏa thuận hợp tác đào tạo kỹ năng số \
cho người cao tuổi.
"""

CORPUS = {
    "thong-bao/tap-huan.md": TRAINING,
    "ky-thuat/ma-nhung.txt": MARKUP_NOTE,
    "mot-cua/lich-tiep-dan.txt": OFFICE_HOURS,
    "hop-tac/thoa-thuan.txt": AGREEMENTS,
}


class SlowChatModel:
    """The scripted model, paced so a browser can see the answer grow, with its script swappable per test."""

    def __init__(self, delay_s: float) -> None:
        from assistant.llm.scripted import ScriptedChatModel

        self._factory = ScriptedChatModel
        self.delay_s = delay_s
        self.inner = ScriptedChatModel(delay_s=delay_s)

    def reply_with(self, text: str) -> None:
        # A fresh script per scenario: a reply the pipeline did not ask for never leaks into the next test.
        self.inner = self._factory(default=text, delay_s=self.delay_s)

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def in_process(self) -> bool:
        return True

    def stream(
        self, messages: Sequence[Any], *, max_tokens: int, temperature: float = 0.0, stop: Sequence[str] = ()
    ) -> Iterator[str]:
        return self.inner.stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stop)

    def info(self) -> Any:
        return self.inner.info()


@dataclass
class RealBackend:
    base_url: str
    api_key: str
    services: Any
    model: SlowChatModel
    kind: str = "real"

    def script_cited(self) -> Expected:
        # Two sentences: the pipeline streams each sentence once it is checked, so the browser sees the first
        # while the second is still being generated.
        self.model.reply_with(
            "Lớp tập huấn diễn ra tại hội trường phường vào sáng thứ Bảy [1]. "
            "Học viên được hướng dẫn cài đặt ứng dụng định danh điện tử [1]."
        )
        return Expected(
            "Lớp tập huấn diễn ra tại hội trường phường",
            "Thông báo tập huấn kỹ năng số",
            "15/03/2024",
            "hội trường phường",
        )

    def script_refusal(self) -> Expected:
        from assistant.refusal import REFUSAL_TEXT

        # The model says the sources lack the answer (citing one anyway): the pipeline must refuse.
        self.model.reply_with("Tài liệu không có thông tin về lệ phí này [1].")
        return Expected(REFUSAL_TEXT)

    def script_xss(self) -> Expected:
        answer = f"Trang cũ hiển thị đoạn mã nhúng {MARKUP_IMG} và {MARKUP_TAG} [1]."
        self.model.reply_with(answer)
        return Expected(f"mã nhúng {MARKUP_IMG}", "Ghi chú kỹ thuật về mã nhúng", "02/04/2024", MARKUP_IMG)

    def script_list(self) -> Expected:
        # Answered from the document profiles: the model is not called.
        return Expected("Công ty Cổ phần Viễn thông An Phát, ký ngày 10/4/2024", "Các thỏa thuận hợp tác")

    def _rows(self, sql: str) -> list[dict[str, Any]]:
        # Read the server's database directly: what the widget sent is what got stored.
        with closing(sqlite3.connect(self.services.settings.db_path)) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql)]

    def feedback(self) -> list[dict[str, Any]]:
        return self._rows("SELECT answer_id, rating, comment FROM feedback ORDER BY id")

    def conversation_ids(self) -> list[str | None]:
        return [
            row["conversation_id"] for row in self._rows("SELECT conversation_id FROM answers ORDER BY rowid")
        ]


@contextmanager
def real_backend(home: Path, **server: Any) -> Iterator[RealBackend]:
    """Keyword arguments override `ServerSettings` (e.g. `rate_limit_per_minute=1`)."""
    try:
        from assistant.pipeline import AnswerPipeline
        from index.library import Library
        from troly.settings import EmbeddingSettings, RetrievalSettings, ServerSettings, Settings
        from web.app import create_app
        from web.db import Database
        from web.services import Services
    except ImportError as exc:
        pytest.skip(f"the real app is not importable yet: {exc}")

    corpus = home / "corpus"
    for name, text in CORPUS.items():
        path = corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # BM25 only: the dense model adds nothing to what the widget shows and costs the shared CPUs.
    settings = Settings(
        home=home,
        embedding=EmbeddingSettings(backend="none"),
        retrieval=RetrievalSettings(fusion="bm25"),
        server=ServerSettings(**server),
    )
    library = Library.open(settings)
    report = library.ingest([corpus])
    assert not report.failed, report.failed
    model = SlowChatModel(delay_s=0.08)
    db = Database(settings.db_path)
    _, key = db.create_key("tiện ích trang phường")
    services = Services.create(
        settings, db=db, library=library, pipeline=AnswerPipeline(settings, library, model)
    )
    try:
        with serve(create_app(settings, services)) as url:
            yield RealBackend(url, key, services, model)
    finally:
        services.close()
