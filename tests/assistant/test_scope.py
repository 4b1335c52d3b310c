from __future__ import annotations

import pytest

from assistant.question import analyse
from assistant.scope import plan_scope
from ingest.profile import build_profile
from troly.records import Document, DocumentProfile


def _doc(doc_id: str, text: str) -> Document:
    return Document(id=doc_id, title=doc_id, date="2024-05-15", content_hash="0", text=text)


@pytest.fixture(scope="module")
def profiles() -> list[DocumentProfile]:
    docs = [
        _doc(
            "lang-son.txt",
            "Ngày 14/5/2024, UBND tỉnh Lạng Sơn và Tập đoàn VNPT ký thỏa thuận hợp tác giai đoạn 2024 - 2028.",
        ),
        _doc(
            "cao-bang.txt",
            "Ngày 2/6/2024, UBND tỉnh Cao Bằng và Tập đoàn VNPT ký thỏa thuận hợp tác giai đoạn 2024 - 2030. "
            "Tỉnh học tập kinh nghiệm của Lạng Sơn.",
        ),
    ]
    return [build_profile(d) for d in docs]


def test_a_place_is_answered_from_the_documents_about_it(profiles: list[DocumentProfile]) -> None:
    scope = plan_scope(analyse("VNPT cam kết gì với Lạng Sơn?", profiles), profiles)
    # Cao Bằng's article names Lạng Sơn too, but is not about it.
    assert [p.doc_ids for p in scope.parts] == [frozenset({"lang-son.txt"})] and scope.missing == ()


def test_a_place_no_document_names_is_missing(profiles: list[DocumentProfile]) -> None:
    scope = plan_scope(analyse("vnpt cam ket gi voi tinh binh duong", profiles), profiles)
    assert not scope.answerable and scope.missing == ("tỉnh Bình Dương (nay thuộc TP. Hồ Chí Minh)",)


def test_several_places_become_parts(profiles: list[DocumentProfile]) -> None:
    question = "Các thỏa thuận của VNPT với Lạng Sơn và với Cao Bằng lần lượt có giai đoạn nào?"
    scope = plan_scope(analyse(question, profiles), profiles)
    assert [(p.label, p.doc_ids) for p in scope.parts] == [
        ("tỉnh Lạng Sơn", frozenset({"lang-son.txt"})),
        ("tỉnh Cao Bằng", frozenset({"cao-bang.txt"})),
    ]
    assert scope.parts[0].question == "Các thỏa thuận của VNPT với Lạng Sơn có giai đoạn nào?"
    assert scope.parts[1].question == "Các thỏa thuận của VNPT với Cao Bằng có giai đoạn nào?"


def test_one_known_and_one_unknown_place(profiles: list[DocumentProfile]) -> None:
    scope = plan_scope(analyse("So sánh thỏa thuận của Lạng Sơn và Nghệ An", profiles), profiles)
    assert [p.doc_ids for p in scope.parts] == [frozenset({"lang-son.txt"})]
    assert scope.missing == ("tỉnh Nghệ An",)


def test_an_unknown_person_is_missing(profiles: list[DocumentProfile]) -> None:
    scope = plan_scope(analyse("Ông Lò Văn Bình phát biểu gì?", profiles), profiles)
    assert not scope.answerable and scope.missing == ("Lò Văn Bình",)


def test_no_subject_means_no_restriction(profiles: list[DocumentProfile]) -> None:
    scope = plan_scope(analyse("Thỏa thuận nào có giai đoạn dài nhất?", profiles), profiles)
    assert [p.doc_ids for p in scope.parts] == [None]
