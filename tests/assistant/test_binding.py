"""Binding checks: a fact must belong to the subject, person and unit it is cited from."""

from __future__ import annotations

import pytest

from assistant.binding import CitedUnit, binding_problems, misattributed
from ingest.profile import build_profile
from troly.records import Document

QUANG_NINH = (
    "Ngày 10/4/2024, UBND tỉnh Quảng Ninh và Tập đoàn VNPT ký thỏa thuận hợp tác chuyển đổi số.\n\n"
    "Phát biểu tại buổi lễ, ông Vũ Minh Đức, Phó chủ tịch UBND tỉnh Quảng Ninh đề nghị hỗ trợ nhân lực.\n\n"
    "Dịp này, VNPT trao tặng tỉnh Quảng Ninh 500 triệu đồng cho quỹ khuyến học.\n\n"
    "Về hạ tầng số, VNPT sẽ phủ sóng 5G tại 30 xã."
)
STATUTE = (
    "Tội làm giả hồ sơ hành chính\n\n"
    "1. Người nào làm giả hồ sơ hành chính thì bị phạt tiền từ 10.000.000 đồng đến 50.000.000 đồng.\n\n"
    "2. Phạm tội thuộc một trong các trường hợp sau đây, thì bị phạt tù từ 01 năm đến 03 năm:\n\n"
    "a) Có tổ chức;\n\n"
    "b) Tái phạm nguy hiểm.\n\n"
    "3. Người phạm tội còn có thể bị cấm đảm nhiệm chức vụ từ 01 năm đến 05 năm."
)


def _cited(text: str, quote: str) -> CitedUnit:
    document = Document(id="d.txt", title="d", date="2024-04-11", content_hash="0", text=text)
    start = text.index(quote)
    return CitedUnit(build_profile(document), text, start, start + len(quote))


def test_a_place_the_cited_document_is_not_about_is_unbound() -> None:
    cited = _cited(QUANG_NINH, "Dịp này, VNPT trao tặng tỉnh Quảng Ninh 500 triệu đồng cho quỹ khuyến học.")
    sentence = "VNPT trao tặng TP.HCM 500 triệu đồng cho quỹ khuyến học [1]."
    assert binding_problems(sentence, cited, "VNPT trao tặng TP.HCM bao nhiêu?", cited.unit_text()) == [
        "TP.HCM"
    ]
    assert misattributed(sentence, cited) == ["TP.HCM"]
    right = "VNPT trao tặng tỉnh Quảng Ninh 500 triệu đồng [1]."
    assert binding_problems(right, cited, "", cited.unit_text()) == [] and misattributed(right, cited) == []


def test_a_number_from_another_unit_of_the_same_document_is_unbound() -> None:
    cited = _cited(QUANG_NINH, "Về hạ tầng số, VNPT sẽ phủ sóng 5G tại 30 xã.")
    sentence = "VNPT sẽ phủ sóng 5G tại 500 xã [1]."
    assert binding_problems(sentence, cited, "", QUANG_NINH) == ["500"]


def test_a_person_with_another_title_is_unbound() -> None:
    cited = _cited(
        QUANG_NINH,
        "Phát biểu tại buổi lễ, ông Vũ Minh Đức, Phó chủ tịch UBND tỉnh Quảng Ninh đề nghị hỗ trợ nhân lực.",
    )
    wrong = "Ông Vũ Minh Đức, Chủ tịch UBND tỉnh Quảng Ninh, đề nghị hỗ trợ nhân lực [1]."
    assert binding_problems(wrong, cited, "", cited.unit_text()) == [
        "Vũ Minh Đức, Chủ tịch UBND tỉnh Quảng Ninh"
    ]
    right = "Ông Vũ Minh Đức, Phó chủ tịch UBND tỉnh Quảng Ninh, đề nghị hỗ trợ nhân lực [1]."
    assert binding_problems(right, cited, "", cited.unit_text()) == []


def test_a_name_is_not_supported_by_the_question() -> None:
    cited = _cited(QUANG_NINH, "Về hạ tầng số, VNPT sẽ phủ sóng 5G tại 30 xã.")
    sentence = "Ông Trần Quốc Bảo cho biết VNPT sẽ phủ sóng 5G tại 30 xã [1]."
    assert "Trần Quốc Bảo" in binding_problems(
        sentence, cited, "Ông Trần Quốc Bảo nói gì về 5G?", cited.unit_text()
    )


@pytest.mark.parametrize(
    ("quote", "sentence", "problems"),
    [
        # The point's condition and its clause's penalty go together.
        ("b) Tái phạm nguy hiểm.", "Tái phạm nguy hiểm thì bị phạt tù từ 01 năm đến 03 năm [1].", []),
        # The penalty of the next clause is not this point's.
        (
            "b) Tái phạm nguy hiểm.",
            "Tái phạm nguy hiểm thì bị cấm đảm nhiệm chức vụ từ 01 năm đến 05 năm [1].",
            ["5"],
        ),
    ],
)
def test_a_point_binds_to_its_clause(quote: str, sentence: str, problems: list[str]) -> None:
    cited = _cited(STATUTE, quote)
    assert binding_problems(sentence, cited, "", STATUTE) == problems
