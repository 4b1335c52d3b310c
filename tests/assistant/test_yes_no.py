"""Yes/no answers: the polarity is the answer, so it is checked against the sentence that states it."""

from __future__ import annotations

from pathlib import Path

from assistant.llm.scripted import ScriptedChatModel
from assistant.pipeline import AnswerPipeline
from tests.assistant.test_pipeline import FakeRetriever
from troly.records import Document
from troly.settings import Settings

# An article whose title names the topic and whose clause says "không được": restating the question aligns
# with the title best, but only the clause holds the answer.
ARTICLE = (
    "Quyền lợi của học viên tự ý bỏ khóa đào tạo trước thời hạn\n\n"
    "1. Không được hoàn trả học phí đã đóng.\n\n"
    "2. Phải bồi thường chi phí tài liệu đã nhận theo quy định của cơ sở đào tạo."
)
QUESTION = "Học viên tự ý bỏ khóa đào tạo trước thời hạn có được hoàn trả học phí không?"


def _pipeline(tmp_path: Path, reply: str) -> AnswerPipeline:
    doc = Document(id="hoc-vien.txt", title="Quy chế đào tạo", content_hash="0", text=ARTICLE)
    return AnswerPipeline(Settings(home=tmp_path), FakeRetriever([doc]), ScriptedChatModel([reply]))


def test_negative_answer_is_cited_to_the_negating_clause(tmp_path: Path) -> None:
    reply = "Học viên tự ý bỏ khóa đào tạo trước thời hạn không được hoàn trả học phí."
    answer = _pipeline(tmp_path, reply).answer(QUESTION)
    assert not answer.refused, answer.unsupported
    assert "không được hoàn trả học phí" in answer.text
    assert [c.quote for c in answer.citations] == ["Không được hoàn trả học phí đã đóng."]


def test_positive_answer_against_a_negating_source_is_dropped(tmp_path: Path) -> None:
    reply = "Học viên tự ý bỏ khóa đào tạo trước thời hạn được hoàn trả học phí."
    answer = _pipeline(tmp_path, reply).answer(QUESTION)
    assert answer.refused
    assert answer.citations == []
    assert any("ngược nghĩa với nguồn" in u for u in answer.unsupported)
