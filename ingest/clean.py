"""Conservative removal of web-page boilerplate from extracted text, one paragraph at a time.

Rules are general shapes of page chrome (menus, photo captions and credits, comment counters, "related news"
blocks, bylines printed twice), never tied to a site or a file. A long sentence-like paragraph is only dropped
inside a related-news block, and only when it is shaped like a teaser (after a teaser title or timestamp).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.vietnamese import fold


def _phrases(text: str) -> tuple[str, ...]:
    """Comma-separated phrases, longest first so 'dang ky mua goi an pham' wins over 'dang ky'."""
    return tuple(sorted((phrase.strip() for phrase in text.split(",")), key=len, reverse=True))


_DATE_MARKER = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\b\s*")
_SENTENCE_END = re.compile(r"[.!?…:;\"”’)]\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

# Page chrome: a line made only of these (folded) phrases is navigation, not content.
_CHROME_PHRASES = _phrases(
    "ban can biet, tien ich, lien he, dang ky mua goi an pham, dang ky, dang nhap, dang xuat, logo, trang "
    "chu, tim kiem, menu, video, tin moi, tin tai tro, chia se, facebook, zalo, twitter, in bai, copy "
    "link, sao chep lien ket, gui bai, theo doi, len dau trang, quang cao, podcast, e magazine, "
    "emagazine, infographic, multimedia, rss, tieng viet, english"
)
# Section names: a line made only of them is a breadcrumb when it has a separator or several of them.
_SECTION_PHRASES = _phrases(
    "kinh te, chinh sach, phat trien, thoi su, xa hoi, the gioi, giao duc, suc khoe, phap luat, van hoa, "
    "the thao, giai tri, doi song, cong nghe, du lich, bat dong san, tai chinh, chuyen doi so, chinh tri, "
    "quoc phong, kinh doanh, so hoa, ban doc, goc nhin, thi truong"
)
# Also ordinary words: alone on a line they count as chrome only near the top or in a trailer.
_WEAK_CHROME = frozenset({"lien he", "tim kiem", "video", "tin moi", "theo doi", "tien ich"})
# A line equal to one of these opens a block of links to other articles.
_TRAILER_MARKERS = frozenset(
    _phrases(
        "doc nhieu, dung bo lo, tin lien quan, xem them, tin cung chuyen muc, bai viet lien quan, bai lien "
        "quan, tin khac, co the ban quan tam, ban co the quan tam, tin noi bat, xem nhieu"
    )
)
_COMMENT_COUNTER = re.compile(r"^(binh luan|y kien|comments?)\s*\(\d+\)$")
_SEE_ALSO = re.compile(r"^(xem them|tin lien quan|doc them|>>)\s*:")
_PHOTO_CREDIT = re.compile(r"^(?:anh|anh minh hoa|nguon anh|nguon|photo|video)\s*:")
# "... phát biểu tại buổi lễ. Ảnh: NHẪN NAM", "Toàn cảnh lễ ký kết (Ảnh: TTXVN)", "... Ảnh Phạm Hải".
_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
# A credit is "Ảnh: <anything short>" or "Ảnh <Name>" (a capital, no digits): "Ảnh 4x6" or "ảnh chân dung" in
# a procedure's list of documents is content, never a caption.
_CAPTION_TAIL = re.compile(
    r"(?:[.!?…]\s*|^|\s[-–]\s*|\()(?i:ảnh minh họa|ảnh minh hoạ|nguồn ảnh|ảnh)"
    rf"(?:\s*:\s*[^.!?]{{1,40}}|\s+[{_UPPER}][^.!?\d]{{0,39}})\)?$"
)
_ENUMERATOR = re.compile(r"^[a-zđ]{1,4}[.)]\s")
_MIN_WRAPPED_LINE = 40
_BODY_SENTENCE = re.compile(r"[.!?…][\"”’)]?$")
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
    previous_length = 0
    for line in tidy(text).split("\n"):
        if not line:
            previous_blank = True
            continue
        # A wrapped line is long and continues with a lower-case word; "a) ...", "i. ..." start list items.
        joinable = (
            paragraphs
            and not previous_blank
            and previous_length >= _MIN_WRAPPED_LINE
            and not _SENTENCE_END.search(paragraphs[-1])
            and line[0].islower()
            and not _ENUMERATOR.match(line)
        )
        previous_length = len(line)
        if joinable:
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
        previous_blank = False
    return paragraphs


def _fold_table() -> dict[int, str]:
    letters = [chr(c) for c in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00))]
    return {ord(ch): fold(ch) for ch in letters if fold(ch) != ch}


_FOLD = _fold_table()


def fast_fold(text: str) -> str:
    """`fold` for NFC text as one table lookup per character (the cleaner runs it on every short line)."""
    return text.lower().translate(_FOLD)


def _key(folded: str) -> str:
    """Folded words only: 'BÌNH LUẬN (0)' -> 'binh luan 0'."""
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def _words(paragraph: str) -> int:
    return len(paragraph.split())


def is_stamp(paragraph: str) -> bool:
    """A line holding only a date and/or time ('29/10/2025 15:11 GMT+7', '30 Jan, 10:51 PM')."""
    if _words(paragraph) > 9 or not any(ch.isdigit() for ch in paragraph):
        return False
    rest = _STAMP_TOKENS.sub(" ", fast_fold(paragraph))
    return not re.sub(r"[\W_]+", "", rest)


def _cover(key: str, phrases: Sequence[str]) -> tuple[list[str], str]:
    """Phrases (longest first) that make up `key`, and what is left over."""
    rest = f" {key} "
    hits: list[str] = []
    for phrase in phrases:
        token = f" {phrase} "
        while token in rest:
            rest = rest.replace(token, " ", 1)
            hits.append(phrase)
    return hits, rest.strip()


def _chrome_only(key: str, *, near_edge: bool) -> bool:
    hits, rest = _cover(key, _CHROME_PHRASES)
    if rest or not hits:
        if not near_edge:
            return False
        sections, rest = _cover(rest, _SECTION_PHRASES)
        return not rest and len(sections) + len(hits) >= 3
    return near_edge or len(hits) > 1 or hits[0] not in _WEAK_CHROME


def is_body(paragraph: str) -> bool:
    return _words(paragraph) >= 30 or (
        _words(paragraph) >= 12 and _BODY_SENTENCE.search(paragraph) is not None
    )


def _is_menu_bar(paragraph: str) -> bool:
    """'Đăng ký | Đăng nhập', 'Trang chủ » Kinh tế': short items joined by menu separators."""
    parts = [part for part in re.split(r"\s*[|»›>]\s*", paragraph) if part]
    return (
        len(parts) >= 2 and all(_words(part) <= 6 for part in parts) and not _SENTENCE_END.search(paragraph)
    )


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
            words = _words(paragraph)
            # Every rule that needs the folded form is about short lines; skip folding long ones.
            folded = fast_fold(paragraph).strip() if words <= 30 else ""
            key = _key(folded) if folded else ("-" if words else "")
            near_top = not body_started and index < _HEADER_LINES
            if not in_trailer and is_body(paragraph):
                body_started = True
            if key in _TRAILER_MARKERS:
                in_trailer, previous_teaser = True, False
                self.drop(paragraph)
                continue
            if in_trailer:
                # Teaser titles, timestamps and reaction buttons are short; a teaser's lead follows them.
                if words <= 25 or previous_teaser or is_stamp(paragraph):
                    self.drop(paragraph)
                    previous_teaser = words <= 25
                    continue
                in_trailer = False
            if words <= 12 and _PHOTO_CREDIT.match(folded):
                self.drop(paragraph)
                self._drop_caption_before_credit()
                continue
            if self._is_boilerplate(paragraph, words, key, folded, near_top=near_top):
                self.drop(paragraph)
                continue
            self.kept.append((index, paragraph))
        self._drop_repeated_short()
        self._drop_trailing_byline()
        return [p for _, p in self.kept]

    def _is_boilerplate(self, paragraph: str, words: int, key: str, folded: str, *, near_top: bool) -> bool:
        if not key:  # punctuation or symbols only
            return True
        if words > 45:
            return False
        if _COMMENT_COUNTER.match(folded) or (words <= 30 and _SEE_ALSO.match(folded)):
            return True
        # Menu bars look like table rows ("Ngày | Cán bộ trực"), so they only count above the article.
        menu_bar = near_top and _is_menu_bar(paragraph)
        if words <= 12 and (_chrome_only(key, near_edge=near_top) or menu_bar):
            return True
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
            after = self.kept[position + 2] if position + 2 < len(self.kept) else None
            before = result[-1] if result else None
            # Exactly two copies: a run of identical lines is content (a table, a form), not a caption.
            pair = (
                nxt is not None
                and nxt[0] == index + 1
                and nxt[1] == paragraph
                and (after is None or after[1] != paragraph)
                and (before is None or before[1] != paragraph)
            )
            if pair:
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
        """A reporter's name closing a news page; a signature under an upper-case office title is kept."""
        if len(self.kept) < 2 or not _BYLINE.match(self.kept[-1][1]):
            return
        last, previous = self.kept[-1][1], self.kept[-2][1]
        if "(" in last or not previous.isupper():
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
        if is_body(paragraph):
            break
        if 3 <= _words(paragraph) <= 24 and not is_stamp(paragraph) and not _is_caption(paragraph):
            candidates.append(paragraph)
    return max(candidates, key=len) if candidates else None


def clean_paragraphs(paragraphs: Sequence[str]) -> Cleaned:
    """Remove boilerplate paragraphs; returns what is kept (in order), the date marker and the headline."""
    stripped, marker = _strip_marker(list(paragraphs))
    cleaner = _Cleaner(stripped)
    kept = cleaner.run()
    return Cleaned(kept, marker, headline(kept), cleaner.removed)


def clean_text(text: str) -> Cleaned:
    return clean_paragraphs(split_paragraphs(text))
