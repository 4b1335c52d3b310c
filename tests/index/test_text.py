from __future__ import annotations

from index.text import FOLDED_PREFIX, document_tokens, exact_tokens, folded_tokens, query_tokens


def test_exact_tokens_are_syllables_then_bigrams() -> None:
    assert exact_tokens("Cần Thơ xếp hạng") == ["cần", "thơ", "xếp", "hạng", "cần_thơ", "thơ_xếp", "xếp_hạng"]


def test_folded_tokens_drop_accents_and_d_stroke_in_their_own_namespace() -> None:
    expected = [f"{FOLDED_PREFIX}{t}" for t in ("dong", "hoi", "dong_hoi")]
    assert folded_tokens("Đồng Hới") == expected


def test_document_tokens_hold_both_copies() -> None:
    tokens = document_tokens("hoà bình")
    # normalize() puts the tone mark in one place, so "hoà" and "hòa" index the same token.
    assert tokens == document_tokens("hòa bình")
    assert "hòa" in tokens and "~hoa" in tokens and "~hoa_binh" in tokens


def test_unaccented_query_gets_only_folded_tokens() -> None:
    query = query_tokens("can tho xep hang bao nhieu")
    assert not query.accented
    assert query.exact == []
    assert "~can_tho" in query.folded and "~xep_hang" in query.folded


def test_accented_query_keeps_exact_and_folded_tokens_without_duplicates() -> None:
    query = query_tokens("Cần Thơ, Cần Thơ")
    assert query.accented
    assert query.exact == ["cần", "thơ", "cần_thơ", "thơ_cần"]
    assert query.folded == ["~can", "~tho", "~can_tho", "~tho_can"]
