from __future__ import annotations

import pytest

from ingest.people import find_people, find_titles, same_person


def _pairs(text: str) -> list[tuple[str, str | None]]:
    return [(p.name, p.title.text if p.title else None) for p in find_people(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Phát biểu tại buổi lễ, ông Lê Văn Minh, Phó chủ tịch UBND xã Hòa An cho biết xã còn khó khăn.",
            [("Lê Văn Minh", "Phó chủ tịch UBND xã Hòa An")],
        ),
        (
            "Tại hội nghị, Giám đốc Sở Khoa học và Công nghệ tỉnh Đồng Nai Nguyễn Thị Hạnh nhấn mạnh vai trò dữ liệu.",
            [("Nguyễn Thị Hạnh", "Giám đốc Sở Khoa học và Công nghệ tỉnh Đồng Nai")],
        ),
        (
            "Tổng giám đốc VNPT - ông Trần Quốc Bảo khẳng định sẽ hỗ trợ.",
            [("Trần Quốc Bảo", "Tổng giám đốc VNPT")],
        ),
        (
            "Chủ tịch UBND TP. Hồ Chí Minh Phạm Văn Nam đánh giá cao sự hợp tác.",
            [("Phạm Văn Nam", "Chủ tịch UBND TP. Hồ Chí Minh")],
        ),
        ("Bà Đỗ Thu Hà cho biết hồ sơ đã đủ.", [("Đỗ Thu Hà", None)]),
    ],
)
def test_people_and_the_titles_the_text_gives_them(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert _pairs(text) == expected


def test_a_city_name_is_not_taken_for_a_person() -> None:
    # "Hồ" is a family name, but "Hồ Chí Minh" after "TP." is the city.
    assert _pairs("Đại diện UBND TP. Hồ Chí Minh phát biểu.") == []


def test_a_deputy_is_never_the_chair() -> None:
    (title,) = find_titles("ông Hoàng Văn Tư, Phó chủ tịch UBND tỉnh Nghệ An cho biết")
    assert title.role == "Phó chủ tịch" and title.organisation == "UBND tỉnh Nghệ An"


def test_two_titles_joined_by_va_stay_apart() -> None:
    titles = find_titles("Chủ tịch UBND tỉnh Lạng Sơn và Chủ tịch Hội đồng thành viên VNPT bắt tay.")
    assert [t.text for t in titles] == ["Chủ tịch UBND tỉnh Lạng Sơn", "Chủ tịch Hội đồng thành viên VNPT"]


def test_names_compare_without_diacritics() -> None:
    assert same_person("Trần Văn Lâu", "tran van lau") and not same_person("Trần Văn Lâu", "Trần Văn Lân")
