"""Bytes -> str for text files: UTF-8 (with or without BOM), UTF-16 (BOM or BOM-less), legacy CP1258.

Binary data is refused here rather than decoded into noise that would then be indexed.
"""

from __future__ import annotations

import codecs

from ingest.errors import IngestError

_SAMPLE_BYTES = 8192
# Share of control characters (other than tab, newline, CR, form feed) above which data is binary.
_MAX_CONTROL_RATIO = 0.02
_ALLOWED_CONTROLS = {0x09, 0x0A, 0x0C, 0x0D}
# Basic Latin to Latin Extended-B, combining marks, Vietnamese precomposed letters, general punctuation.
_LATIN_RANGES = ((0x0000, 0x024F), (0x0300, 0x036F), (0x1E00, 0x1EFF), (0x2000, 0x20CF))


def _utf16_without_bom(sample: bytes) -> str | None:
    """ASCII-range text in UTF-16 has a NUL in every other byte; which half says the byte order."""
    if len(sample) < 4:
        return None
    even = sample[0::2]
    odd = sample[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    codec = None
    if odd_nul > 0.3 and even_nul < 0.05:
        codec = "utf-16-le"
    elif even_nul > 0.3 and odd_nul < 0.05:
        codec = "utf-16-be"
    # Binary data can show the same NUL rhythm; real text decodes to Latin letters and punctuation.
    return codec if codec is not None and _latin_text(sample.decode(codec, errors="replace")) else None


def _latin_text(text: str) -> bool:
    latin = sum(1 for ch in text if any(low <= ord(ch) <= high for low, high in _LATIN_RANGES))
    controls = sum(1 for ch in text if ord(ch) < 0x20 and ord(ch) not in _ALLOWED_CONTROLS)
    return latin >= 0.9 * len(text) and controls <= _MAX_CONTROL_RATIO * len(text)


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    controls = sum(1 for ch in text if ord(ch) < 0x20 and ord(ch) not in _ALLOWED_CONTROLS)
    return controls / len(text)


def _check_not_binary(text: str, source: str) -> None:
    sample = text[:_SAMPLE_BYTES]
    if "\x00" in sample or _control_ratio(sample) > _MAX_CONTROL_RATIO:
        raise IngestError("binary", source, "tệp chứa dữ liệu nhị phân, không phải văn bản")


def detect_encoding(raw: bytes) -> str:
    """The codec `decode_text` would use for these bytes (for reports and tests)."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = raw[:_SAMPLE_BYTES]
    bomless = _utf16_without_bom(sample[: len(sample) - len(sample) % 2])
    if bomless is not None:
        return bomless
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut multi-byte character at the very end is still UTF-8; anything earlier is another codec.
        if exc.start < len(raw) - 3:
            return "cp1258"
    return "utf-8"


def decode_text(raw: bytes, source: str) -> str:
    """Decode a text file; raises IngestError binary/decode. Newlines come back as '\\n'.

    CP1258 decodes Vietnamese to base letters plus combining tone marks; the caller normalises to NFC.
    """
    encoding = detect_encoding(raw)
    # UTF-16 was ruled out, so a NUL here means binary data, whatever the codec.
    if encoding in ("utf-8", "cp1258") and b"\x00" in raw[:_SAMPLE_BYTES]:
        raise IngestError("binary", source, "tệp chứa dữ liệu nhị phân, không phải văn bản")
    try:
        text = raw.decode(encoding, errors="replace" if encoding == "utf-8" else "strict")
    except UnicodeDecodeError as exc:
        raise IngestError(
            "decode", source, f"không nhận ra bảng mã ký tự (thử UTF-8, UTF-16, CP1258): {exc.reason}"
        ) from exc
    _check_not_binary(text, source)
    return text.replace("\r\n", "\n").replace("\r", "\n")
