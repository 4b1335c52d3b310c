"""Retrieval tokens for Vietnamese: syllables and syllable bigrams, each also in an accent-folded copy.

Vietnamese words are space-separated syllables, and word segmenters break on text typed without diacritics,
so BM25 works on syllables plus bigrams (which carry most of the word meaning: "xếp hạng", "chuyển đổi").
Every document token is indexed twice: as written ("cần") and folded under its own namespace ("~can"). A
question typed with diacritics is matched on the exact tokens (and, with a lower weight, on the folded ones,
which forgives a wrong or missing mark); a question typed without diacritics can only be matched on the
folded tokens, because "can" written plainly is a different word from "cần".
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from ingest.vietnamese import fold, has_diacritics, syllables

FOLDED_PREFIX = "~"


def _with_bigrams(words: list[str]) -> list[str]:
    return words + [f"{a}_{b}" for a, b in pairwise(words)]


def exact_tokens(text: str) -> list[str]:
    """Lowercased NFC syllables and syllable bigrams, as written."""
    return _with_bigrams(syllables(text))


def folded_tokens(text: str) -> list[str]:
    """The same tokens without diacritics, in the folded namespace."""
    return [FOLDED_PREFIX + t for t in _with_bigrams([fold(s) for s in syllables(text)])]


def document_tokens(text: str) -> list[str]:
    """What a chunk is indexed with: the exact tokens and their folded copies."""
    return exact_tokens(text) + folded_tokens(text)


@dataclass(frozen=True)
class QueryTokens:
    """A query split by namespace, so the two parts can be scored and weighted separately."""

    exact: list[str]
    folded: list[str]
    accented: bool


def _unique(tokens: list[str]) -> list[str]:
    return list(dict.fromkeys(tokens))


def query_tokens(text: str) -> QueryTokens:
    """Tokens of a question; one typed without diacritics gets no exact tokens."""
    accented = has_diacritics(text)
    exact = _unique(exact_tokens(text)) if accented else []
    return QueryTokens(exact=exact, folded=_unique(folded_tokens(text)), accented=accented)
