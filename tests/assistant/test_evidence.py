from __future__ import annotations

from assistant.evidence import (
    Terms,
    coverage,
    estimate_tokens,
    expects_number,
    match_terms,
    select_evidence,
    split_sentences,
)
from troly.records import Chunk, SearchHit

TEXT = (
    "Ngày 6/9, UBND TP. Hồ Chí Minh và VNPT ký thỏa thuận hợp tác. "
    "Lễ ký kết diễn ra tại hội trường thành phố!\n"
    "Theo thỏa thuận, VNPT hỗ trợ xây dựng kho dữ liệu dùng chung. Tổng vốn là 1.320 tỷ đồng?"
)


def hit(doc_id: str, text: str, rank: int = 0, offset: int = 0) -> SearchHit:
    chunk = Chunk(
        id=f"{doc_id}#0",
        doc_id=doc_id,
        ordinal=0,
        text=text,
        start=offset,
        end=offset + len(text),
        title=doc_id,
    )
    return SearchHit(chunk=chunk, score=1.0 - rank / 10, rank=rank)


def test_sentences_carry_exact_offsets_and_keep_abbreviations() -> None:
    spans = split_sentences(TEXT, offset=100)
    assert [s.text for s in spans] == [
        "Ngày 6/9, UBND TP. Hồ Chí Minh và VNPT ký thỏa thuận hợp tác.",
        "Lễ ký kết diễn ra tại hội trường thành phố!",
        "Theo thỏa thuận, VNPT hỗ trợ xây dựng kho dữ liệu dùng chung.",
        "Tổng vốn là 1.320 tỷ đồng?",
    ]
    for span in spans:
        assert TEXT[span.start - 100 : span.end - 100] == span.text


def test_unaccented_question_matches_accented_text() -> None:
    terms = Terms.of("vnpt ho tro xay dung kho du lieu")
    match = match_terms(terms, "Theo thỏa thuận, VNPT hỗ trợ xây dựng kho dữ liệu dùng chung.")
    assert coverage(terms, [match]) == 1.0
    unrelated = match_terms(terms, "Lễ ký kết diễn ra tại hội trường thành phố!")
    assert coverage(terms, [unrelated]) == 0.0


def test_syllables_of_other_words_do_not_count_as_the_word() -> None:
    terms = Terms.of("Thủ tục đăng ký khai sinh cần giấy tờ gì?")
    near_miss = match_terms(terms, "Xã triển khai đăng ký phát sinh nhiều thủ tục.")
    exact = match_terms(terms, "Thủ tục đăng ký khai sinh cần giấy tờ tùy thân.")
    assert coverage(terms, [near_miss]) < 0.5 < coverage(terms, [exact])


def test_selection_respects_budget_groups_by_source_and_ranks_best_first() -> None:
    other = "Huyện Tân Phú mở 12 điểm hỗ trợ dịch vụ công. Xã có 40 cán bộ. Thời tiết hôm nay đẹp."
    hits = [hit("a.txt", TEXT, 0), hit("b.txt", other, 1, offset=50)]
    evidence = select_evidence("Huyện Tân Phú mở bao nhiêu điểm hỗ trợ dịch vụ công?", hits, budget_tokens=40)
    assert evidence.sources[0].doc_id == "b.txt" and evidence.sources[0].n == 1
    chosen = [s for _, s in evidence.sentences()]
    assert sum(estimate_tokens(s.text) for s in chosen) <= 40
    assert evidence.best is not None and evidence.best.text.startswith("Huyện Tân Phú mở 12")
    assert evidence.best.start == 50 and evidence.support > 0.8


def test_number_question_needs_a_sentence_with_a_new_number() -> None:
    assert expects_number("Dân số là bao nhiêu?") and expects_number("ky ket vao ngay nao")
    assert not expects_number("Ai chủ trì hội nghị?")
    hits = [hit("a.txt", "VNPT cam kết đầu tư hạ tầng 5G cho tỉnh Quảng Trị. Hai bên ký thỏa thuận hợp tác.")]
    asked_amount = select_evidence(
        "VNPT cam kết đầu tư bao nhiêu tiền cho hạ tầng 5G?", hits, budget_tokens=200
    )
    asked_what = select_evidence("VNPT cam kết đầu tư gì cho hạ tầng?", hits, budget_tokens=200)
    assert asked_amount.support == 0.0 < asked_what.support


def test_documents_without_the_named_entity_rank_lower() -> None:
    hits = [
        hit("can-tho.txt", "Theo thỏa thuận, nội dung hợp tác gồm hạ tầng số và xã hội số của TP Cần Thơ."),
        hit("quang-tri.txt", "Tỉnh Quảng Trị: xã hội số gồm giáo dục thông minh và y tế số.", 1),
    ]
    evidence = select_evidence(
        "Trong thỏa thuận với Quảng Trị, xã hội số gồm nội dung nào?", hits, budget_tokens=25
    )
    assert [s.doc_id for s in evidence.sources] == ["quang-tri.txt"]


def test_no_hits_means_empty_evidence() -> None:
    evidence = select_evidence("Câu hỏi bất kỳ?", [], budget_tokens=100)
    assert evidence.empty and evidence.support == 0.0
