"""Abbreviations a corpus defines ("chương trình tiên tiến (CTTT)"), used to expand questions that use them.

Officials and regulations write "UBND", "CTTT", "ĐHCNTT" where the text they ask about may spell the words
out, or the reverse; BM25 cannot match the two forms. The corpus itself says what each one means, so the map
is learnt at indexing time from the two ways Vietnamese texts define one: a parenthesised all-caps token whose
letters are the initials of the syllables right before it ("chương trình tiên tiến (CTTT)"), and a glossary
line that starts with the token and a colon or dash, followed by the words ("CBPB: Cán bộ phản biện").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from ingest.vietnamese import fold, has_diacritics, syllables

_DEFINED = re.compile(r"\(\s*([^\W\d_][^\W_]{1,11})\s*\)")
# A glossary line: optional bullet, the abbreviation, then ":", "=", or a dash between spaces.
_GLOSSARY = re.compile(
    r"^[ \t]*(?:[-+*•][ \t]*)?([^\W\d_][^\W_]{1,11})[ \t]*(?::|=|[ \t][-–—])[ \t]*(.+)$", re.M
)
_TOKEN = re.compile(r"[^\W_]+")
_VOWELS = set("aeiouy")


def _letters(abbreviation: str) -> str:
    return "".join(c for c in fold(abbreviation) if c.isalpha())


def _is_abbreviation(token: str) -> bool:
    upper = sum(1 for c in token if c.isupper())
    return upper >= 2 and upper >= 0.6 * len(token)


def _initials_match(words: list[str], letters: str) -> bool:
    return len(words) == len(letters) and "".join(fold(w)[:1] for w in words) == letters


def find_definitions(text: str) -> Iterable[tuple[str, str]]:
    """(folded abbreviation, expansion) pairs defined in a text, in order of appearance."""
    found: list[tuple[int, str, str]] = []
    for match in _DEFINED.finditer(text):
        token = match.group(1)
        if not _is_abbreviation(token):
            continue
        letters = _letters(token)
        words = syllables(text[max(0, match.start() - 160) : match.start()])
        candidate = words[max(0, len(words) - len(letters)) :]
        if _initials_match(candidate, letters):
            found.append((match.start(), letters, " ".join(candidate)))
    for match in _GLOSSARY.finditer(text):
        token = match.group(1)
        if not _is_abbreviation(token):
            continue
        letters = _letters(token)
        candidate = syllables(match.group(2))[: len(letters)]
        if _initials_match(candidate, letters):
            found.append((match.start(), letters, " ".join(candidate)))
    for _, letters, expansion in sorted(found):
        yield letters, expansion


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
