"""What a question names and asks for, typed with or without diacritics.

The analysis finds the places (provinces and cities from the gazetteer, "huyện/xã/phường X" below them), the
people (a name the indexed documents hold, or one shaped like a Vietnamese name), the pillars, a role asked
about ("Chủ tịch UBND tỉnh Thanh Hóa là ai?"), a person whose role is asked ("Ông Phan Văn Mãi giữ chức vụ
gì?"), the agreement fields asked (period, horizon, signing date and place), and whether the question asks
about several subjects at once ("Cần Thơ và TP.HCM lần lượt …") or for a list. The answer pipeline scopes
evidence and checks claims with it; nothing here calls a model.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ingest.gazetteer import Gazetteer, local_places
from ingest.people import FAMILY_NAMES, ROLES, organisation_end, role_key
from ingest.units import mentioned_pillars
from ingest.vietnamese import fold, has_diacritics, normalize
from troly.records import DocumentProfile, Pillar

Attribute = Literal["period", "horizon", "signed", "place"]

_WORD = re.compile(r"\w+")
_ROLE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(fold(r)).replace(r"\ ", r"\s+") for r in ROLES) + r")(?!\w)"
)
_WHO = re.compile(r"\b(?:la ai|ai la|ten (?:la )?gi|la nguoi nao|ho ten)\b")
_ROLE_ASK = re.compile(
    r"\b(?:giu chuc vu gi|chuc vu (?:gi|nao|la gi)|la ai|lam gi|giu vai tro gi|cuong vi gi)\b"
)
_HONORIFIC = re.compile(r"(?<!\w)(?:ong|ba)\s+", re.IGNORECASE)
# Folded stop words after a role in a question: where the organisation asked about ends.
_ROLE_ORG_STOP = re.compile(
    r"\b(?:tai|la|phat bieu|trong|cua|o|khi|ve|da|se|co|duoc|noi|cho biet|hien nay|hien tai|nam|ngay)\b"
)
# Folded words that follow a person's name in a question typed in lower case ("ong tran van lau la ai").
_AFTER_NAME = frozenset(
    [
        "la",
        "co",
        "lam",
        "giu",
        "da",
        "se",
        "noi",
        "phat",
        "bieu",
        "cho",
        "tai",
        "o",
        "ve",
        "duoc",
        "dang",
        "hien",
        "chuc",
    ]
)
_LOCAL_PREFIX = re.compile(r"\b(?:xa|phuong|huyen|quan|thi xa|thi tran)\s+")
_ATTRIBUTES: tuple[tuple[Attribute, re.Pattern[str]], ...] = (
    (
        "period",
        re.compile(
            r"\bgiai doan\b(?!\s+\d)|\b(?:thoi han|keo dai|hieu luc|thuc hien)\b.*\b(?:den|toi)\s+(?:nam\s+)?(?:nao|bao gio)\b"
        ),
    ),
    ("horizon", re.compile(r"\b(?:dinh huong|tam nhin|huong)\s+(?:den|toi)\s+nam\s+(?:nao|bao nhieu)\b")),
    (
        "signed",
        re.compile(
            r"\b(?:ky|ky ket|ki ket)\b.*\b(?:ngay nao|khi nao|luc nao|bao gio|thoi gian nao|thang nao|nam nao)\b"
            r"|\b(?:ngay nao|khi nao|bao gio)\b.*\b(?:ky|ky ket)\b"
        ),
    ),
    (
        "place",
        re.compile(r"\b(?:ky|ky ket|le ky ket)\b.*\b(?:o dau|tai dau|dia diem nao|noi nao|dien ra o dau)\b"),
    ),
)
_SEVERAL = re.compile(r"\b(?:lan luot|so sanh|khac nhau|giong nhau|moi ben|tung)\b")
_LIST = re.compile(
    r"\b(?:nhung|cac)\b.*\b(?:nao|gi)\b|\bgom\b.*\b(?:nhung|cac)?\b.*\b(?:nao|gi)\b|\bnhung ai\b|\bliet ke\b"
)


@dataclass(frozen=True)
class NamedPlace:
    """A place the question names: a gazetteer key ("quang-tri") or a local key ("district:quang-xuong")."""

    key: str
    text: str
    start: int
    end: int
    label: str
    """How a refusal names it: "tỉnh Nghệ An", "tỉnh Bình Dương (nay thuộc TP. Hồ Chí Minh)", "huyện X"."""


@dataclass(frozen=True)
class RoleAsk:
    """ "Chủ tịch UBND TP Cần Thơ … là ai?": the role and the organisation written after it."""

    role: str
    organisation: str

    @property
    def text(self) -> str:
        return f"{self.role} {self.organisation}".strip()


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    places: tuple[NamedPlace, ...] = ()
    people: tuple[str, ...] = ()
    """People the question names, as typed."""
    pillars: tuple[Pillar, ...] = ()
    role: RoleAsk | None = None
    person: str | None = None
    """The person whose role is asked ("Ông Phan Văn Mãi giữ chức vụ gì?")."""
    attributes: tuple[Attribute, ...] = ()
    several: bool = False
    """Several subjects answered each on its own ("A và B lần lượt …", "so sánh A và B")."""
    wants_list: bool = False
    subject_words: frozenset[str] = field(default_factory=frozenset)
    """Folded words of the named places and people: evidence need not repeat them to support an answer."""


def _folded_words(text: str) -> list[str]:
    return [fold(w) for w in _WORD.findall(text)]


def known_people(profiles: Iterable[DocumentProfile]) -> dict[str, str]:
    """Folded name -> name as the documents write it."""
    return {" ".join(_folded_words(p.name)): p.name for profile in profiles for p in profile.people}


def _find_people(question: str, people: dict[str, str]) -> list[str]:
    """Names the documents hold, found however they are typed, then Vietnamese-looking names after
    "ông"/"bà" or starting with a family name that no document holds (the question may ask about someone the
    corpus does not know)."""
    folded = " ".join(_folded_words(question))
    found = [name for key, name in people.items() if re.search(rf"(?<!\w){re.escape(key)}(?!\w)", folded)]
    accented = has_diacritics(question)
    for match in _HONORIFIC.finditer(fold(question)):  # fold keeps offsets: "Ông" is found as "ong"
        words = _WORD.findall(question[match.end() :])[:4]
        if len(words) < 2:
            continue
        # The name ends at the first word not capitalised, or, typed in lower case, at the question's own
        # words ("ong tran van lau la ai").
        typed = list(
            itertools.takewhile(lambda w: w[0].isupper() if accented else fold(w) not in _AFTER_NAME, words)
        )
        if len(typed) < 2 or fold(typed[0]) not in FAMILY_NAMES:
            continue
        key = " ".join(_folded_words(" ".join(typed)))
        if not any(key in " ".join(_folded_words(f)) or " ".join(_folded_words(f)) in key for f in found):
            found.append(" ".join(typed))
    return list(dict.fromkeys(found))


def _role_ask(question: str) -> RoleAsk | None:
    folded = fold(question)
    if not _WHO.search(folded):
        return None
    match = _ROLE.search(folded)
    if match is None:
        return None
    rest = question[match.end() :].lstrip()
    start = len(question) - len(rest)
    if has_diacritics(question):
        end = organisation_end(question, start)
    else:
        stop = _ROLE_ORG_STOP.search(folded, start)
        end = stop.start() if stop else len(question)
    organisation = question[start:end].strip(" ,?.")
    return RoleAsk(question[match.start() : match.end()], organisation)


def _person_ask(question: str, people: Sequence[str]) -> str | None:
    if not people or not _ROLE_ASK.search(fold(question)) or _ROLE.search(fold(question)):
        return None
    return people[0]


def analyse(question: str, profiles: Sequence[DocumentProfile] = ()) -> QuestionAnalysis:
    text = normalize(question)
    gazetteer = Gazetteer.default()
    places: list[NamedPlace] = []
    for match in gazetteer.find(text):
        if not any(p.key == match.key for p in places):
            places.append(
                NamedPlace(match.key, match.text, match.start, match.end, gazetteer.describe(match.key))
            )
    for local in _local_places(text, profiles):
        places.append(local)
    people = _find_people(text, known_people(profiles))
    folded = fold(text)
    role = _role_ask(text)
    attributes = tuple(name for name, pattern in _ATTRIBUTES if pattern.search(folded))
    subject_words = frozenset(
        w for named in [*(p.text for p in places), *people] for w in _folded_words(named)
    )
    return QuestionAnalysis(
        text=text,
        places=tuple(places),
        people=tuple(people),
        pillars=tuple(mentioned_pillars(text)),
        role=role,
        person=_person_ask(text, people),
        attributes=attributes,
        several=len({p.key for p in places}) >= 2 and not _relation(folded),
        wants_list=_LIST.search(folded) is not None or _SEVERAL.search(folded) is not None,
        subject_words=subject_words,
    )


def _relation(folded: str) -> bool:
    """ "… sáp nhập với …", "… giữa A và B": the places are one subject together, not parts to split."""
    return re.search(r"\b(?:sap nhap|hop nhat|giua)\b", folded) is not None


def _local_places(text: str, profiles: Sequence[DocumentProfile]) -> list[NamedPlace]:
    """ "huyện Quảng Xương", typed with or without diacritics: by prefix, or by the local places the
    documents name."""
    found: dict[str, NamedPlace] = {}
    for place in local_places(text):
        found.setdefault(place.key, NamedPlace(place.key, place.text, place.start, place.end, place.text))
    folded = fold(text)
    for profile in profiles:
        # (key, the name to look for, how a refusal names it)
        named = [(r.key, r.name, r.span.text) for r in profile.places if r.level in ("district", "commune")]
        named += [
            (p.key, p.span.text, p.name)
            for a in profile.agreements
            for p in a.parties
            if p.key.startswith(("district:", "commune:"))
        ]
        for key, name_text, label in named:
            if key in found:
                continue
            name = " ".join(_folded_words(name_text))
            if len(name) < 4:
                continue
            for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", folded):
                before = folded[max(0, match.start() - 12) : match.start()]
                if _LOCAL_PREFIX.search(before + " ") or not has_diacritics(text):
                    found[key] = NamedPlace(key, text[match.start() : match.end()], *match.span(), label)
                    break
    return list(found.values())


def role_matches(ask: RoleAsk, role: str | None, organisation: str | None) -> bool:
    """Whether a person's title answers the role asked: the same role, and every place and name-word the
    question writes after it found in the person's organisation ("UBND TP Cần Thơ" ⊆ "UBND TP Cần Thơ";
    "Phó chủ tịch" is never "Chủ tịch")."""
    if role is None or role_key(role) != role_key(ask.role):
        return False
    if not ask.organisation:
        return True
    gazetteer = Gazetteer.default()
    asked_places = {m.key for m in gazetteer.find(ask.organisation)}
    held_places = {m.key for m in gazetteer.find(organisation or "")}
    if asked_places and not asked_places <= held_places:
        return False
    held = set(_folded_words(organisation or ""))
    # "UBND" and "Ủy ban nhân dân" are one body; admin words are not what tells two organisations apart.
    if {"ubnd"} & held or {"uy", "ban", "nhan", "dan"} <= held:
        held |= {"ubnd", "uy", "ban", "nhan", "dan"}
    generic = {"tinh", "thanh", "pho", "tp", "cua", "va"}
    asked_words = {w for w in _folded_words(ask.organisation) if w not in generic}
    place_words = {w for m in gazetteer.find(ask.organisation) for w in _folded_words(m.text)}
    return (asked_words - place_words) <= held
