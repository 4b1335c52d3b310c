from __future__ import annotations

from assistant.support import moved_from_elsewhere, specific_terms
from index.text import document_frequencies

TEXTS = [
    "Lễ ký kết thỏa thuận giữa tỉnh A và VNPT. Dịp này VNPT trao tặng tỉnh 1 tỉ đồng.",
    "Lễ ký kết thỏa thuận giữa tỉnh B và VNPT về hạ tầng số, tăng cường kết nối.",
    "Lễ ký kết thỏa thuận giữa tỉnh C và VNPT. Kinh tế số chiếm 25% GRDP.",
    "Lễ ký kết thỏa thuận giữa tỉnh D và VNPT, thanh toán không dùng tiền mặt.",
]


def test_specific_terms_keep_their_diacritics() -> None:
    terms = document_frequencies(TEXTS)
    found = specific_terms("VNPT đã trao tặng tỉnh B bao nhiêu tiền tại lễ ký kết?", frozenset({"b"}), terms)
    # "tặng" is not "tầng" (hạ tầng) nor "tăng"; "lễ ký kết" is in every document, so it is not specific.
    assert {"trao", "tặng", "tiền"} <= found and "lễ" not in found and "ký" not in found
    # Typed without accents, "tang" counts every document with "tặng", "tầng" or "tăng".
    assert terms.exact["tặng"] == 1 and terms.folded["tang"] == 2
    assert "trao" in specific_terms("vnpt da trao tang tinh b bao nhieu tien", frozenset({"b"}), terms)


def test_a_fact_only_another_subject_holds_is_moved() -> None:
    terms = specific_terms(
        "VNPT đã trao tặng tỉnh B bao nhiêu tiền?", frozenset({"b"}), document_frequencies(TEXTS)
    )
    assert moved_from_elsewhere(terms, in_scope=[TEXTS[1]], elsewhere=[TEXTS[0], TEXTS[2]])
    assert not moved_from_elsewhere(terms, in_scope=[TEXTS[0]], elsewhere=[TEXTS[1]])
