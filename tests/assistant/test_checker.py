from __future__ import annotations

import pytest

from assistant.checker import adds_nothing, is_yes_no, polarity_agrees


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Người lao động đơn phương chấm dứt hợp đồng trái pháp luật có được trợ cấp thôi việc không?", True),
        ("Hành vi đó có phải là tội phạm không?", True),
        ("co duoc chia thua ke di san cho viec tho cung khong", True),
        ("Xã có bao nhiêu camera không đạt chuẩn?", False),
        ("Ai là Chủ tịch UBND xã?", False),
    ],
)
def test_yes_no_questions(question: str, expected: bool) -> None:
    assert is_yes_no(question) is expected


def test_a_yes_no_answer_restating_the_question_is_an_answer() -> None:
    question = "Người lao động có được trợ cấp thôi việc không?"
    answer = "Người lao động không được trợ cấp thôi việc [1]."
    assert adds_nothing(answer, question)  # every word is the question's: without the polarity, an echo
    assert is_yes_no(question)


def test_the_answer_keeps_the_polarity_of_its_source() -> None:
    negative = "thì phần di sản đó không được chia thừa kế và được giao cho người quản lý"
    assert polarity_agrees("Không được chia thừa kế phần di sản thờ cúng [1].", negative)
    assert not polarity_agrees("Có được chia thừa kế phần di sản thờ cúng [1].", negative)
    assert not polarity_agrees(
        "Người lao động không được trợ cấp [1].", "Người lao động được trợ cấp thôi việc."
    )
    assert polarity_agrees(
        "Người lao động được trợ cấp thôi việc [1].", "Người lao động được trợ cấp thôi việc."
    )
