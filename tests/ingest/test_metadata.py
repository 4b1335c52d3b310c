from __future__ import annotations

import pytest

from ingest.metadata import find_date, find_title, parse_date

LONG = (
    "Ủy ban nhân dân tỉnh và doanh nghiệp đã ký kết thỏa thuận hợp tác về chuyển đổi số trong nhiều năm tới."
)


@pytest.mark.parametrize(
    ("paragraphs", "marker", "expected"),
    [
        ([LONG], "2025-09-09", "2025-09-09"),
        ([LONG], "2022-09", "2022-09"),
        (["Tiêu đề bài", "29/10/2025 15:11 GMT+7", LONG], None, "2025-10-29"),
        (["Tiêu đề bài", "08:01, 13/08/2018", LONG], None, "2018-08-13"),
        (["Tiêu đề bài", "Ngày đăng: 05/03/2024", LONG], None, "2024-03-05"),
        (["Tiêu đề bài", "Cập nhật ngày 9 tháng 9 năm 2025", LONG], None, "2025-09-09"),
        # A date in the body is an event date, not the publication date.
        (["Tiêu đề bài", LONG, "Hai bên ký kết ngày 02/08/2018.", "12/12/2019"], None, None),
        (["Tiêu đề", "30 Jan, 10:51 PM", LONG], None, None),
        (["Tiêu đề", "31/02/2024", LONG], None, None),
    ],
)
def test_find_date(paragraphs: list[str], marker: str | None, expected: str | None) -> None:
    assert find_date(paragraphs, marker) == expected


def test_parse_date_prefers_the_first_date() -> None:
    assert parse_date("Từ 1/10/2025 đến 2025-12-31") == "2025-10-01"


def test_title_order_hint_headline_first_sentence() -> None:
    assert find_title([LONG], hint="Bài báo | Tên báo", headline="H", fallback="f") == "Bài báo"
    assert find_title([LONG], hint=None, headline="Tiêu đề", fallback="f") == "Tiêu đề"
    first = find_title(
        ["(PLO) - Chiều 6/9, UBND TP. Hồ Chí Minh ký kết. Câu sau."], hint=None, headline=None, fallback="f"
    )
    assert first == "Chiều 6/9, UBND TP. Hồ Chí Minh ký kết."
    assert find_title([], hint=None, headline=None, fallback="ten-tep") == "ten-tep"


def test_placeholder_titles_from_file_properties_are_ignored() -> None:
    for placeholder in ("Microsoft Word - bao cao.docx", "untitled", "Tài liệu1", "   "):
        assert find_title([LONG], hint=placeholder, headline="Báo cáo quý I", fallback="f") == "Báo cáo quý I"
