"""Vietnamese text normalisation shared by every stage.

- `normalize`: Unicode NFC and one tone-mark placement convention, so `hoà`/`hòa` and `thuỷ`/`thủy` are the
  same string. Applied to documents at ingestion and to questions, so offsets and matching agree.
- `fold`: lowercase without diacritics (`đ` -> `d`), for questions typed without accents.
- `syllables`: the word-character runs of a text; Vietnamese words are space-separated syllables, and word
  segmenters break on unaccented text, so retrieval works on syllables and syllable bigrams.
- `strip_invisible`: a typed question without the characters that show nothing (zero-width spaces, joiners,
  BOM, bidi marks, fillers), so a question made only of them counts as empty.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
_SYLLABLE = re.compile(r"\w+", re.UNICODE)
# Old-style placement (hòa, khỏe, thủy) is the one most news and legal text use: in an open syllable
# ending in oa/oe/uy the mark sits on the first vowel; with a final consonant (hoàng) both styles agree.
_OPEN_PAIR = re.compile(r"^([^aeiouy]*)(o[ae]|uy)$")


# Letters and symbols that render as nothing but are not in the format category (Cf): Hangul fillers and the
# blank Braille pattern, used to make "empty" text look non-empty.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def strip_invisible(text: str) -> str:
    """`text` without invisible characters: format characters (Cf: U+200B zero-width space, U+200C/D joiners,
    U+2060 word joiner, U+FEFF BOM, U+00AD soft hyphen, bidi marks), control characters other than tab and
    line breaks, and blank glyphs. Vietnamese needs none of them."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or (unicodedata.category(ch) not in ("Cf", "Cc", "Cs", "Co") and ch not in _BLANK_GLYPHS)
    )


def _base_letters(decomposed: str) -> str:
    """Letters without tone marks but with the vowel-shape marks (circumflex, breve, horn) kept."""
    return "".join(ch for ch in decomposed if ch not in _TONE_MARKS)


@lru_cache(maxsize=65536)
def _normalize_syllable(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONE_MARKS]
    if len(tones) != 1:
        return unicodedata.normalize("NFC", word)
    base = _base_letters(decomposed)
    match = _OPEN_PAIR.match(base.lower())
    # "qu" + vowel: the u belongs to the consonant, so "quý", "quà" keep the mark on the last vowel.
    if match is None or match.group(1).endswith("q") or (match.group(1) == "g" and base.lower()[1:2] == "i"):
        return unicodedata.normalize("NFC", word)
    first_vowel = len(match.group(1))
    letters = list(base)
    letters[first_vowel] = letters[first_vowel] + tones[0]
    return unicodedata.normalize("NFC", "".join(letters))


def normalize(text: str) -> str:
    """NFC plus one tone-mark placement convention. Keeps length changes local to single words."""
    text = unicodedata.normalize("NFC", text)
    return _SYLLABLE.sub(lambda m: _normalize_syllable(m.group(0)), text)


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold(text: str) -> str:
    """Lowercase, no diacritics, đ -> d: 'Cần Thơ xếp hạng' -> 'can tho xep hang'."""
    return _SYLLABLE.sub(lambda m: _fold_word(m.group(0)), text.lower())


def syllables(text: str) -> list[str]:
    """Lowercased NFC syllables (word-character runs) of a text."""
    return _SYLLABLE.findall(normalize(text).lower())


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese accent or đ, i.e. it was not typed without diacritics."""
    return fold(text) != text.lower()


class WordSet:
    """Words matched as typed: a word with diacritics exactly ("cửa" is not "của"), a word typed without any
    against the folded forms ("cua" matches both)."""

    def __init__(self, words: Iterable[str]) -> None:
        self._exact = frozenset(normalize(w).lower() for w in words)
        self._folded = frozenset(fold(w) for w in self._exact)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        lowered = normalize(word).lower()
        return lowered in self._exact or (not has_diacritics(lowered) and lowered in self._folded)


def capitalised_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of two or more capitalised words separated by spaces only ("Trần Văn Lâu",
    "UBND TP Cần Thơ"); digits do not count as capitalised."""
    spans: list[tuple[int, int]] = []
    run: list[re.Match[str]] = []

    def flush() -> None:
        if len(run) >= 2:
            spans.append((run[0].start(), run[-1].end()))

    for match in _SYLLABLE.finditer(text):
        joined = bool(run) and text[run[-1].end() : match.start()].isspace()
        if match.group(0)[0].isupper() and not match.group(0).isdigit():
            if run and not joined:
                flush()
                run = []
            run.append(match)
        else:
            flush()
            run = []
    flush()
    return spans


def capitalised_names(text: str) -> list[str]:
    """The text of each `capitalised_spans` run."""
    return [text[start:end] for start, end in capitalised_spans(text)]
