from __future__ import annotations

import pytest

from assistant.verify import canonical_number, capitalised_names, claims, number_forms, unsupported_claims

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
        ("Ngày 3/8/2018 hai bên ký kết.", ["3/8/2018"]),
    ],
)
def test_unsupported_claims(sentence: str, missing: list[str]) -> None:
    assert unsupported_claims(sentence, EVIDENCE) == missing


def test_claims_the_question_supplies_are_supported() -> None:
    assert unsupported_claims("Năm 2022 hai bên ký kết.", EVIDENCE, question="Năm 2022 có gì?") == []


def test_names_are_capitalised_runs_of_two_or_more_words() -> None:
    assert capitalised_names("Giai đoạn mới, ông Lê Văn Minh và UBND TP Cần Thơ. Hà Nội") == [
        "Lê Văn Minh",
        "UBND TP Cần Thơ",
        "Hà Nội",
    ]
    assert [c.kind for c in claims("Ông Lê Văn Minh ký 12 văn bản [2].")] == ["number", "name"]
