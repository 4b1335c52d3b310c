"""Whether the documents in scope hold the answer, or only another subject's documents do.

A question scoped to one subject ("VNPT đã trao tặng TP.HCM bao nhiêu tiền …?") is often answerable, word for
word, from another subject's document (Quảng Trị's article reports a gift); the in-scope documents then share
only the topic words every agreement article has ("lễ ký kết", "thỏa thuận"). The signal is the question's
specific words: content syllables that at most half of the corpus's documents use. When a passage outside the
scope holds at least `MOVED_MARGIN` of them that no passage in scope holds, the answer would be a fact moved
from another subject, and the part is refused for its subject instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.stopwords import STOPWORDS
from index.text import TermDocuments, exact_syllables, folded_syllables
from ingest.vietnamese import fold, has_diacritics

MAX_SPECIFIC_SHARE = 0.5
MOVED_MARGIN = 2


def specific_terms(question: str, subject_words: frozenset[str], terms: TermDocuments) -> frozenset[str]:
    """The question's content syllables that some but at most half of the documents use; compared with their
    diacritics when the question has them ("tặng" is not "tầng" nor "tăng"), folded otherwise."""
    if terms.documents < 2:
        return frozenset()
    accented = has_diacritics(question)
    words = exact_syllables(question) if accented else folded_syllables(question)
    counts = terms.exact if accented else terms.folded
    content = {
        w for w in words if fold(w) not in subject_words and fold(w) not in STOPWORDS and not w.isdigit()
    }
    return frozenset(w for w in content if 0 < counts.get(w, 0) <= MAX_SPECIFIC_SHARE * terms.documents)


def _held(terms: frozenset[str], passage: str) -> set[str]:
    return set(terms & (exact_syllables(passage) | folded_syllables(passage)))


def moved_from_elsewhere(terms: frozenset[str], in_scope: Iterable[str], elsewhere: Iterable[str]) -> bool:
    """True when one passage elsewhere holds at least `MOVED_MARGIN` specific terms that no passage in scope
    holds."""
    inside: set[str] = set()
    for passage in in_scope:
        inside |= _held(terms, passage)
    return any(len(_held(terms, p) - inside) >= MOVED_MARGIN for p in elsewhere)
