"""Abbreviations a corpus defines ("chương trình tiên tiến (CTTT)"), used to expand questions that use them.

Officials and regulations write "UBND", "CTTT", "ĐHCNTT" where the text they ask about may spell the words
out, or the reverse; BM25 cannot match the two forms. The corpus itself says what each one means, so the map
is learnt at indexing time: a parenthesised all-caps token whose letters are the initials of the syllables
right before it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from ingest.vietnamese import fold, has_diacritics, syllables

_DEFINED = re.compile(r"\(\s*([^\W\d_][^\W_]{1,11})\s*\)")
_TOKEN = re.compile(r"[^\W_]+")
_VOWELS = set("aeiouy")


def _letters(abbreviation: str) -> str:
    return "".join(c for c in fold(abbreviation) if c.isalpha())


def _is_abbreviation(token: str) -> bool:
    upper = sum(1 for c in token if c.isupper())
    return upper >= 2 and upper >= 0.6 * len(token)


def find_definitions(text: str) -> Iterable[tuple[str, str]]:
    """(folded abbreviation, expansion) pairs defined in a text."""
    for match in _DEFINED.finditer(text):
        token = match.group(1)
        if not _is_abbreviation(token):
            continue
        letters = _letters(token)
        words = syllables(text[max(0, match.start() - 160) : match.start()])
        if len(words) < len(letters):
            continue
        candidate = words[len(words) - len(letters) :]
        if "".join(fold(w)[:1] for w in candidate) == letters:
            yield letters, " ".join(candidate)


def learn(texts: Iterable[str]) -> dict[str, str]:
    """The most frequent expansion of each abbreviation defined in the texts."""
    counts: dict[str, Counter[str]] = {}
    for text in texts:
        for key, expansion in find_definitions(text):
            counts.setdefault(key, Counter())[expansion] += 1
    return {key: c.most_common(1)[0][0] for key, c in sorted(counts.items())}


def expand(query: str, abbreviations: dict[str, str]) -> str:
    """The query plus the expansion of every known abbreviation it uses (typed in capitals, or one that
    cannot be a Vietnamese syllable because it has no vowel, so 'cttt' typed lowercase counts too)."""
    extra: list[str] = []
    accented = has_diacritics(query)
    for token in _TOKEN.findall(query):
        key = fold(token)
        if key in abbreviations and (_is_abbreviation(token) or not _VOWELS & set(key)):
            # A question typed without diacritics gets the expansion folded too, so it stays unaccented.
            expansion = abbreviations[key] if accented else fold(abbreviations[key])
            if expansion not in extra:
                extra.append(expansion)
    return query if not extra else f"{query} ({'; '.join(extra)})"
