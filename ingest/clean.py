"""Conservative removal of web-page boilerplate from extracted text, one paragraph at a time.

Rules are general shapes of page chrome (menus, photo captions and credits, comment counters, "related news"
blocks, bylines printed twice), never tied to a site or a file. A long sentence-like paragraph is only dropped
inside a related-news block, and only when it is shaped like a teaser (it follows a teaser title or timestamp).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.vietnamese import fold

_DATE_MARKER = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\b\s*")
_SENTENCE_END = re.compile(r"[.!?…:;\"”’)]\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

# Page chrome: a line made only of these (folded) phrases is navigation, not content.
_CHROME_PHRASES = (
    "ban can biet", "tien ich", "lien he", "dang ky mua goi an pham", "dang ky", "dang nhap", "dang xuat", "logo",
    "trang chu", "tim kiem", "menu", "video", "tin moi", "tin tai tro", "chia se", "facebook", "zalo", "twitter",
    "in bai", "copy link", "sao chep lien ket", "gui bai", "theo doi", "len dau trang", "quang cao", "podcast",
    "e magazine", "emagazine", "infographic", "multimedia", "rss", "tieng viet", "english",
)
# Phrases that are also ordinary words; alone on a line they count as chrome only near the top or in a trailer.
_WEAK_CHROME = frozenset({"lien he", "tim kiem", "video", "tin moi", "theo doi", "tien ich"})
# A line equal to one of these opens a block of links to other articles.
_TRAILER_MARKERS = frozenset({
    "doc nhieu", "dung bo lo", "tin lien quan", "xem them", "tin cung chuyen muc", "bai viet lien quan",
    "bai lien quan", "tin khac", "co the ban quan tam", "ban co the quan tam", "tin noi bat", "xem nhieu",
})
_COMMENT_COUNTER = re.compile(r"^(binh luan|y kien|comments?)\s*\(\d+\)$")
_SEE_ALSO = re.compile(r"^(xem them|tin lien quan|doc them|>>)\s*:")
_PHOTO_CREDIT = re.compile(r"^(?:anh|anh minh hoa|nguon anh|nguon|photo|video)\s*:")
_CAPTION_TAIL = re.compile(r"(?:[.!?…]\s*|^|\s[-–]\s*|\()(?:ảnh|ẢNH|Ảnh minh họa|Ảnh minh hoạ|Nguồn ảnh)\s*:?\s*[^.!?]{1,40}\)?$")
_PHOTO_NUMBER = re.compile(r"[-–]\s*Ảnh\s*\d+\.?$")
_TIME = r"\d{1,2}[:h]\d{2}(?::\d{2})?"
_STAMP_TOKENS = re.compile(
    r"\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{2,4})?|" + _TIME + r"|gmt\s*[+-]\s*\d+|\b(?:am|pm)\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|"
    r"\b(?:thu|chu nhat|hai|ba|tu|nam|sau|bay|ngay|thang|cap nhat|dang|luc|gio)\b|\d+"
)
_BYLINE = re.compile(r"^(?:[A-ZĐ][\w]*\s){1,4}[A-ZĐ][\w]*(?:\s*\((?:tổng hợp|[Tt]heo [^)]{1,40})\))?$")
_HEADER_LINES = 10


@dataclass(frozen=True)
class Cleaned:
    paragraphs: list[str]
    date_marker: str | None = None
    headline: str | None = None
    removed: list[str] = field(default_factory=list)


def tidy(text: str) -> str:
    """Drop control characters and odd spaces; keep line structure."""
    return "\n".join(_SPACES.sub(" ", _CONTROL.sub("", line)).strip() for line in text.split("\n"))


def split_paragraphs(text: str) -> list[str]:
    """One paragraph per line or blank-line block; hard-wrapped lines (PDF, e-mail) are joined back."""
    paragraphs: list[str] = []
    previous_blank = True
    for line in tidy(text).split("\n"):
        if not line:
            previous_blank = True
            continue
        joinable = (
            paragraphs
            and not previous_blank
            and not _SENTENCE_END.search(paragraphs[-1])
            and line[0].islower()
        )
        if joinable:
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
        previous_blank = False
    return paragraphs


def _key(paragraph: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", fold(paragraph)).split())


def _words(paragraph: str) -> int:
    return len(paragraph.split())


def is_stamp(paragraph: str) -> bool:
    """A line holding only a date and/or time ('29/10/2025 15:11 GMT+7', '30 Jan, 10:51 PM')."""
    if _words(paragraph) > 9 or not any(ch.isdigit() for ch in paragraph):
        return False
    rest = _STAMP_TOKENS.sub(" ", fold(paragraph))
    return not re.sub(r"[\W_]+", "", rest)


def _chrome_only(key: str, *, near_edge: bool) -> bool:
    if not key:
        return True
    rest = f" {key} "
    hits: list[str] = []
    for phrase in sorted(_CHROME_PHRASES, key=len, reverse=True):
        token = f" {phrase} "
        while token in rest:
            rest = rest.replace(token, " ", 1)
            hits.append(phrase)
    if rest.strip() or not hits:
        return False
    return near_edge or len(hits) > 1 or hits[0] not in _WEAK_CHROME


def _is_caption(paragraph: str) -> bool:
    if _PHOTO_NUMBER.search(paragraph):
        return True
    return _words(paragraph) <= 45 and _CAPTION_TAIL.search(paragraph) is not None


def _looks_like_caption_text(paragraph: str) -> bool:
    return _words(paragraph) <= 30 and not re.search(r"[.!?…]\s*$", paragraph)


class _Cleaner:
    def __init__(self, paragraphs: Sequence[str]) -> None:
        self.source = list(paragraphs)
        self.kept: list[tuple[int, str]] = []
        self.removed: list[str] = []

    def drop(self, paragraph: str) -> None:
        self.removed.append(paragraph)

    def run(self) -> list[str]:
        in_trailer = False
        previous_teaser = False
        body_started = False
        for index, paragraph in enumerate(self.source):
            key = _key(paragraph)
            near_top = not body_started and index < _HEADER_LINES
            if _words(paragraph) >= 20 and not in_trailer:
                body_started = True
            if key in _TRAILER_MARKERS:
                in_trailer, previous_teaser = True, True
                self.drop(paragraph)
                continue
            if in_trailer:
                teaser = (
                    _words(paragraph) <= 25 or is_stamp(paragraph) or previous_teaser or paragraph.startswith("•")
                )
                if teaser:
                    self.drop(paragraph)
                    previous_teaser = _words(paragraph) <= 25
                    continue
                in_trailer = False
            if self._is_boilerplate(paragraph, key, near_top=near_top or in_trailer):
                self.drop(paragraph)
                continue
            if _PHOTO_CREDIT.match(key.replace(" ", " ", 0) + ":" if False else fold(paragraph)) and _words(paragraph) <= 12:
                self.drop(paragraph)
                self._drop_caption_before_credit()
                continue
            self.kept.append((index, paragraph))
        self._drop_repeated_short()
        self._drop_trailing_byline()
        return [p for _, p in self.kept]

    def _is_boilerplate(self, paragraph: str, key: str, *, near_top: bool) -> bool:
        if not key:  # punctuation or symbols only
            return True
        if _COMMENT_COUNTER.match(key) or _SEE_ALSO.match(fold(paragraph)) and _words(paragraph) <= 30:
            return True
        if _words(paragraph) <= 12 and ("|" in paragraph or _chrome_only(key, near_edge=near_top)):
            return "|" not in paragraph or all(
                _words(part) <= 6 for part in paragraph.split("|")
            )
        if near_top and is_stamp(paragraph):
            return True
        return _is_caption(paragraph)

    def _drop_caption_before_credit(self) -> None:
        if self.kept and _looks_like_caption_text(self.kept[-1][1]):
            self.drop(self.kept.pop()[1])

    def _drop_repeated_short(self) -> None:
        """Pages print captions, bylines and teaser titles twice (alt text + caption): drop both copies."""
        result: list[tuple[int, str]] = []
        position = 0
        while position < len(self.kept):
            index, paragraph = self.kept[position]
            nxt = self.kept[position + 1] if position + 1 < len(self.kept) else None
            if nxt is not None and nxt[0] == index + 1 and nxt[1] == paragraph:
                if _words(paragraph) <= 30:
                    self.drop(paragraph)
                    self.drop(paragraph)
                else:
                    result.append((index, paragraph))
                position += 2
                continue
            result.append((index, paragraph))
            position += 1
        self.kept = result

    def _drop_trailing_byline(self) -> None:
        while self.kept and _BYLINE.match(self.kept[-1][1]) and len(self.kept) > 1:
            self.drop(self.kept.pop()[1])


def _strip_marker(paragraphs: list[str]) -> tuple[list[str], str | None]:
    if not paragraphs:
        return paragraphs, None
    match = _DATE_MARKER.match(paragraphs[0])
    if match is None:
        return paragraphs, None
    rest = paragraphs[0][match.end() :].strip()
    return ([rest] if rest else []) + paragraphs[1:], match.group(1)


def headline(paragraphs: Sequence[str]) -> str | None:
    """The page's title line: the longest short, non-sentence line above the first body paragraph."""
    candidates: list[str] = []
    for paragraph in paragraphs[:_HEADER_LINES]:
        if _words(paragraph) >= 25:
            break
        if 3 <= _words(paragraph) <= 24 and not is_stamp(paragraph) and not _is_caption(paragraph):
            candidates.append(paragraph)
    return max(candidates, key=len) if candidates else None


def clean_paragraphs(paragraphs: Sequence[str]) -> Cleaned:
    """Remove boilerplate paragraphs; returns what is kept (in order), the date marker and the headline."""
    stripped, marker = _strip_marker(list(paragraphs))
    cleaner = _Cleaner(stripped)
    kept = cleaner.run()
    title = headline(kept)
    if title is not None:
        # Chrome above the headline (site slogans, section names) is short and never a sentence.
        position = kept.index(title)
        head = [p for p in kept[:position] if not (_words(p) <= 6 and not _SENTENCE_END.search(p)
                                                  and _chrome_only(_key(p), near_edge=True))]
        kept = head + kept[position:]
    return Cleaned(kept, marker, title, cleaner.removed)


def clean_text(text: str) -> Cleaned:
    return clean_paragraphs(split_paragraphs(text))
