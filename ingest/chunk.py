"""Chunking that keeps paragraphs and sentences whole, with offsets into the document text.

Paragraphs are packed up to `target_words`; a paragraph longer than that is cut at sentence ends; a single
sentence longer than `max_words` is cut between words. Each chunk after the first repeats whole sentences from
the end of the previous one (about `overlap_words`), so a fact split across the cut stays findable.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from troly.records import Chunk, Document
from troly.settings import ChunkSettings


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(phrase.strip() for phrase in text.split(","))


# Abbreviations after which a period does not end a sentence ("TP. Hồ Chí Minh", "ThS. Nguyễn", "v.v. và").
_ABBREVIATIONS = frozenset(
    _phrases(
        "tp, p, q, tx, tt, h, x, ths, ts, pgs, gs, bs, ks, ls, ns, th, st, mr, mrs, ms, dr, vs, v.v, vv, "
        "tr, ng, đ, ct, qđ, nđ, sđd, đt, tel, fax"
    )
)
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’)\]]*(?=\s+)")
_NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"“‘(\[]?[A-ZĐÀ-Ỹ0-9-–•]")
_PARAGRAPH = re.compile(r"[^\n]+(?:\n[^\n]+)*")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")
_STRUCTURAL = re.compile(
    r"^(?:Điều\s+\d+[a-zđ]?\b|Chương\s+[IVXLC\d]+\b|Mục\s+[IVXLC\d]+\b|Phần\s+(?:thứ\s+)?[\wIVXLC]+\b)"
)
# "1. Phạm vi áp dụng", "II. Hồ sơ": numbered titles; a numbered sentence ("1. Hoa lợi là ... .") is not one.
_NUMBERED_TITLE = re.compile(r"^(?:[IVXLC]+|\d+(?:\.\d+)*)\.\s+[A-ZĐÀ-Ỹ][^.!?;:]*$")


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in '("“':
        word_start -= 1
    word = text[word_start:dot].lower()
    # Single letters are initials ("Nguyễn V. A."); listed words are titles and place prefixes.
    return len(word) == 1 or word in _ABBREVIATIONS


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets within text[start:end]; trailing spaces are not part of a sentence."""
    stop = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    begin = start
    for match in _SENTENCE_END.finditer(text, start, stop):
        boundary = match.end()
        if (
            text[match.start()] == "."
            and match.end() - match.start() == 1
            and _is_abbreviation(text, match.start())
        ):
            continue
        if not _NEXT_STARTS_SENTENCE.match(text, boundary, stop):
            continue
        spans.append((begin, boundary))
        begin = boundary
        while begin < stop and text[begin].isspace():
            begin += 1
    if begin < stop and text[begin:stop].strip():
        spans.append((begin, stop))
    return spans


def heading_text(paragraph: str) -> str | None:
    """The heading a paragraph states: Markdown '#', 'Điều 5.', 'Chương II', '1. ...', or a short title."""
    markdown = _MD_HEADING.match(paragraph)
    if markdown:
        return markdown.group(1)
    if (_STRUCTURAL.match(paragraph) or _NUMBERED_TITLE.match(paragraph)) and len(paragraph.split()) <= 20:
        return paragraph
    words = len(paragraph.split())
    if (
        1 <= words <= 12
        and not re.search(r"[.!?…;,:]$", paragraph)
        and (paragraph[:1].isupper() or paragraph[:1].isdigit())
    ):
        return paragraph
    return None


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    words: int
    paragraph: int
    heading: str | None


def _split_words(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int]]:
    tokens = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    for i in range(0, len(tokens), max_words):
        piece = tokens[i : i + max_words]
        yield start + piece[0][0], start + piece[-1][1]


def _units(text: str, settings: ChunkSettings) -> list[_Unit]:
    units: list[_Unit] = []
    for number, match in enumerate(_PARAGRAPH.finditer(text)):
        heading = heading_text(match.group(0))
        for s_start, s_end in sentence_spans(text, match.start(), match.end()):
            for u_start, u_end in _split_words(text, s_start, s_end, settings.max_words):
                words = len(text[u_start:u_end].split())
                units.append(_Unit(u_start, u_end, words, number, heading))
    return units


