"""Agreement texts written for the commitment tests (our own sentences, in the shape news reports use)."""

from __future__ import annotations

from pathlib import Path

from troly.records import Document

LANG_SON = (
    "Sáng 12/3, tại thành phố Lạng Sơn, UBND tỉnh Lạng Sơn và Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT) "
    "đã ký thỏa thuận hợp tác về chuyển đổi số giai đoạn 2024 - 2028.\n\n"
    "Theo thỏa thuận, hai bên sẽ hợp tác trên bốn trụ cột: hạ tầng số, chính quyền số, kinh tế số và xã hội số.\n\n"
    "Về hạ tầng số, VNPT sẽ phủ sóng 5G tới 200 xã vùng cao trước năm 2026.\n\n"
    "Trong chính quyền số, hai bên phối hợp xây dựng nền tảng tích hợp dữ liệu của tỉnh.\n\n"
    "Theo đó, thỏa thuận tập trung vào các nội dung như: Hợp tác phát triển thương mại điện tử; "
    "Hợp tác đào tạo kỹ năng số cho người dân.\n\n"
    "Ông Nông Văn Khải, Phó chủ tịch UBND tỉnh Lạng Sơn cho biết tỉnh rất cần sự hỗ trợ về nhân lực.\n\n"
    "UBND tỉnh Lạng Sơn cam kết tạo điều kiện thuận lợi để VNPT triển khai các dự án.\n\n"
    "Những năm qua, VNPT đã hỗ trợ tỉnh xây dựng cổng dịch vụ công.\n\n"
    "Tỉnh mong muốn VNPT đầu tư thêm trạm phát sóng.\n\n"
    "Lãnh đạo tỉnh cũng muốn Lạng Sơn và VNPT đánh giá kết quả hằng năm.\n\n"
    "Trách nhiệm của tỉnh, bố trí đủ kinh phí đối ứng cho các dự án."
)
NEWS = (
    "Lạng Sơn đẩy mạnh dịch vụ công trực tuyến\n\n"
    "Năm 2024, tỉnh Lạng Sơn đã đưa 1.200 thủ tục lên cổng dịch vụ công, tăng 15% so với năm trước.\n\n"
    "Sở Thông tin và Truyền thông sẽ tập huấn cho cán bộ cấp xã trong tháng 6."
)

BAC_KAN = (
    "Bắc Kạn và VNPT ký thỏa thuận chuyển đổi số\n\n"
    "Ngày đăng: 02/05/2025\n\n"
    "Ngày 2/5/2025, UBND tỉnh Bắc Kạn và Tập đoàn VNPT ký thỏa thuận hợp tác về chuyển đổi số giai đoạn "
    "2025 - 2030.\n\n"
    "Về kinh tế số, VNPT sẽ đưa nông sản của hợp tác xã lên sàn thương mại điện tử.\n\n"
    "UBND tỉnh Bắc Kạn cam kết bố trí mặt bằng cho các trạm phát sóng."
)


def write_agreements(folder: Path) -> Path:
    """Two agreements and a news article as files (with a publication date, as news pages carry one)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lang-son.txt").write_text(
        "Lạng Sơn và VNPT ký thỏa thuận\n\nNgày đăng: 12/03/2024\n\n" + LANG_SON, encoding="utf-8"
    )
    (folder / "bac-kan.txt").write_text(BAC_KAN, encoding="utf-8")
    (folder / "tin.txt").write_text(NEWS, encoding="utf-8")
    return folder


def document(
    text: str, doc_id: str = "lang-son.txt", title: str = "Lạng Sơn và VNPT ký thỏa thuận"
) -> Document:
    return Document(id=doc_id, title=title, date="2024-03-12", content_hash="0" * 64, text=text)
