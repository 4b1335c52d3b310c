from __future__ import annotations

import pytest

from assistant.checker import adds_nothing, is_choice, is_yes_no, polarity_agrees


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


def test_an_echo_with_function_words_is_still_an_echo() -> None:
    question = "Ai công bố di chúc được lưu tại tổ chức hành nghề công chứng?"
    assert adds_nothing(
        "Người công bố di chúc được lưu tại tổ chức hành nghề công chứng là người công bố.", question
    )
    assert not adds_nothing("Công chứng viên công bố di chúc [1].", question)


def test_a_choice_question_is_answered_with_its_own_words() -> None:
    question = "Người chiếm hữu ngay tình hay người chiếm hữu không ngay tình thì phải chứng minh?"
    assert is_choice(question) and not is_yes_no(question)
    assert adds_nothing("Người chiếm hữu không ngay tình phải chứng minh [1].", question)
    assert not is_choice("Xã có camera hay không?")


def test_a_sentence_still_asking_is_an_echo() -> None:
    question = "can tho xep hang bao nhieu ve chuyen doi so"
    assert adds_nothing(
        "Nếu Cần Thơ xếp hạng bao nhiêu về chuyển đổi số, thì Cần Thơ xếp hạng bao nhiêu [1].", question
    )
    assert not adds_nothing("Cần Thơ xếp hạng 21/34 về chuyển đổi số [1].", question)
