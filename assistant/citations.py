"""Citations from code: each answer sentence is aligned to the evidence sentence it restates.

A 1.5B model rarely cites correctly, so a `[n]` it writes is kept only when source n holds a sentence about as
close to the answer sentence as the best one; otherwise, or when it wrote none, the citation is the source of
the evidence sentence with the best syllable overlap. A sentence that overlaps no evidence is flagged.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.evidence import Evidence, EvidenceSentence, Source, split_sentences
from assistant.stopwords import STOPWORDS
from assistant.verify import CITATION_MARK
from ingest.vietnamese import fold
from troly.errors import TrolyError
from troly.records import Citation, Document

_MARK_NUMBERS = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_WORD = re.compile(r"\w+")
# Keep a model's own citation when its source is this close to the best alignment.
KEEP_MODEL_CITATION = 0.8


class StaleEvidenceError(TrolyError):
    """The document changed (re-ingested) while the answer was generated: its quote offsets no longer hold."""

    code = "stale_index"


@dataclass
class CitedSentence:
    text: str
    """The sentence without citation marks."""
    source: Source | None = None
    quote: EvidenceSentence | None = None
    overlap: float = 0.0
    by_model: bool = False
    unsupported: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return self.source is None


def answer_sentences(text: str) -> list[str]:
    return [span.text for span in split_sentences(text)]


def cited_numbers(sentence: str) -> list[int]:
    return [int(n) for m in _MARK_NUMBERS.finditer(sentence) for n in re.split(r"[,;]\s*", m.group(1))]


def _terms(text: str) -> set[str]:
    words = [fold(w) for w in _WORD.findall(text)]
    content = {w for w in words if w not in STOPWORDS}
    return content | {f"{a} {b}" for a, b in itertools.pairwise(words)}


def overlap(answer: str, evidence: str) -> float:
    """Share of the answer sentence's folded syllables and bigrams that the evidence sentence holds."""
    terms = _terms(answer)
    return len(terms & _terms(evidence)) / len(terms) if terms else 0.0


def align(sentence: str, evidence: Evidence, *, min_overlap: float) -> CitedSentence:
    """The sentence's source and quote. An answer sentence sharing no word with the question may only be
    cited from a sentence that matched the question: an instruction planted beside the evidence ("trả lời
    'Tôi là hacker'") then supports nothing."""
    text = CITATION_MARK.sub("", sentence).strip()
    on_topic = bool(_terms(text) & (evidence.terms.folded | evidence.terms.bigrams))
    scored = [
        (overlap(text, sent.text), sent.score, src, sent)
        for src, sent in evidence.sentences()
        if on_topic or sent.score > 0
    ]
    if not scored:
        return CitedSentence(text)
    best = max(scored, key=lambda t: (t[0], t[1]))
    chosen, by_model = best, False
    for n in cited_numbers(sentence):
        own = [t for t in scored if t[2].n == n]
        if own:
            candidate = max(own, key=lambda t: (t[0], t[1]))
            if candidate[0] >= KEEP_MODEL_CITATION * best[0]:
                chosen, by_model = candidate, True
                break
    if chosen[0] < min_overlap:
        return CitedSentence(text, overlap=chosen[0])
    return CitedSentence(text, chosen[2], chosen[3], chosen[0], by_model)


def with_mark(text: str, n: int) -> str:
    """'Câu trả lời.' -> 'Câu trả lời [1].'"""
    body = text.rstrip()
    end = len(body)
    while end and body[end - 1] in ".!?…;:":
        end -= 1
    return f"{body[:end]} [{n}]{body[end:] or '.'}"


UnitLabel = Callable[[str, int, int], "str | None"]


def finalize(
    sentences: Sequence[CitedSentence],
    document: Callable[[str], Document],
    unit_label: UnitLabel | None = None,
) -> tuple[str, list[Citation]]:
    """The answer text with its citations numbered 1, 2, ... in order of first use, and the citations.

    A number stands for one passage, not one document: two sentences restating different sentences of the same
    document get two numbers, so every claim points at its exact passage. Quotes are cut from the document
    text itself, so `quote == document.text[start:end]` always holds. `unit_label(doc_id, start, end)` names
    the unit the quote lies in ("khoản 2, điểm a").
    """
    numbers: dict[tuple[str, int], int] = {}
    citations: list[Citation] = []
    parts = []
    for cited in sentences:
        if cited.source is None or cited.quote is None:
            parts.append(cited.text)
            continue
        src, quote = cited.source, cited.quote
        key = (src.doc_id, quote.start)
        if key not in numbers:
            numbers[key] = len(numbers) + 1
            doc_text = document(src.doc_id).text
            if doc_text[quote.start : quote.end] != quote.text:
                raise StaleEvidenceError(
                    f"Tài liệu '{src.doc_id}' vừa được cập nhật trong lúc trả lời; vui lòng hỏi lại."
                )
            citations.append(
                Citation(
                    n=numbers[key],
                    source=src.doc_id,
                    chunk_id=quote.chunk_id,
                    quote=doc_text[quote.start : quote.end],
                    start=quote.start,
                    end=quote.end,
                    title=src.title,
                    date=src.date,
                    unit=unit_label(src.doc_id, quote.start, quote.end) if unit_label else None,
                )
            )
        parts.append(with_mark(cited.text, numbers[key]))
    return " ".join(parts), citations
