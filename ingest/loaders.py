"""One loader per file format: raw bytes -> plain text with paragraphs on their own lines, plus a title hint.

Loaders only extract; cleaning, normalisation and metadata happen once in `ingest.pipeline` for every format.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from ingest.encoding import decode_text
from ingest.errors import IngestError

# Largest file read at all: a 50 MB text file is fine, read once; beyond this we refuse before reading.
MAX_FILE_BYTES = 64 * 1024 * 1024
# A .docx is a zip: cap what it declares it will inflate to, so a zip bomb is refused before parsing.
MAX_DOCX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024
MAX_DOCX_MEMBERS = 2000
# python-docx builds the whole XML tree of word/document.xml, at about 11 µs and 230 bytes per paragraph even
# when empty: 19 KB zipped holding 2 million empty paragraphs (11 MB of XML) took 23 s and 470 MB. A long real
# document (500 pages) has 10-20 thousand paragraphs; 100,000 read in about 3 s and 280 MB.
MAX_DOCX_TEXT_XML_BYTES = 32 * 1024 * 1024
MAX_DOCX_PARAGRAPHS = 100_000
_DOCX_BODY = "word/document.xml"
# A paragraph element: "<w:p>", "<w:p/>" or "<w:p w:rsidR=...>", not "<w:pPr>" or "<w:proofErr>".
_DOCX_PARAGRAPH = re.compile(rb"<w:p[\s/>]")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)

# Elements that never hold article text (and must never leak script content into the index).
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "head",
)
_BLOCK_TAGS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "figure",
    "figcaption",
    "address",
    "hr",
)


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None
    file_type: str


def _load_txt(raw: bytes, source: str) -> Extracted:
    return Extracted(decode_text(raw, source), None, "txt")


def _load_md(raw: bytes, source: str) -> Extracted:
    text = decode_text(raw, source)
    heading = _MD_HEADING.search(text)
    return Extracted(text, heading.group(1) if heading else None, "md")


def _decode_html(raw: bytes, source: str) -> str:
    declared = _META_CHARSET.search(raw[:4096])
    if declared is not None:
        name = declared.group(1).decode("ascii", "ignore").lower()
        try:
            return raw.decode(name, errors="replace")
        except LookupError:
            pass
    return decode_text(raw, source)


def _load_html(raw: bytes, source: str) -> Extracted:
    from bs4 import BeautifulSoup, Comment

    text = _decode_html(raw, source)
    if "\x00" in text[:8192]:
        raise IngestError("binary", source, "tệp chứa dữ liệu nhị phân, không phải HTML")
    soup = BeautifulSoup(text, "lxml")
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag is not None else None
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    for cell in soup.find_all(("td", "th")):
        cell.insert_after(" | ")
    blocks = re.split(r"\n\s*\n", soup.get_text())
    paragraphs = [" ".join(block.split()).strip(" |") for block in blocks]
    if not title:
        h1 = soup.find("h1")
        title = h1.get_text(" ", strip=True) if h1 is not None else None
    return Extracted("\n\n".join(p for p in paragraphs if p), title or None, "html")


def _load_pdf(raw: bytes, source: str) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            # Many PDFs are encrypted only against editing, with an empty password for reading.
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported ciphers
                raise IngestError("encrypted", source, "PDF được mã hoá, cần gỡ mật khẩu trước") from exc
            if not opened:
                raise IngestError("encrypted", source, "PDF được bảo vệ bằng mật khẩu, cần gỡ mật khẩu trước")
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except IngestError:
        raise
    except PdfReadError as exc:
        raise IngestError("corrupt", source, "PDF hỏng hoặc không đúng định dạng") from exc
    except (
        Exception
    ) as exc:  # a damaged PDF surfaces as any error from deep in the parser (zlib, struct, ...)
        raise IngestError(
            "corrupt", source, f"PDF hỏng hoặc không đúng định dạng ({type(exc).__name__})"
        ) from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise IngestError("empty", source, "PDF không có lớp chữ (có thể là bản scan, cần OCR trước)")
    return Extracted(text, str(title) if title else None, "pdf")


def _check_docx_zip(raw: bytes, source: str) -> None:
    if raw.startswith(_OLE_MAGIC):
        raise IngestError(
            "encrypted",
            source,
            "tệp Word được bảo vệ bằng mật khẩu hoặc là định dạng .doc cũ; hãy lưu lại dạng .docx",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
            declared = sum(member.file_size for member in members)
            if len(members) > MAX_DOCX_MEMBERS or declared > MAX_DOCX_UNCOMPRESSED_BYTES:
                raise IngestError(
                    "too_large",
                    source,
                    f"tệp .docx khi giải nén lên tới {declared // (1024 * 1024)} MB (giới hạn "
                    f"{MAX_DOCX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB), nghi là zip bomb",
                )
            body = next((m for m in members if m.filename == _DOCX_BODY), None)
            if body is None:
                raise IngestError("corrupt", source, f"tệp .docx thiếu phần nội dung {_DOCX_BODY}")
            _check_docx_body(archive, body, source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise IngestError("corrupt", source, "tệp .docx hỏng (không phải tệp zip hợp lệ)") from exc


def _check_docx_body(archive: zipfile.ZipFile, body: zipfile.ZipInfo, source: str) -> None:
    """Refuse a text part that expands too far or holds too many paragraphs, before python-docx parses it.
    The size is the one the zip declares: zipfile stops reading a member at its declared size (and fails its
    CRC check), so a member cannot inflate past it. Paragraphs are counted while streaming the XML."""
    if body.file_size > MAX_DOCX_TEXT_XML_BYTES:
        raise IngestError(
            "too_large",
            source,
            f"phần văn bản của tệp .docx khi giải nén là {body.file_size // (1024 * 1024)} MB "
            f"(giới hạn {MAX_DOCX_TEXT_XML_BYTES // (1024 * 1024)} MB)",
        )
    paragraphs = 0
    tail = b""
    with archive.open(body) as stream:
        while block := stream.read(1 << 20):
            # A tag cut between two blocks is found in the next window, once: the kept tail (4 bytes) is
            # shorter than a match (5), so no match lies wholly in it.
            window = tail + block
            paragraphs += len(_DOCX_PARAGRAPH.findall(window))
            tail = window[-4:]
            if paragraphs > MAX_DOCX_PARAGRAPHS:
                limit = f"{MAX_DOCX_PARAGRAPHS:,}".replace(",", ".")
                raise IngestError(
                    "too_large", source, f"tệp .docx có hơn {limit} đoạn văn (giới hạn {limit})"
                )


def _load_docx(raw: bytes, source: str) -> Extracted:
    import docx
    from docx.table import Table

    _check_docx_zip(raw, source)
    try:
        document = docx.Document(io.BytesIO(raw))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    cells = [" ".join(cell.text.split()) for cell in row.cells]
                    lines.append(" | ".join(c for c in cells if c))
            else:
                lines.append(block.text)
        title = document.core_properties.title
    except Exception as exc:  # python-docx surfaces lxml, zip and KeyError failures alike
        raise IngestError("corrupt", source, f"tệp .docx hỏng ({type(exc).__name__})") from exc
    return Extracted("\n\n".join(line for line in lines if line.strip()), title or None, "docx")


Loader = Callable[[bytes, str], Extracted]

LOADERS: dict[str, Loader] = {
    ".txt": _load_txt,
    ".text": _load_txt,
    ".md": _load_md,
    ".markdown": _load_md,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
SUPPORTED_EXTENSIONS = frozenset(LOADERS)


def extract(raw: bytes, extension: str, source: str) -> Extracted:
    """Extract text from raw bytes by the (lowercase, dotted) extension; IngestError when unsupported."""
    loader = LOADERS.get(extension.lower())
    if loader is None:
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise IngestError(
            "unsupported", source, f"định dạng '{extension or '(không có đuôi)'}' chưa hỗ trợ ({supported})"
        )
    return loader(raw, source)
