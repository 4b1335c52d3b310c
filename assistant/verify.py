"""Checks that every number, date and proper name of an answer sentence appears in its cited evidence.

A 1.5B model copies a date wrong often enough to matter, and an official acting on a wrong date or amount
does real harm. Comparison is on canonical forms: thousands separators dropped (1.320 = 1320), decimal comma
as a point (4,2 = 4.2), dates without leading zeros and with one separator (06/09 = 6/9 = 6-9,
"ngày 6 tháng 9" = 6/9), names folded without diacritics or punctuation (TP. Cần Thơ = TP Cần Thơ).
A number or date the question itself holds counts as supported (the user supplied it); a name does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.stopwords import is_stopword
from ingest.vietnamese import WordSet, capitalised_names, fold, normalize

CITATION_MARK = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")
_NUMBER = re.compile(r"(?<![\w])\d+(?:[.,/-]\d+)*(?![\w/-])")
_THOUSANDS = re.compile(r"(?<=\d)[.,](?=\d{3}(?!\d))")
_DATE_WORDS = re.compile(r"\b(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s*(?:năm|,)\s*(\d{4}))?", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Claim:
    text: str
    kind: Literal["number", "name"]


def canonical_number(raw: str) -> str:
    """'1.320' -> '1320', '4,2' -> '4.2', '06/09/2018' -> '6/9/2018', '9-9' -> '9/9'."""
    text = _THOUSANDS.sub("", raw).replace(",", ".")
    if "/" in text or "-" in text:
        return "/".join(part.lstrip("0") or "0" for part in re.split(r"[/-]", text))
    if "." in text:
        return text
    return text.lstrip("0") or "0"


def numbers_as_written(sentence: str, evidence: str) -> str:
    """`sentence` with each number written the way its evidence writes it ("3 năm" -> "03 năm", "1320" ->
    "1.320"), when the evidence writes that value one way only: an official compares the answer with the
    quote, and the law writes "03 năm"."""
    written: dict[str, set[str]] = {}
    for raw in _NUMBER.findall(evidence):
        written.setdefault(canonical_number(raw), set()).add(raw)

    def repl(match: re.Match[str]) -> str:
        forms = written.get(canonical_number(match.group(0)), set())
        return next(iter(forms)) if len(forms) == 1 else match.group(0)

    # Citation marks ("[1]") are numbers too, and stay as they are.
    parts = re.split(f"({CITATION_MARK.pattern})", sentence)
    return "".join(p if i % 2 else _NUMBER.sub(repl, p) for i, p in enumerate(parts))


def _date_words_to_numbers(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        day, month, year = m.group(1), m.group(2), m.group(3)
        return f"{day}/{month}/{year}" if year else f"{day}/{month}"

    return _DATE_WORDS.sub(repl, text)


def number_forms(text: str) -> set[str]:
    """Canonical numbers and dates of a text, with the parts of compound ones (2025-2030 -> 2025, 2030)."""
    forms: set[str] = set()
    for raw in _NUMBER.findall(_date_words_to_numbers(normalize(text))):
        value = canonical_number(raw)
        forms.add(value)
        forms.update(value.split("/"))
        if re.fullmatch(r"\d{1,2}\.\d{1,2}", value):  # "29.10" is a date as often as a decimal
            forms.add(value.replace(".", "/"))
    return forms


def name_key(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def claims(sentence: str) -> list[Claim]:
    """The numbers, dates and capitalised multi-syllable names of an answer sentence."""
    text = _date_words_to_numbers(normalize(CITATION_MARK.sub("", sentence)))
    found = [Claim(canonical_number(raw), "number") for raw in _NUMBER.findall(text)]
    found += [Claim(name, "name") for name in capitalised_names(text)]
    return found


def _number_supported(value: str, numbers: set[str]) -> bool:
    if value in numbers:
        return True
    parts = value.split("/")
    if len(parts) < 2 or not all(p in numbers for p in parts):
        return False
    # A year range (2025-2030) may be written apart; a date needs its day/month together (6/9 + 2022).
    return all(len(p) >= 3 for p in parts) or "/".join(parts[:2]) in numbers


def _name_supported(name: str, haystack: str) -> bool:
    key = name_key(name)
    if f" {key} " in haystack:
        return True
    # A sentence-initial or title word ("Ông Trần Văn Lâu") is not part of the name.
    rest = key.split()[1:]
    return len(rest) >= 2 and f" {' '.join(rest)} " in haystack


def missing_numbers(sentence: str, evidence: str, question: str = "") -> list[str]:
    """Numbers and dates of `sentence` (canonical) found neither in `evidence` nor in `question` (a number
    the user wrote is the user's premise)."""
    numbers = number_forms(evidence) | number_forms(question)
    return [c.text for c in claims(sentence) if c.kind == "number" and not _number_supported(c.text, numbers)]


def missing_names(sentence: str, evidence: str) -> list[str]:
    """Names of `sentence` that `evidence` does not hold. The question is no support: a name the user asked
    about is exactly the one a wrong answer repeats ("VNPT trao tặng TP.HCM …" cited to another province)."""
    haystack = f" {name_key(evidence)} "
    return [c.text for c in claims(sentence) if c.kind == "name" and not _name_supported(c.text, haystack)]


def unsupported_claims(sentence: str, evidence: str, question: str = "") -> list[str]:
    """Claims of `sentence` its evidence does not hold, as written in the sentence: numbers and dates (which
    the question may also supply), names, then the sentence's own words when too many are new
    (`novel_words`)."""
    missing = missing_numbers(sentence, evidence, question) + missing_names(sentence, evidence)
    novel = novel_words(sentence, f"{evidence} {question}")
    if novel is not None:
        missing.append(novel)
    return missing


# A sentence may restate its source's subject and add a predicate of its own ("Điểm phục vụ của xã Hòa Bình
# đã đóng cửa vĩnh viễn", cited to the sentence about its opening): no number or name to check, yet false.
# The 1.5B model mostly copies its evidence (on the dev-set samples 95 of 108 answer sentences held no
# content syllable absent from their cited passages), so a sentence holding at least this many content
# syllables absent from its source and the question, making at least this share of its content syllables,
# is treated as unsupported.
MIN_NOVEL_SYLLABLES = 3
MIN_NOVEL_SHARE = 0.3


def novel_words(sentence: str, support: str) -> str | None:
    """The runs of content words of `sentence` that `support` never uses ("đóng cửa vĩnh viễn"), joined
    with " … ", when they pass both thresholds above; None otherwise."""
    # Compared with their diacritics: folded, "đóng cửa" would pass as "Đông" + "của". A word written
    # without any (a code, an unaccented source) is compared folded.
    known = WordSet(_WORD.findall(normalize(support)))
    text = CITATION_MARK.sub("", normalize(sentence))
    words = list(_WORD.finditer(text))
    content = [m for m in words if not is_stopword(m.group(0)) and not m.group(0).isdigit()]
    novel = [m for m in content if m.group(0) not in known]
    if len(novel) < MIN_NOVEL_SYLLABLES or len(novel) < MIN_NOVEL_SHARE * len(content):
        return None
    runs: list[list[str]] = []
    previous_end = -2
    for m in novel:
        if runs and text[previous_end : m.start()].strip() == "":
            runs[-1].append(m.group(0))
        else:
            runs.append([m.group(0)])
        previous_end = m.end()
    return " … ".join(" ".join(run) for run in runs)
