"""Every kind of bad file gets a clear per-file result: a Document, or an IngestError with a stable code."""

from __future__ import annotations

import codecs
import io
import os
import random
import time
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

import ingest.loaders
import ingest.pipeline
from ingest.errors import IngestError
from ingest.pipeline import discover_all, load_document
from tests.ingest.helpers import PARAGRAPHS, make_docx, make_pdf
from tests.ingest.test_encoding import to_cp1258

GOOD = "\n\n".join(PARAGRAPHS)
Builder = Callable[[Path], Path]


def write(name: str, data: bytes | str) -> Builder:
    def build(folder: Path) -> Path:
        path = folder / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        return path

    return build


def random_bytes(n: int) -> bytes:
    return random.Random(7).randbytes(n)


def truncated_pdf(folder: Path) -> Path:
    whole = make_pdf(folder / "whole.pdf.tmp", ["Bien ban hop thon ngay 12/03/2024."]).read_bytes()
    (folder / "whole.pdf.tmp").unlink()
    return write("cut.pdf", whole[: len(whole) // 3])(folder)


def encrypted_pdf(folder: Path) -> Path:
    return make_pdf(folder / "khoa.pdf", ["Noi dung mat"], password="matkhau")


def blank_pdf(folder: Path) -> Path:
    return make_pdf(folder / "scan.pdf", [])


def docx_without_body(folder: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return write("thieu.docx", buffer.getvalue())(folder)


def docx_bad_xml(folder: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("word/document.xml", "<w:document><<<")
    return write("hong.docx", buffer.getvalue())(folder)


def zip_bomb_docx(folder: Path) -> Path:
    # 4 MB of zeros deflate to a few KB; the limit is lowered for the test (see the case table).
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (4 * 1024 * 1024))
    return write("bom.docx", buffer.getvalue())(folder)


def empty_docx(folder: Path) -> Path:
    return make_docx(folder / "trong.docx", [])


def directory_named_like_file(folder: Path) -> Path:
    path = folder / "thu-muc.txt"
    path.mkdir()
    return path


def unreadable(folder: Path) -> Path:
    path = write("khoa-quyen.txt", GOOD)(folder)
    path.chmod(0)
    return path


def symlink_loop(folder: Path) -> Path:
    (folder / "vong-a.txt").symlink_to(folder / "vong-b.txt")
    (folder / "vong-b.txt").symlink_to(folder / "vong-a.txt")
    return folder / "vong-a.txt"


def dangling_symlink(folder: Path) -> Path:
    path = folder / "mat.txt"
    path.symlink_to(folder / "khong-ton-tai.txt")
    return path


def html_scripts(folder: Path) -> Path:
    html = (
        "<html><body><script>alert('x'); var token='bí mật';</script>"
        '<p onclick="steal()">Xã tổ chức tiêm chủng mở rộng vào ngày 5/6/2024 tại trạm y tế.</p>'
        "<img src=x onerror=\"fetch('//evil')\"><iframe src='//evil'>khung</iframe>"
        "<noscript>bật JavaScript</noscript></body></html>"
    )
    return write("tiem-chung.html", html)(folder)


CASES: list[tuple[str, Builder, str]] = [
    ("empty", write("rong.txt", b""), "empty"),
    ("whitespace only", write("trang.txt", " \n\t\n  \r\n"), "empty"),
    ("newlines only markdown", write("trang.md", "\n\n\n"), "empty"),
    ("NUL bytes in text", write("nhi-phan.txt", b"abc\x00def\x00" * 100), "binary"),
    ("random bytes as txt", write("ngau-nhien.txt", random_bytes(4096)), "binary"),
    ("random bytes as pdf", write("gia.pdf", random_bytes(4096)), "corrupt"),
    ("random bytes as docx", write("gia.docx", random_bytes(4096)), "corrupt"),
    ("text named .pdf", write("van-ban.pdf", GOOD), "corrupt"),
    ("truncated pdf", truncated_pdf, "corrupt"),
    ("encrypted pdf", encrypted_pdf, "encrypted"),
    ("pdf without a text layer", blank_pdf, "empty"),
    ("docx without document.xml", docx_without_body, "corrupt"),
    ("docx with broken xml", docx_bad_xml, "corrupt"),
    ("zip bomb docx", zip_bomb_docx, "too_large"),
    (
        "OLE (.doc or encrypted) named .docx",
        write("cu.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
        "encrypted",
    ),
    ("docx with no text", empty_docx, "empty"),
    ("control characters", write("dieu-khien.txt", bytes(range(1, 9)) * 400), "binary"),
    (
        "bytes undefined in every codec",
        write("ma-la.txt", b"Xin ch\x81o \x8d\x8e\x90 b\xe1\xba" * 20),
        "decode",
    ),
    ("NUL inside html", write("nul.html", b"<p>abc</p>\x00\x00\x00" * 50), "binary"),
    (
        "html with only scripts",
        write("js.html", "<html><script>x=1</script><style>p{}</style></html>"),
        "empty",
    ),
    ("html with only navigation", write("nav.htm", "<nav>Trang chủ</nav><footer>Liên hệ</footer>"), "empty"),
    ("unsupported extension", write("chay.exe", b"MZ\x90\x00"), "unsupported"),
    ("no extension", write("README", GOOD), "unsupported"),
    ("directory named like a file", directory_named_like_file, "unreadable"),
    ("symlink loop", symlink_loop, "unreadable"),
    ("dangling symlink", dangling_symlink, "unreadable"),
    ("utf-16 with BOM", write("u16.txt", GOOD.encode("utf-16")), "ok"),
    ("utf-16 without BOM", write("u16le.txt", GOOD.encode("utf-16-le")), "ok"),
    ("utf-8 BOM markdown", write("bom.md", codecs.BOM_UTF8 + GOOD.encode()), "ok"),
    ("cp1258", write("cp1258.txt", to_cp1258(GOOD)), "ok"),
    ("NFD", write("nfd.txt", unicodedata.normalize("NFD", GOOD)), "ok"),
    ("one enormous line", write("mot-dong.txt", "Người dân nộp hồ sơ tại xã. " * 40000), "ok"),
    ("html with scripts and handlers", html_scripts, "ok"),
    ("space in name", write("thông báo mới.txt", GOOD), "ok"),
    ("Vietnamese letters in name", write("Đăng-ký-thường-trú.md", GOOD), "ok"),
    ("emoji in name", write("tin-vui-🎉.txt", GOOD), "ok"),
    ("leading dash in name", write("-ten-la.txt", GOOD), "ok"),
    ("upper-case extension", write("HOA.TXT", GOOD), "ok"),
    ("CRLF line ends", write("crlf.txt", GOOD.replace("\n", "\r\n")), "ok"),
]


@pytest.mark.parametrize(("builder", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_each_bad_file_gets_a_clear_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builder: Builder, expected: str
) -> None:
    monkeypatch.setattr(ingest.loaders, "MAX_DOCX_UNCOMPRESSED_BYTES", 1024 * 1024)
    path = builder(tmp_path)
    source = path.name
    if expected == "ok":
        doc = load_document(path, source)
        assert doc.id == source and doc.text.strip()
        assert "alert" not in doc.text and "fetch" not in doc.text and "bí mật" not in doc.text
        return
    with pytest.raises(IngestError) as info:
        load_document(path, source)
    assert info.value.code == expected
    assert source in info.value.message  # names the file
    assert info.value.reason  # and says why


def test_there_are_at_least_thirty_kinds() -> None:
    assert len(CASES) >= 30


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_permission(tmp_path: Path) -> None:
    path = unreadable(tmp_path)
    with pytest.raises(IngestError) as info:
        load_document(path, path.name)
    assert info.value.code == "unreadable"


def test_too_large_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest.pipeline, "MAX_FILE_BYTES", 1000)
    path = write("lon.txt", GOOD * 20)(tmp_path)
    with pytest.raises(IngestError) as info:
        load_document(path, "lon.txt")
    assert info.value.code == "too_large"


def test_duplicate_content_under_two_names(tmp_path: Path) -> None:
    first = write("mot.txt", GOOD)(tmp_path)
    second = write("hai.txt", GOOD)(tmp_path)
    a, b = load_document(first, "mot.txt"), load_document(second, "hai.txt")
    assert a.content_hash == b.content_hash and a.id != b.id


def test_folder_with_every_bad_file_gives_one_result_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.loaders, "MAX_DOCX_UNCOMPRESSED_BYTES", 1024 * 1024)
    expected: dict[str, str] = {}
    for index, (_, builder, code) in enumerate(CASES):
        folder = tmp_path / "kho" / f"{index:02d}"
        folder.mkdir(parents=True)
        path = builder(folder)
        expected[path.relative_to(tmp_path / "kho").as_posix()] = code
        for other in folder.iterdir():  # the other half of a symlink loop
            if other != path and other.is_symlink():
                expected[other.relative_to(tmp_path / "kho").as_posix()] = "unreadable"
    (tmp_path / "kho" / ".an").mkdir()
    (tmp_path / "kho" / ".an" / "bi-an.txt").write_text(GOOD)
    found = discover_all([tmp_path / "kho"])
    results: dict[str, str] = {failure.path: "unsupported" for failure in found.skipped}
    for source_file in found.files:
        try:
            load_document(source_file.path, source_file.source)
            results[source_file.source] = "ok"
        except IngestError as error:
            results[source_file.source] = error.code
    # A directory named like a file is walked as a folder (it is empty), so discover gives no entry for it.
    expected = {k: v for k, v in expected.items() if v != "unreadable" or not k.endswith("thu-muc.txt")}
    assert results == expected


@pytest.mark.slow
def test_fifty_megabyte_text_loads(tmp_path: Path) -> None:
    line = "Ủy ban nhân dân xã thông báo lịch tiếp công dân vào sáng thứ Năm hằng tuần tại bộ phận một cửa.\n"
    path = tmp_path / "lon.txt"
    path.write_text(line * (50 * 1024 * 1024 // len(line.encode())), encoding="utf-8")
    started = time.perf_counter()
    doc = load_document(path, "lon.txt")
    elapsed = time.perf_counter() - started
    assert doc.text.startswith("Ủy ban nhân dân xã")
    print(f"50 MB text loaded in {elapsed:.1f} s")


_CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
    'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)


def _docx_of(body_xml: str) -> bytes:
    """A minimal valid .docx whose word/document.xml body is `body_xml` (deflated, as Word writes it)."""
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body_xml}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def test_a_small_docx_of_millions_of_empty_paragraphs_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hostile test's file: about 19 KB holding 2 million empty paragraphs (python-docx took 23 s and
    470 MB on it). It is refused on the paragraph count, without python-docx ever reading it."""
    import docx

    path = write("rong-ruot.docx", _docx_of("<w:p/>" * 2_000_000))(tmp_path)
    assert path.stat().st_size < 64 * 1024

    def never(*_: object) -> None:
        raise AssertionError("python-docx was asked to parse a refused file")

    monkeypatch.setattr(docx, "Document", never)
    with pytest.raises(IngestError) as info:
        load_document(path, path.name)
    assert info.value.code == "too_large"
    assert "100.000 đoạn văn" in info.value.reason


def test_docx_paragraph_limit_counts_paragraphs_not_their_properties(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.loaders, "MAX_DOCX_PARAGRAPHS", 40)
    lines = [f"Đoạn số {i}: Ủy ban nhân dân xã thông báo lịch tiếp công dân." for i in range(40)]
    # python-docx writes <w:p> elements next to <w:pPr>, <w:proofErr> and runs: only paragraphs count.
    at_limit = make_docx(tmp_path / "du.docx", lines)
    assert "Đoạn số 39" in load_document(at_limit, at_limit.name).text
    over = make_docx(tmp_path / "thua.docx", [*lines, "Đoạn thêm."])
    with pytest.raises(IngestError) as info:
        load_document(over, over.name)
    assert info.value.code == "too_large" and "40 đoạn văn" in info.value.reason


def test_docx_text_part_limit_is_on_its_expanded_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.loaders, "MAX_DOCX_TEXT_XML_BYTES", 64 * 1024)
    small = write("nho.docx", _docx_of("<w:p><w:r><w:t>Lịch tiếp công dân xã Phú Mậu.</w:t></w:r></w:p>"))
    assert "Phú Mậu" in load_document(small(tmp_path), "nho.docx").text
    # 100 KB of text in one paragraph: few paragraphs, but the XML expands past the limit.
    long_run = "<w:p><w:r><w:t>" + "Người dân nộp hồ sơ tại xã. " * 4000 + "</w:t></w:r></w:p>"
    big = write("lon.docx", _docx_of(long_run))(tmp_path)
    with pytest.raises(IngestError) as info:
        load_document(big, big.name)
    assert info.value.code == "too_large" and "phần văn bản" in info.value.reason
