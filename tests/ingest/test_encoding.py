from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest

from ingest.encoding import decode_text, detect_encoding
from ingest.errors import IngestError
from ingest.pipeline import load_document

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Legacy Windows encoding: precomposed vowel shapes (â, ơ, ư, đ) plus combining tone marks."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(p for p in parts if p in _TONES)
        out.append(unicodedata.normalize("NFC", "".join(p for p in parts if p not in _TONES)) + tones)
    return "".join(out).encode("cp1258")


TEXT = "Thủ tục đăng ký khai sinh tại Ủy ban nhân dân xã.\nLệ phí: miễn phí khi đăng ký đúng hạn."


@pytest.mark.parametrize(
    ("raw", "codec"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (to_cp1258(TEXT), "cp1258"),
    ],
)
def test_detects_and_decodes_every_supported_encoding(raw: bytes, codec: str) -> None:
    assert detect_encoding(raw) == codec
    assert unicodedata.normalize("NFC", decode_text(raw, "x.txt")) == TEXT


def test_crlf_becomes_newline() -> None:
    assert decode_text(b"a\r\nb\rc", "x.txt") == "a\nb\nc"


@pytest.mark.parametrize(
    "raw", [b"\x00\x01\x02binary\x00" * 50, bytes(range(256)) * 20, b"ELF\x7f" + bytes(range(1, 31)) * 40]
)
def test_binary_data_is_refused(raw: bytes) -> None:
    with pytest.raises(IngestError) as info:
        decode_text(raw, "x.txt")
    assert info.value.code == "binary"


def test_cp1258_file_loads_as_nfc(tmp_path: Path) -> None:
    path = tmp_path / "cu.txt"
    path.write_bytes(to_cp1258(TEXT))
    doc = load_document(path, "cu.txt")
    assert unicodedata.is_normalized("NFC", doc.text)
    assert "đăng ký khai sinh" in doc.text


def test_nfd_and_tone_mark_styles_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "nfd.txt"
    path.write_text(
        unicodedata.normalize("NFD", "Hoà bình và thuỷ lợi ở xã Hòa Thủy là ưu tiên của năm nay.")
    )
    doc = load_document(path, "nfd.txt")
    assert "Hòa bình và thủy lợi" in doc.text
    assert unicodedata.is_normalized("NFC", doc.text)
