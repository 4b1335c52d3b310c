"""Agreement texts written for the commitment tests (our own sentences, in the shape news reports use)."""

from __future__ import annotations

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


def document(
    text: str, doc_id: str = "lang-son.txt", title: str = "Lạng Sơn và VNPT ký thỏa thuận"
) -> Document:
    return Document(id=doc_id, title=title, date="2024-03-12", content_hash="0" * 64, text=text)
