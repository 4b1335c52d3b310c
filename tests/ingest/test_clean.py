from __future__ import annotations

import pytest

from ingest.clean import clean_text, is_stamp, split_paragraphs

BODY = (
    "Ủy ban nhân dân xã đã tổ chức hội nghị triển khai kế hoạch chuyển đổi số năm 2025 với sự tham gia của "
    "các trưởng thôn và công chức chuyên môn."
)
BODY2 = (
    "Theo kế hoạch, mỗi thôn sẽ có một tổ công nghệ số cộng đồng hướng dẫn người dân cài đặt ứng dụng và "
    "nộp hồ sơ trực tuyến trong năm nay."
)


def kept(text: str) -> list[str]:
    return clean_text(text).paragraphs


def test_date_marker_is_metadata_not_text() -> None:
    cleaned = clean_text(f" date 2025-09-09 {BODY}\n\n{BODY2}")
    assert cleaned.date_marker == "2025-09-09"
    assert cleaned.paragraphs == [BODY, BODY2]


def test_menu_lines_at_top_are_dropped() -> None:
    text = (
        f"Bạn cần biết Tiện ích Liên hệ\nKinh tế Chính sách - Phát triển\nLogo\nĐăng ký | Đăng nhập\n\n{BODY}"
    )
    assert kept(text) == [BODY]


def test_photo_captions_and_credits() -> None:
    text = "\n\n".join(
        [
            BODY,
            "Toàn cảnh hội nghị. Ảnh: Minh Anh",
            "Tiêu đề bài viết - Ảnh 1.",
            "Các đại biểu bấm nút khởi động",
            "ẢNH: MINH ANH",
            "Cán bộ hướng dẫn người dân cài ứng dụng. Ảnh Lê Lan",
            BODY2,
        ]
    )
    assert kept(text) == [BODY, BODY2]


def test_related_news_block_drops_teasers_but_keeps_following_article_text() -> None:
    teaser = (
        "Báo mẫu - Một huyện vừa khai trương trung tâm điều hành thông minh với nhiều tính năng mới "
        "phục vụ người dân"
    )
    text = "\n\n".join(
        [
            BODY,
            "BÌNH LUẬN (0)",
            "Đừng bỏ lỡ",
            "Huyện khai trương trung tâm điều hành",
            "30 Jan, 10:51 PM",
            teaser,
        ]
    )
    assert kept(text) == [BODY]
    # A long paragraph right after a teaser title is that teaser's lead...
    text = "\n\n".join([BODY, "Xem thêm", "Tin ngắn về xã bên", BODY2])
    assert kept(text) == [BODY]
    # ...but one that follows the marker directly is article text: it ends the block and is kept.
    text = "\n\n".join([BODY, "Xem thêm", BODY2 + " " + BODY])
    assert kept(text)[-1] == BODY2 + " " + BODY


def test_repeated_short_lines_and_trailing_byline() -> None:
    text = "\n\n".join([BODY, "Nguyễn Văn A\nNguyễn Văn A", BODY2, "Lê Hường (tổng hợp)", "."])
    assert kept(text) == [BODY, BODY2]


def test_long_sentences_are_never_dropped_outside_related_blocks() -> None:
    tricky = "Liên hệ " + BODY  # starts with a menu word but is a sentence
    assert kept(f"{tricky}\n\n{BODY2}") == [tricky, BODY2]
    assert kept(BODY * 3) == [BODY * 3]


def test_stamps() -> None:
    for stamp in ("29/10/2025 15:11 GMT+7", "08:01, 13/08/2018", "30 Jan, 10:51 PM", "Thứ Hai, 09/09/2025"):
        assert is_stamp(stamp), stamp
    for line in ("Ngày 29/10 tỉnh ký kết với VNPT", "Điều 5. Phạm vi", "2 bên hợp tác"):
        assert not is_stamp(line), line


def test_split_paragraphs_rejoins_hard_wrapped_lines_but_not_list_items() -> None:
    wrapped = (
        "Người dân nộp hồ sơ tại bộ phận tiếp nhận và trả kết quả\nmột cửa của xã.\nSau đó nhận giấy hẹn."
    )
    assert split_paragraphs(wrapped) == [
        "Người dân nộp hồ sơ tại bộ phận tiếp nhận và trả kết quả một cửa của xã.",
        "Sau đó nhận giấy hẹn.",
    ]
    items = "3. Thẩm định hồ sơ đăng ký của người dân tại xã\na) Nội dung thẩm định\nb) Thời hạn thẩm định"
    assert len(split_paragraphs(items)) == 3
    assert split_paragraphs("Hoa lợi, lợi tức\nhoa lợi là sản vật.") == [
        "Hoa lợi, lợi tức",
        "hoa lợi là sản vật.",
    ]


def test_signature_under_an_office_title_is_kept() -> None:
    signature = [BODY, "CHỦ TỊCH QUỐC HỘI", "Nguyễn Văn Bình"]
    assert kept("\n\n".join(signature)) == signature


@pytest.mark.parametrize(
    "paragraph",
    [
        "Thành phần hồ sơ gồm tờ khai theo mẫu CC01 và giấy tờ tùy thân. Ảnh 4x6 chụp không quá 6 tháng",
        "Công dân nộp tờ khai tại bộ phận một cửa của UBND xã. Ảnh 3x4 nền trắng",
        "Bước 2: Chụp ảnh chân dung theo hướng dẫn - Ảnh 4x6",
    ],
)
def test_photo_requirements_in_a_procedure_are_kept(paragraph: str) -> None:
    cleaned = clean_text(f"Thủ tục cấp căn cước\n\n{paragraph}\n\nNộp hồ sơ tại bộ phận một cửa.")
    assert paragraph in cleaned.paragraphs
