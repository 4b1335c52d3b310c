from __future__ import annotations

import pytest

from assistant.citations import StaleEvidenceError, align, cited_numbers, finalize, overlap, with_mark
from assistant.evidence import Evidence, select_evidence
from troly.records import Chunk, Document, SearchHit

DOCS = {
    "a.txt": "Xã Hòa An mở 12 điểm hỗ trợ dịch vụ công trực tuyến. Mỗi điểm có 2 đoàn viên trực.",
    "b.txt": "Huyện Tân Phú ký thỏa thuận với VNPT ngày 6/9/2024. Lễ ký diễn ra tại hội trường huyện.",
}
QUESTION = "Xã Hòa An mở bao nhiêu điểm hỗ trợ, và huyện Tân Phú ký thỏa thuận với VNPT ngày nào?"


def documents() -> dict[str, Document]:
    return {k: Document(id=k, title=k, content_hash="0", text=f"Tiêu đề\n\n{v}") for k, v in DOCS.items()}


def evidence_for(question: str = QUESTION) -> Evidence:
    hits = []
    for rank, doc in enumerate(documents().values()):
        start = doc.text.index("\n\n") + 2
        chunk = Chunk(
            id=f"{doc.id}#0", doc_id=doc.id, ordinal=0, text=doc.text[start:], start=start, end=len(doc.text)
        )
        hits.append(SearchHit(chunk=chunk, score=1.0, rank=rank))
    return select_evidence(question, hits, budget_tokens=500)


def test_marks_are_parsed_and_placed_before_final_punctuation() -> None:
    assert cited_numbers("Câu [1] và [2, 3].") == [1, 2, 3]
    assert with_mark("Lễ ký diễn ra tại hội trường.", 2) == "Lễ ký diễn ra tại hội trường [2]."
    assert with_mark("Không có dấu chấm", 1) == "Không có dấu chấm [1]."


def test_alignment_finds_the_source_a_sentence_restates() -> None:
    evidence = evidence_for()
    cited = align("Huyện Tân Phú ký với VNPT ngày 6/9/2024.", evidence, min_overlap=0.25)
    assert cited.source is not None and cited.source.doc_id == "b.txt" and not cited.by_model
    assert cited.quote is not None and cited.quote.text.startswith("Huyện Tân Phú ký")


def test_a_wrong_model_citation_is_replaced_and_a_right_one_kept() -> None:
    evidence = evidence_for()
    numbers = {s.doc_id: s.n for s in evidence.sources}
    wrong = align(f"Xã Hòa An mở 12 điểm hỗ trợ [{numbers['b.txt']}].", evidence, min_overlap=0.25)
    assert wrong.source is not None and wrong.source.doc_id == "a.txt" and not wrong.by_model
    right = align(f"Xã Hòa An mở 12 điểm hỗ trợ [{numbers['a.txt']}].", evidence, min_overlap=0.25)
    assert right.source is not None and right.source.doc_id == "a.txt" and right.by_model


def test_a_sentence_unrelated_to_the_evidence_is_flagged() -> None:
    cited = align("Thời tiết hôm nay rất đẹp.", evidence_for(), min_overlap=0.25)
    assert cited.flagged and cited.quote is None
    assert overlap("Thời tiết hôm nay rất đẹp.", "Huyện Tân Phú ký thỏa thuận.") == 0.0


def test_finalize_numbers_each_passage_and_quotes_the_document_text() -> None:
    evidence = evidence_for()
    sentences = [
        align("Huyện Tân Phú ký với VNPT ngày 6/9/2024.", evidence, min_overlap=0.25),
        align("Xã Hòa An mở 12 điểm hỗ trợ dịch vụ công.", evidence, min_overlap=0.25),
        align("Lễ ký diễn ra tại hội trường huyện Tân Phú.", evidence, min_overlap=0.25),
    ]
    docs = documents()
    text, citations = finalize(sentences, docs.__getitem__)
    assert text == (
        "Huyện Tân Phú ký với VNPT ngày 6/9/2024 [1]. Xã Hòa An mở 12 điểm hỗ trợ dịch vụ công [2]. "
        "Lễ ký diễn ra tại hội trường huyện Tân Phú [3]."
    )
    # Two passages of b.txt: each claim points at its own passage.
    assert [(c.n, c.source) for c in citations] == [(1, "b.txt"), (2, "a.txt"), (3, "b.txt")]
    assert citations[0].start != citations[2].start
    for citation in citations:
        assert citation.quote == docs[citation.source].text[citation.start : citation.end]
        assert citation.chunk_id == f"{citation.source}#0"


def test_a_document_changed_during_the_answer_is_an_error_not_a_wrong_quote() -> None:
    evidence = evidence_for()
    sentences = [align("Huyện Tân Phú ký với VNPT ngày 6/9/2024.", evidence, min_overlap=0.25)]
    docs = documents()
    changed = {
        doc_id: doc.model_copy(update={"text": "Văn bản mới hoàn toàn khác. " + doc.text})
        for doc_id, doc in docs.items()
    }
    with pytest.raises(StaleEvidenceError):
        finalize(sentences, changed.__getitem__)