def _pack(units: list[_Unit], settings: ChunkSettings) -> list[tuple[int, int]]:
    """Unit index ranges [first, last) of each chunk."""
    target = min(settings.target_words, settings.max_words)
    # Where each unit's paragraph ends, and running word counts: a long paragraph (thousands of sentences)
    # is then packed in linear time instead of being summed again at every unit.
    paragraph_end = [0] * len(units)
    end = len(units)
    for i in range(len(units) - 1, -1, -1):
        if i + 1 < len(units) and units[i + 1].paragraph != units[i].paragraph:
            end = i + 1
        paragraph_end[i] = end
    before = [0]
    for unit in units:
        before.append(before[-1] + unit.words)
    ranges: list[tuple[int, int]] = []
    first = 0
    while first < len(units):
        words = 0
        last = first
        while last < len(units):
            unit = units[last]
            starts_paragraph = last == 0 or units[last - 1].paragraph != unit.paragraph
            rest_of_paragraph = before[paragraph_end[last]] - before[last]
            if starts_paragraph and words + rest_of_paragraph <= target:
                words += rest_of_paragraph
                last = paragraph_end[last]
                continue
            # The paragraph does not fit: stop at the paragraph edge when the chunk is already substantial.
            if starts_paragraph and words >= target // 2:
                break
            if words + unit.words > target and last > first:
                break
            words += unit.words
            last += 1
        # A heading belongs with what follows it, not at the end of a chunk.
        if (
            last < len(units)
            and last - first > 1
            and units[last - 1].heading is not None
            and units[last - 1].paragraph != units[last - 2].paragraph
            and units[last].paragraph != units[last - 1].paragraph
        ):
            last -= 1
        ranges.append((first, last))
        if last >= len(units):
            break
        first = _overlap_start(units, first, last, settings.overlap_words)
    # A short tail reads better as the end of the previous chunk than as a chunk of its own.
    if len(ranges) >= 2:
        (prev_first, _), (tail_first, tail_last) = ranges[-2], ranges[-1]
        tail_words = before[tail_last] - before[tail_first]
        merged_words = before[tail_last] - before[prev_first]
        if tail_words < target // 3 and merged_words <= settings.max_words:
            ranges[-2:] = [(prev_first, tail_last)]
    return ranges


def _overlap_start(units: list[_Unit], first: int, last: int, overlap_words: int) -> int:
    start = last
    words = 0
    while start - 1 > first and words + units[start - 1].words <= overlap_words:
        start -= 1
        words += units[start].words
    return start


def _heading_for(units: list[_Unit], first: int, headings: list[tuple[int, str]]) -> str | None:
    offset = units[first].start
    at = bisect.bisect_right(headings, offset, key=lambda h: h[0])
    return headings[at - 1][1] if at else None


def chunk_id(doc_id: str, ordinal: int) -> str:
    """The id of a document's chunk number `ordinal` (0-based, in text order)."""
    return f"{doc_id}#{ordinal}"


def chunk_document(doc: Document, settings: ChunkSettings) -> list[Chunk]:
    """Chunks of `doc.text` with `doc.text[c.start:c.end] == c.text` and ids '<doc_id>#<ordinal>'."""
    text = doc.text
    units = _units(text, settings)
    headings = [
        (match.start(), heading)
        for match in _PARAGRAPH.finditer(text)
        if (heading := heading_text(match.group(0))) is not None
    ]
    chunks: list[Chunk] = []
    for ordinal, (first, last) in enumerate(_pack(units, settings)):
        start, end = units[first].start, units[last - 1].end
        chunks.append(
            Chunk(
                id=chunk_id(doc.id, ordinal),
                doc_id=doc.id,
                ordinal=ordinal,
                text=text[start:end],
                start=start,
                end=end,
                title=doc.title,
                date=doc.date,
                heading=_heading_for(units, first, headings),
            )
        )
    return chunks
