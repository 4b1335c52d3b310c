import unicodedata

import pytest

from ingest.vietnamese import fold, has_diacritics, normalize, strip_invisible, syllables


@pytest.mark.parametrize(
    ("new_style", "old_style"),
    [
        ("hoà", "hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("Hoà Bình", "Hòa Bình"),
        ("uỷ ban", "ủy ban"),
        ("HOÀ", "HÒA"),
    ],
)
def test_one_tone_mark_convention(new_style: str, old_style: str) -> None:
    assert normalize(new_style) == normalize(old_style) == old_style


@pytest.mark.parametrize("word", ["quý", "quà", "hoàng", "thuyền", "giữa", "của", "mùa", "toàn"])
def test_words_whose_placement_is_unambiguous_are_unchanged(word: str) -> None:
    assert normalize(word) == word


def test_normalize_composes_nfd_input() -> None:
    decomposed = unicodedata.normalize("NFD", "Cần Thơ")
    assert decomposed != "Cần Thơ"
    assert normalize(decomposed) == "Cần Thơ"


def test_fold_strips_accents_and_d_stroke() -> None:
    assert fold("Cần Thơ xếp hạng 21/34") == "can tho xep hang 21/34"
    assert fold("Đồng Hới, ĐỒNG HỚI") == "dong hoi, dong hoi"


def test_fold_agrees_for_both_tone_conventions() -> None:
    assert fold("hoà") == fold("hòa") == "hoa"


def test_syllables_are_lowercase_word_runs() -> None:
    assert syllables("TP.HCM có 4,2 triệu dân") == ["tp", "hcm", "có", "4", "2", "triệu", "dân"]


def test_has_diacritics() -> None:
    assert not has_diacritics("can tho xep hang bao nhieu")
    assert has_diacritics("Cần Thơ")
    assert has_diacritics("dang ky o dau") is False
    assert has_diacritics("đi")


def test_strip_invisible_leaves_nothing_of_an_invisible_question() -> None:
    invisible = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u202e\u3164\u2800\x07"
    assert strip_invisible(invisible) == ""
    assert strip_invisible(f"\u200bCần\u200b Thơ{invisible}\n xếp hạng?\t") == "Cần Thơ\n xếp hạng?\t"
    # Vietnamese letters, combining marks (NFD) and ordinary spaces are kept as they are.
    nfd = unicodedata.normalize("NFD", "Quảng Trị")
    assert strip_invisible(nfd) == nfd
