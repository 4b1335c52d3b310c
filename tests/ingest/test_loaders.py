from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.pipeline import load_document
from tests.ingest.helpers import PARAGRAPHS, make_docx, make_pdf


def test_txt_loads_with_title_date_hash_and_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "thong-bao.txt"
    path.write_text("\n\n".join(PARAGRAPHS), encoding="utf-8")
    doc = load_document(path, "thong-bao.txt")
    assert doc.id == "thong-bao.txt"
    assert doc.title == "Thông báo lịch tiếp công dân"
    assert doc.date == "2024-03-05"
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.file_type == "txt"
    assert "sáng thứ Năm hằng tuần" in doc.text
    assert "\n\n" in doc.text


def test_markdown_title_comes_from_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# Đăng ký thường trú\n\nCông dân nộp hồ sơ tại công an cấp xã nơi có chỗ ở hợp pháp.\n")
    doc = load_document(path, "a.md")
    assert doc.title == "Đăng ký thường trú"
    assert doc.file_type == "md"


def test_html_keeps_paragraphs_and_drops_scripts_and_chrome(tmp_path: Path) -> None:
    path = tmp_path / "tin.html"
    path.write_text(
        "<html><head><title>Xã ra mắt cổng thông tin | Báo mẫu</title><script>var secret = 1;</script></head>"
        "<body><nav>Trang chủ Liên hệ</nav><header>Đăng nhập</header>"
        "<p>Xã đã ra mắt cổng thông tin điện tử vào ngày 2/4/2024.</p>"
        "<p>Người dân có thể tra cứu <b>thủ tục</b> và nộp hồ sơ<br>trực tuyến.</p>"
        "<img src=x onerror=\"alert('x')\"><style>p{}</style><footer>Bản quyền</footer>"
        "<aside>Quảng cáo</aside></body></html>",
        encoding="utf-8",
    )
    doc = load_document(path, "tin.html")
    assert doc.title == "Xã ra mắt cổng thông tin"
    assert doc.text.split("\n\n")[0] == "Xã đã ra mắt cổng thông tin điện tử vào ngày 2/4/2024."
    assert "tra cứu thủ tục và nộp hồ sơ trực tuyến." in doc.text
    for leaked in ("secret", "alert", "Trang chủ", "Đăng nhập", "Bản quyền", "Quảng cáo", "p{}"):
        assert leaked not in doc.text


def test_html_declared_legacy_charset(tmp_path: Path) -> None:
    path = tmp_path / "cu.htm"
    body = (
        "<html><head><meta charset='windows-1258'></head><body><p>Bien ban hop thon ngay 1/2/2020.</p></body>"
    )
    path.write_bytes(body.encode("cp1258"))
    assert "Bien ban hop thon" in load_document(path, "cu.htm").text


def test_pdf_text_and_metadata_title(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "bien-ban.pdf", ["Bien ban hop thon ngay 12/03/2024.", "Thon thong nhat lam duong."]
    )
    doc = load_document(path, "bien-ban.pdf")
    assert doc.file_type == "pdf"
    assert doc.title == "Bien ban hop thon"
    assert "Bien ban hop thon ngay 12/03/2024." in doc.text
    assert "lam duong" in doc.text


def test_pdf_hard_wrapped_lines_are_joined(tmp_path: Path) -> None:
    lines = [
        "Bien ban hop thon ngay 12/03/2024 ve viec lam duong be tong",
        "lien thon qua khu dan cu so 3.",
        "Ket luan.",
    ]
    doc = load_document(make_pdf(tmp_path / "wrap.pdf", lines), "wrap.pdf")
    assert "duong be tong lien thon qua khu dan cu so 3." in doc.text


def test_docx_paragraphs_tables_and_core_title(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "ke-hoach.docx",
        PARAGRAPHS,
        title="Kế hoạch tiếp dân",
        table=[["Ngày", "Cán bộ trực"], ["Thứ Năm", "Văn phòng UBND"]],
    )
    doc = load_document(path, "ke-hoach.docx")
    assert doc.title == "Kế hoạch tiếp dân"
    assert doc.file_type == "docx"
    assert "Người dân mang theo căn cước" in doc.text
    assert "Thứ Năm | Văn phòng UBND" in doc.text


def test_sample_corpus_loads_with_dates(sample_corpus: Path) -> None:
    from ingest.pipeline import discover_all

    found = discover_all([sample_corpus])
    assert not found.skipped
    docs = {f.source: load_document(f.path, f.source) for f in found.files}
    assert {d.file_type for d in docs.values()} >= {"txt", "md", "html"}
    assert docs["vnpt-quang-tri-2025.html"].date == "2025-10-29"
    assert docs["vnpt-tphcm-2022.txt"].date == "2022-09-06"
    html = docs["vnpt-quang-tri-2025.html"].text
    assert "Đồng Hới" in html
    for boilerplate in (
        "BÌNH LUẬN",
        "Đừng bỏ lỡ",
        "Ảnh:",
        "trackPageView",
        "Chia sẻ",
        "cổng dịch vụ công mới",
    ):
        assert boilerplate not in html
