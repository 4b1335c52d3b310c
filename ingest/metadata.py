"""Title and publication date of a document, taken only from where pages state them: the top.

A date deep in the body (a signing date in paragraph five) is an event, not the publication date, so only the
explicit ` date ...` marker or a date stamp among the first lines counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from ingest.chunk import sentence_spans
from ingest.clean import is_body, is_stamp
from ingest.vietnamese import fold

# How far from the top a date stamp may sit and still be the page's own date (it must also precede the body).
DATE_STAMP_LINES = 8
_MAX_TITLE_CHARS = 160
# Titles that editors leave in file properties: "Microsoft Word - bao_cao.docx", "untitled", "Tài liệu1".
_PLACEHOLDER_TITLE = re.compile(r"^(?:microsoft word - |untitled|document\d*$|tai lieu\d*$|title$|\W*$)")
_AGENCY_TAG = re.compile(r"^\([A-ZĐ]{2,12}\)\s*[-–]?\s*")

_ISO = re.compile(r"\b(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\b")
_DMY = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_WORDS_DMY = re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})\b")
# "Ngày đăng: 09/09/2025", "Cập nhật lúc 10:00 ngày 9/9/2025": a labelled stamp may carry a few words.
_STAMP_LABEL = re.compile(r"^(ngay dang|ngay cap nhat|cap nhat|dang luc|dang ngay|ngay ban hanh|ngay)\b")


def _valid(year: int, month: int, day: int | None) -> str | None:
    try:
        date(year, month, day or 1)
    except ValueError:
        return None
    if not 1900 <= year <= 2100:
        return None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def parse_date(text: str) -> str | None:
    """The first full date in a short text as 'YYYY-MM-DD' (or 'YYYY-MM' for a month marker)."""
    folded = fold(text)
    candidates: list[tuple[int, str]] = []
    for match in _ISO.finditer(folded):
        day = int(match.group(3)) if match.group(3) else None
        value = _valid(int(match.group(1)), int(match.group(2)), day)
        if value:
            candidates.append((match.start(), value))
    for pattern in (_DMY, _WORDS_DMY):
        for match in pattern.finditer(folded):
            value = _valid(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            if value:
                candidates.append((match.start(), value))
    return min(candidates)[1] if candidates else None


def find_date(paragraphs: Sequence[str], marker: str | None = None) -> str | None:
    """Publication date: the explicit marker, else a date stamp line among the first lines."""
    if marker is not None:
        parsed = parse_date(marker)
        if parsed:
            return parsed
    for paragraph in paragraphs[:DATE_STAMP_LINES]:
        if is_body(paragraph):
            break
        labelled = _STAMP_LABEL.match(fold(paragraph)) is not None and len(paragraph.split()) <= 12
        if is_stamp(paragraph) or labelled:
            parsed = parse_date(paragraph)
            if parsed:
                return parsed
    return None


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= _MAX_TITLE_CHARS:
        return text
    cut = text[:_MAX_TITLE_CHARS].rsplit(" ", 1)[0]
    return f"{cut}…"


def find_title(paragraphs: Sequence[str], *, hint: str | None, headline: str | None, fallback: str) -> str:
    """Format title (HTML <title>, .docx core title, Markdown '#'), else the headline, else the first line."""
    if hint and hint.strip() and not _PLACEHOLDER_TITLE.match(fold(hint).strip()):
        # "<article> | <site>" or "<article> - <site>": the longest part is the article's.
        parts = [
            part.strip() for part in re.split(r"\s+[|–—]\s+|\s+-\s+(?=[^-]{0,30}$)", hint) if part.strip()
        ]
        return _shorten(max(parts, key=len) if parts else hint)
    if headline:
        return _shorten(headline)
    for paragraph in paragraphs:
        if paragraph.strip():
            start, end = sentence_spans(paragraph)[0]
            # News leads open with the agency tag: "(PLO)-", "(TBTCO) - ".
            return _shorten(_AGENCY_TAG.sub("", paragraph[start:end]))
    return fallback
