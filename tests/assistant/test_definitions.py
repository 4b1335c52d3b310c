"""Definition questions: the term is what is asked, and the sentence that defines it answers whole."""

from __future__ import annotations

import pytest

from assistant.evidence import select_evidence
from assistant.focus import defines_term, definition_term, definitions_first
from tests.assistant.test_evidence import hit


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("Lợi tức là gì?", "loi tuc"),
        ("Theo Bộ luật Dân sự 2015, lợi tức được hiểu như thế nào?", "loi tuc"),
        ("Định nghĩa hoa lợi theo Bộ luật Dân sự?", "hoa loi"),
        ("thế nào là hộ gia đình", "ho gia dinh"),
        ("Lợi tức được tính thế nào?", None),
    ],
)
def test_the_term_leaves_out_where_to_look(question: str, term: str | None) -> None:
    assert definition_term(question) == term


def test_a_point_or_sentence_that_defines_the_term() -> None:
    assert defines_term("Hoa lợi, lợi tức\n\n2. Lợi tức là khoản lợi thu được.", "loi tuc")
    assert not defines_term("Người hưởng lợi tức từ tài sản phải nộp thuế.", "loi tuc")


def test_the_defining_document_alone_is_read() -> None:
    hits = [
        hit("giai-thich.txt", "Trong Bộ luật này, các từ ngữ dưới đây được hiểu như sau:", rank=0),
        hit("phap-nhan.txt", "Lợi tức của pháp nhân được chia theo điều lệ.", rank=1),
        hit("hoa-loi.txt", "Hoa lợi, lợi tức\n\n2. Lợi tức là khoản lợi thu được từ tài sản.", rank=2),
    ]
    question = "Theo Bộ luật Dân sự, lợi tức được hiểu như thế nào?"
    kept = definitions_first(question, hits)
    assert [h.chunk.doc_id for h in kept] == ["hoa-loi.txt"]
    assert definitions_first("Lợi tức được chia thế nào?", hits) == hits
    # The question's other words ("Theo Bộ luật Dân sự … được hiểu như thế nào") are not asked of the evidence.
    evidence = select_evidence(question, kept, budget_tokens=200)
    assert evidence.support == 1.0
    assert evidence.best is not None and evidence.best.text.endswith("khoản lợi thu được từ tài sản.")
