"""Retrieval tokens for Vietnamese: syllables and syllable bigrams, each also in an accent-folded copy.

Vietnamese words are space-separated syllables, and word segmenters break on text typed without diacritics,
so BM25 works on syllables plus bigrams (which carry most of the word meaning: "xếp hạng", "chuyển đổi").
Every document token is indexed twice: as written ("cần") and folded under its own namespace ("~can"). A
question typed with diacritics is matched on the exact tokens (and, with a lower weight, on the folded ones,
which forgives a wrong or missing mark); a question typed without diacritics can only be matched on the
folded tokens, because "can" written plainly is a different word from "cần".

The dense model, though, saw little unaccented text and ranks such questions almost at random, so
`AccentRestorer` puts the marks back for it, from the corpus's own syllable and bigram counts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from ingest.vietnamese import capitalised_spans, fold, has_diacritics, normalize, syllables

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


_WORD = re.compile(r"\w+", re.UNICODE)


# How officials ask: question words and the phrases around them, as typed with diacritics.
QUESTION_PHRASES = (
    "bao nhiêu",
    "là bao nhiêu",
    "có bao nhiêu",
    "bao giờ",
    "khi nào",
    "vào ngày nào",
    "năm nào",
    "là ai",
    "ai là",
    "ở đâu",
    "tại đâu",
    "là gì",
    "những gì",
    "gồm những gì",
    "những nội dung nào",
    "nào",
    "như thế nào",
    "thế nào",
    "ra sao",
    "tại sao",
    "vì sao",
    "mấy",
    "có phải",
    "có không",
    "hay không",
    "được không",
)


class AccentRestorer:
    """Restores diacritics to text typed without them, choosing for each syllable the written form that the
    corpus makes most likely after its neighbour (a bigram model smoothed towards unigram frequencies,
    decoded with Viterbi). Syllables the corpus never wrote stay as typed."""

    # Dirichlet smoothing: the bigram counts of a syllable seen this many times weigh as much as the unigram
    # prior. 30 to 300 restore the same retrieval on the dev sets; Witten-Bell restored 0.5% more syllables
    # but ranked two unaccented ViRHE4QA questions lower (eval.bench_retrieval).
    BACKOFF = 100.0

    # Documents rarely ask questions, so question words ("bao nhiêu", "nào") are rare in a corpus and would be
    # restored as its more frequent look-alikes ("bảo nhiều", "nao"); each phrase counts as if seen this often.
    QUESTION_WEIGHT = 50

    def __init__(self, texts: Iterable[str]) -> None:
        self._unigrams: Counter[str] = Counter()
        self._bigrams: Counter[tuple[str, str]] = Counter()
        for text in texts:
            self._count(syllables(text), 1)
        for phrase in QUESTION_PHRASES:
            self._count(syllables(phrase), self.QUESTION_WEIGHT)
        self._forms: dict[str, list[str]] = {}
        for word in self._unigrams:
            self._forms.setdefault(fold(word), []).append(word)
        self._total = sum(self._unigrams.values()) + 1

    def _count(self, words: list[str], times: int) -> None:
        for word in words:
            self._unigrams[word] += times
        for pair in pairwise(words):
            self._bigrams[pair] += times

    def _log_unigram(self, word: str) -> float:
        return math.log((self._unigrams[word] + 0.5) / self._total)

    def _log_transition(self, previous: str, word: str) -> float:
        prior = (self._unigrams[word] + 0.5) / self._total
        pair = self._bigrams[(previous, word)]
        return math.log((pair + self.BACKOFF * prior) / (self._unigrams[previous] + self.BACKOFF))

    def restore_words(self, words: list[str]) -> list[str]:
        """The most likely written form of each folded syllable."""
        if not words:
            return []
        candidates = [self._forms.get(fold(w), [w]) for w in words]
        # best[form] = (log probability, back-pointer path) of the best sequence ending in that form
        best = {form: (self._log_unigram(form), [form]) for form in candidates[0]}
        for options in candidates[1:]:
            step: dict[str, tuple[float, list[str]]] = {}
            for form in options:
                score, path = max(
                    ((s + self._log_transition(prev, form), p) for prev, (s, p) in best.items()),
                    key=lambda item: item[0],
                )
                step[form] = (score, [*path, form])
            best = step
        return max(best.values(), key=lambda item: item[0])[1]

    def restore(self, text: str, *, keep_case: bool = False) -> str:
        """The text, lowercased unless `keep_case`, with each syllable replaced by its restored form
        (punctuation kept; with `keep_case`, "VNPT" stays upper case and "Can" becomes "Cần")."""
        text = normalize(text) if keep_case else normalize(text).lower()
        # One restored form per word of `text` itself: lowercasing may split a word ("İ" -> "i̇").
        restored = iter(self.restore_words([w.lower() for w in _WORD.findall(text)]))
        if not keep_case:
            return _WORD.sub(lambda _: next(restored), text)
        return _WORD.sub(lambda m: _case_like(m.group(0), next(restored)), text)


def _case_like(typed: str, restored: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return restored.upper()
    if typed[:1].isupper():
        return restored[:1].upper() + restored[1:]
    return restored


class NameLexicon:
    """Proper names the corpus writes (two to five capitalised syllables: "Cần Thơ", "Quảng Trị", "Trần Văn
    Lâu"), found again in text typed in lower case and without diacritics ("le ky ket voi can tho").

    A name counts only when the corpus writes it at least once inside a sentence (after a lower-case word),
    so sentence openings such as "Theo Chủ" are not taken for names."""

    MAX_SYLLABLES = 5

    def __init__(self, texts: Iterable[str]) -> None:
        self._names: set[tuple[str, ...]] = set()
        for text in texts:
            for start, end in capitalised_spans(text):
                before = text[:start].rstrip()
                if not before or not before[-1].isalpha() or not before[-1].islower():
                    continue  # at a sentence, line or clause opening: may be capitalised only for that
                words = tuple(fold(w) for w in syllables(text[start:end]))
                for size in range(2, min(len(words), self.MAX_SYLLABLES) + 1):
                    self._names.add(words[-size:])  # "UBND TP Cần Thơ" also gives "TP Cần Thơ", "Cần Thơ"

    def __len__(self) -> int:
        return len(self._names)

    def find(self, text: str) -> list[str]:
        """The corpus names in `text`, as written there, longest first where they overlap, in text order."""
        words = list(_WORD.finditer(text))
        keys = [fold(m.group(0).lower()) for m in words]
        found: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self.MAX_SYLLABLES, len(words) - i), 1, -1):
                if tuple(keys[i : i + size]) in self._names:
                    found.append(text[words[i].start() : words[i + size - 1].end()])
                    i += size
                    break
            else:
                i += 1
        return found


def folded_syllables(text: str) -> set[str]:
    """The distinct accent-folded syllables of a text."""
    return {fold(w) for w in re.findall(r"\w+", text)}


def exact_syllables(text: str) -> set[str]:
    """The distinct syllables of a text, lower-case, with their diacritics ("tặng" is not "tầng")."""
    return set(syllables(text))


@dataclass(frozen=True)
class TermDocuments:
    """How many documents there are, and in how many each syllable occurs, with and without diacritics."""

    documents: int
    exact: dict[str, int]
    folded: dict[str, int]


def document_frequencies(texts: Iterable[str]) -> TermDocuments:
    exact: Counter[str] = Counter()
    folded: Counter[str] = Counter()
    total = 0
    for text in texts:
        total += 1
        words = exact_syllables(text)
        exact.update(words)
        folded.update({fold(w) for w in words})
    return TermDocuments(total, dict(exact), dict(folded))
