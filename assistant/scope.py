"""Which documents may answer a question, from the subjects it names and the document profiles.

A question that names a place is answered from the documents about that place (its subjects: an agreement's
parties, a news article's main places), else from the documents that mention it; a place no document names
is reported as missing, so the answer is a refusal that names it ("Tài liệu hiện có không có thông tin về tỉnh
Nghệ An.") instead of another province's facts. A person is scoped the same way. A question about several
places at once ("Cần Thơ và TP.HCM lần lượt …") is split into one part per place, each answered from its own
documents; a part with no document is said to have none while the others are answered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.question import NamedPlace, QuestionAnalysis
from ingest.vietnamese import fold
from troly.records import DocumentProfile

_WORD = re.compile(r"\w+")
# Folded words that join the places of a question ("Cần Thơ và với TP.HCM", "Cần Thơ, Quảng Trị").
_JOINERS = {"va", "voi", "cung", "hay", "hoac", "lan", "luot"}


@dataclass(frozen=True)
class Part:
    question: str
    """The question as this part asks it (the other parts' subjects taken out)."""
    doc_ids: frozenset[str] | None
    """The documents that may answer it; None: any."""
    label: str | None = None
    """The subject that heads this part in a several-part answer ("TP. Cần Thơ")."""
    subject_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Scope:
    parts: tuple[Part, ...]
    missing: tuple[str, ...] = ()
    """Labels of named subjects no document is about or mentions ("tỉnh Nghệ An")."""

    @property
    def answerable(self) -> bool:
        return bool(self.parts)


def _folded(text: str) -> str:
    return " ".join(fold(w) for w in _WORD.findall(text))


def documents_of_place(key: str, profiles: Sequence[DocumentProfile]) -> frozenset[str]:
    """The documents about a place, else those that name it (empty when none does). A place below the
    province matches by its folded name at any level ("xã" and "phường" are often confused), also as a party
    of an agreement ("ký kết với UBND các huyện như Quảng Xương (02/08/2018)")."""
    about = frozenset(p.doc_id for p in profiles if key in p.subject_keys())
    if about:
        return about
    if ":" not in key:
        return frozenset(p.doc_id for p in profiles if key in p.place_keys())
    name = key.split(":", 1)[1]

    def names(profile: DocumentProfile) -> set[str]:
        keys = {r.key for r in profile.places} | {q.key for a in profile.agreements for q in a.parties}
        return {k.split(":", 1)[1] for k in keys if ":" in k}

    return frozenset(p.doc_id for p in profiles if name in names(p))


def documents_of_person(name: str, profiles: Sequence[DocumentProfile]) -> frozenset[str]:
    key = _folded(name)
    return frozenset(p.doc_id for p in profiles if any(_folded(person.name) == key for person in p.people))


def plan_scope(analysis: QuestionAnalysis, profiles: Sequence[DocumentProfile]) -> Scope:
    """The parts to answer and the subjects missing from every document (see the module docstring)."""
    question = analysis.text
    if not profiles:
        return Scope((Part(question, None),))
    missing: list[str] = []
    places: list[tuple[NamedPlace, frozenset[str]]] = []
    for place in analysis.places:
        docs = documents_of_place(place.key, profiles)
        if docs:
            places.append((place, docs))
        else:
            missing.append(place.label)
    people_docs: frozenset[str] | None = None
    for person in analysis.people:
        docs = documents_of_person(person, profiles)
        if not docs:
            missing.append(f"ông/bà {person}" if not _has_honorific(question, person) else person)
            continue
        people_docs = docs if people_docs is None else people_docs & docs or people_docs | docs
    if missing and not places and people_docs is None:
        return Scope((), tuple(missing))
    if analysis.several and len(places) >= 2:
        parts = tuple(
            Part(
                _part_question(question, place, [p for p, _ in places if p is not place]),
                docs if people_docs is None else (docs & people_docs or docs),
                place.label,
                frozenset({place.key}),
            )
            for place, docs in places
        )
        return Scope(parts, tuple(missing))
    if missing and analysis.several:
        # "A và B" where B has no document: A is answered, B said to be missing.
        first = places[0][0] if places else None
        return Scope(
            (Part(question, places[0][1] if places else people_docs, first.label if first else None),),
            tuple(missing),
        )
    if missing:
        return Scope((), tuple(missing))
    scoped: frozenset[str] | None = None
    for _, found in places:
        scoped = found if scoped is None else (scoped & found or scoped | found)
    if people_docs is not None:
        scoped = people_docs if scoped is None else (scoped & people_docs or scoped)
    keys = frozenset(p.key for p, _ in places)
    return Scope((Part(question, scoped, None, keys),))


def _has_honorific(question: str, person: str) -> bool:
    at = fold(question).find(fold(person))
    return at >= 0 and re.search(r"\b(?:ong|ba)\s*$", fold(question[:at])) is not None


def _part_question(question: str, keep: NamedPlace, others: list[NamedPlace]) -> str:
    """The question with the other places and the words joining them taken out:
    "… với Cần Thơ và với TP.HCM lần lượt có giai đoạn nào?" -> "… với Cần Thơ có giai đoạn nào?"."""
    cuts: list[tuple[int, int]] = []
    for other in others:
        start, end = other.start, other.end
        # The prefix written with the place ("tỉnh", "TP") goes with it.
        before = question[:start]
        prefix = re.search(
            r"(?:\b(?:tỉnh|thành phố|TP\.?|Tp\.?|tinh|thanh pho|tp)\s*)$", before, re.IGNORECASE
        )
        if prefix:
            start = prefix.start()
        left = _joiner_run(question, start, backwards=True)
        right = _joiner_run(question, end, backwards=False)
        if left < start and other.start > keep.start:
            start = left
        elif right > end:
            end = right
        cuts.append((start, end))
    text = question
    for start, end in sorted(cuts, reverse=True):
        text = text[:start] + " " + text[end:]
    text = re.sub(r"\s*\blần lượt\b|\s*\blan luot\b", "", text)
    text = re.sub(r"\s+([?.,!])", r"\1", text)
    return " ".join(text.split())


def _joiner_run(text: str, at: int, *, backwards: bool) -> int:
    """How far the joining words ("và với", ",") reach from `at` in one direction."""
    if backwards:
        position = at
        for match in reversed(list(re.finditer(r"[\w]+|,", text[:at]))):
            word = fold(match.group(0))
            if word != "," and word not in _JOINERS:
                break
            if text[match.end() : position].strip():
                break
            position = match.start()
        return position
    position = at
    for match in re.finditer(r"[\w]+|,", text[at:]):
        word = fold(match.group(0))
        if word != "," and word not in _JOINERS:
            break
        start = at + match.start()
        if text[position:start].strip():
            break
        position = at + match.end()
    return position
