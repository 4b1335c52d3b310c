"""Builders of real files in every supported format, for the ingest tests."""

from __future__ import annotations

import io
from pathlib import Path

PARAGRAPHS = [
    "Thông báo lịch tiếp công dân",
    "Ngày đăng: 05/03/2024",
    "Ủy ban nhân dân xã tiếp công dân vào sáng thứ Năm hằng tuần tại bộ phận một cửa. "
    "Người dân mang theo căn cước và giấy tờ liên quan đến nội dung cần trình bày.",
]


def make_pdf(path: Path, lines: list[str], *, password: str | None = None) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), encrypt=password) if password else canvas.Canvas(str(path))
    pdf.setTitle("Bien ban hop thon")
    y = 800
    for line in lines:
        pdf.drawString(50, y, line)
        y -= 20
    pdf.showPage()
    pdf.save()
    return path


def make_docx(
    path: Path, paragraphs: list[str], *, title: str = "", table: list[list[str]] | None = None
) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path
