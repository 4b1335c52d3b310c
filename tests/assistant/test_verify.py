from __future__ import annotations

import pytest

from assistant.verify import (
    canonical_number,
    claims,
    novel_words,
    number_forms,
    numbers_as_written,
    unsupported_claims,
)
from ingest.vietnamese import capitalised_names

EVIDENCE = (
    "Chiều ngày 6/9, UBND TP. Hồ Chí Minh và VNPT ký thỏa thuận giai đoạn 2025 - 2030. "
    "Dân số đạt 4,2 triệu người, có 1.320 camera. Ngày 02/08/2018 ông Trần Văn Lâu phát biểu."
)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("1.320", "1320"), ("1,320", "1320"), ("4,2", "4.2"), ("06/09", "6/9"), ("9-9", "9/9"), ("007", "7")],
)
def test_canonical_numbers(raw: str, canonical: str) -> None:
    assert canonical_number(raw) == canonical


def test_date_words_become_numbers() -> None:
    assert {"2/8/2018", "6/9"} <= number_forms("ngày 2 tháng 8 năm 2018 và ngày 6 tháng 9")


@pytest.mark.parametrize(
    "sentence",
    [
        "Lễ ký diễn ra ngày 06/09 [1].",
        "Giai đoạn 2025-2030.",
        "Dân số 4.2 triệu người và 1320 camera.",
        "Ông phát biểu ngày 2 tháng 8 năm 2018.",
        "Ông Trần Văn Lâu phát biểu tại UBND TP Hồ Chí Minh.",
    ],
)
def test_supported_claims(sentence: str) -> None:
    assert unsupported_claims(sentence, EVIDENCE) == []


@pytest.mark.parametrize(
    ("sentence", "missing"),
    [
        ("Lễ ký diễn ra ngày 9/6/2022.", ["9/6/2022"]),
        ("Dân số đạt 4,5 triệu người.", ["4.5"]),
        ("Ông Nguyễn Văn An phát biểu.", ["Ông Nguyễn Văn An"]),
        ("Ngày 3/8/2018 VNPT ký thỏa thuận.", ["3/8/2018"]),
    ],
)
def test_unsupported_claims(sentence: str, missing: list[str]) -> None:
    assert unsupported_claims(sentence, EVIDENCE) == missing


def test_claims_the_question_supplies_are_supported() -> None:
    assert unsupported_claims("Năm 2022 VNPT ký thỏa thuận.", EVIDENCE, question="Năm 2022 có gì?") == []


def test_names_are_capitalised_runs_of_two_or_more_words() -> None:
    assert capitalised_names("Giai đoạn mới, ông Lê Văn Minh và UBND TP Cần Thơ. Hà Nội") == [
        "Lê Văn Minh",
        "UBND TP Cần Thơ",
        "Hà Nội",
    ]
    assert [c.kind for c in claims("Ông Lê Văn Minh ký 12 văn bản [2].")] == ["number", "name"]


OPENING = (
    "Ngày 5/4/2024, xã Hòa Bình khai trương điểm phục vụ dịch vụ công tại nhà văn hóa thôn Đông. "
    "Bà Trần Thị Lan phụ trách điểm phục vụ của xã."
)


def test_a_made_up_predicate_in_plain_words_is_unsupported() -> None:
    # No number, no name: the claim is the words "đóng cửa vĩnh viễn", which the source never uses. Folded,
    # "đóng" and "cửa" would pass as "Đông" and "của": words are compared with their diacritics.
    sentence = "Điểm phục vụ của xã Hòa Bình đã đóng cửa vĩnh viễn [1]."
    assert unsupported_claims(sentence, OPENING) == ["đóng cửa vĩnh viễn"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Bà Trần Thị Lan phụ trách điểm phục vụ [1].",  # copied
        "Điểm phục vụ dịch vụ công được khai trương tại nhà văn hóa thôn Đông [1].",  # two new words
        "Ba Tran Thi Lan phu trach diem phuc vu.",  # typed without diacritics: compared folded
    ],
)
def test_restating_the_source_adds_no_claim(sentence: str) -> None:
    assert novel_words(sentence, OPENING) is None


def test_new_words_must_be_several_and_a_fair_share() -> None:
    long = "Điểm phục vụ dịch vụ công tại nhà văn hóa thôn Đông của xã Hòa Bình mở cửa sớm hơn [1]."
    assert novel_words(long, OPENING) is None  # 3 new of 14 content words: under the 0.3 share
    assert novel_words("Xã Hòa Bình mở cửa sớm hơn [1].", OPENING) == "mở cửa sớm hơn"


def test_numbers_are_shown_as_the_source_writes_them() -> None:
    source = "thì bị phạt tù từ 01 năm đến 05 năm; có 1.320 camera; ngày 02/08/2018; 3 hoặc 03 lần."
    assert (
        numbers_as_written("Phạt tù từ 1 năm đến 5 năm [1].", source) == "Phạt tù từ 01 năm đến 05 năm [1]."
    )
    assert numbers_as_written("Có 1320 camera, ngày 2/8/2018.", source) == "Có 1.320 camera, ngày 02/08/2018."
    assert numbers_as_written("Bị xử lý 3 lần.", source) == "Bị xử lý 3 lần."  # written two ways: left as is
