"""Vietnam's provinces and cities, found in text however they are typed: "TP.HCM", "tp hcm", "Cần Thơ", "can tho".

The table (`ingest/data/provinces.yaml`) holds the 34 units of 2025 and the 29 they absorbed, so a question
about "Bình Dương" is recognised as a place (now part of TP. Hồ Chí Minh) and not silently answered with
another province's facts. Below the province level, "xã/phường/huyện/quận/thị xã/thị trấn X" are found by
their prefix (`local_places`): no list of the 3,000-odd communes is kept.

Matching: every form is compared accent-folded, then checked as typed: a match written with diacritics must
carry the right ones and capitals ("quảng trị" lower-case in running text is not a name; "Quảng Trí" is not
"Quảng Trị"); a match typed without any diacritics is accepted as it is (officials type "can tho").
A province name right after a lower-level prefix ("thị xã Quảng Trị", "xã Hòa Bình", "P.Đồng Hới") is that
lower-level place, not the province.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import yaml

from ingest.vietnamese import fold, has_diacritics, normalize

Kind = Literal["province", "city"]
Level = Literal["province", "district", "commune"]

_WORD = re.compile(r"\w+")
# Folded text just before a name: a province prefix makes it the province; a lower-level one makes it not.
_PROVINCE_PREFIX = re.compile(r"(?:\btinh|\bthanh pho|\btp|\bt\.p)\s*\.?\s*$")
_LOWER_PREFIX = re.compile(
    r"(?:\b(?:xa|phuong|huyen|quan|thi xa|thi tran|thon|ap|khom|duong|pho|song|cau|quoc lo)"
    r"|(?<![\w.])(?:p|x|q|h|tx|tt))\s*\.?\s*$"
)
_LOCAL_PREFIX = re.compile(
    r"(?<![\w.])(?P<prefix>[Xx]ã|[Pp]hường|[Hh]uyện|[Qq]uận|[Tt]hị xã|[Tt]hị trấn|P\.|X\.|Q\.|H\.|TX\.|TT\.)[ \t]*"
)
_NAME_WORD = re.compile(r"\w+")
_LOCAL_LEVEL: dict[str, Level] = {
    "xa": "commune",
    "phuong": "commune",
    "thi tran": "commune",
    "x.": "commune",
    "p.": "commune",
    "tt.": "commune",
    "huyen": "district",
    "quan": "district",
    "thi xa": "district",
    "h.": "district",
    "q.": "district",
    "tx.": "district",
}


@dataclass(frozen=True)
class Province:
    key: str
    name: str
    kind: Kind
    status: Literal["current", "former"]
    merged_into: str | None = None
    merged_from: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    needs_prefix: bool = False
    always_prefix: bool = False

    @property
    def label(self) -> str:
        """How answers name it: "tỉnh Quảng Trị", "TP. Cần Thơ"."""
        return f"TP. {self.name}" if self.kind == "city" else f"tỉnh {self.name}"


@dataclass(frozen=True)
class PlaceMatch:
    """A province or city named in a text: `text[start:end]` is the name as written (without its prefix)."""

    key: str
    start: int
    end: int
    text: str
    prefixed: bool


@dataclass(frozen=True)
class LocalPlace:
    """A place below the province named with its prefix: "xã Hòa An", "P.Đồng Hới", "huyện Quảng Xương"."""

    level: Level
    name: str
    start: int
    end: int
    text: str

    @property
    def key(self) -> str:
        return f"{self.level}:{'-'.join(fold(self.name).split())}"


@dataclass(frozen=True)
class _Form:
    province: Province
    tokens: tuple[str, ...]
    """The form's words with diacritics, lower-case."""
    alias: bool


class Gazetteer:
    def __init__(self, provinces: list[Province]) -> None:
        self.provinces = {p.key: p for p in provinces}
        forms: dict[str, list[_Form]] = {}
        for province in provinces:
            for i, written in enumerate((province.name, *province.aliases)):
                tokens = tuple(w.lower() for w in _WORD.findall(normalize(written)))
                folded = " ".join(fold(t) for t in tokens)
                forms.setdefault(folded, []).append(_Form(province, tokens, alias=i > 0))
        self._forms = forms
        # Longest first, so "tp hcm" wins over "hcm" and "ba ria vung tau" over nothing shorter.
        patterns = sorted(forms, key=lambda f: (-len(f), f))
        joined = "|".join(r"\W{0,3}".join(map(re.escape, p.split())) for p in patterns)
        self._pattern = re.compile(rf"(?<!\w)(?:{joined})(?!\w)")

    @classmethod
    @cache
    def default(cls) -> Gazetteer:
        data = yaml.safe_load(resources.files("ingest").joinpath("data/provinces.yaml").read_text("utf-8"))
        provinces = [
            Province(
                key=u["key"],
                name=u["name"],
                kind=u["kind"],
                status=u["status"],
                merged_into=u.get("merged_into"),
                merged_from=tuple(u.get("merged_from", ())),
                aliases=tuple(u.get("aliases", ())),
                needs_prefix=bool(u.get("needs_prefix", False)),
                always_prefix=bool(u.get("always_prefix", False)),
            )
            for u in data["units"]
        ]
        return cls(provinces)

    def province(self, key: str) -> Province:
        return self.provinces[key]

    def describe(self, key: str) -> str:
        """The province's label, and what became of a former one: "tỉnh Bình Dương (nay thuộc TP. Hồ Chí Minh)"."""
        province = self.provinces[key]
        if province.merged_into:
            return f"{province.label} (nay thuộc {self.provinces[province.merged_into].label})"
        return province.label

    def find(self, text: str) -> list[PlaceMatch]:
        """Provinces and cities named in `text`, in order, with offsets into `text`."""
        folded = fold(text)
        if len(folded) != len(text):  # fold keeps lengths for Vietnamese; anything else is not matched
            return []
        found: list[PlaceMatch] = []
        for match in self._pattern.finditer(folded):
            start, end = match.span()
            words = tuple(_WORD.findall(folded[start:end]))
            written = text[start:end]
            before = folded[max(0, start - 16) : start]
            prefixed = _PROVINCE_PREFIX.search(before) is not None
            if not prefixed and _LOWER_PREFIX.search(before):
                continue
            form = self._form(" ".join(words), written, prefixed)
            if form is not None:
                found.append(PlaceMatch(form.province.key, start, end, written, prefixed))
        return found

    def _form(self, folded: str, written: str, prefixed: bool) -> _Form | None:
        typed = [w for w in _WORD.findall(normalize(written))]
        accented = has_diacritics(written)
        for form in self._forms.get(folded, []):
            if form.province.always_prefix and not form.alias and not prefixed:
                continue
            if accented:
                if tuple(w.lower() for w in typed) != form.tokens:
                    continue
                if not all(w[0].isupper() for w in typed):
                    continue
            elif form.province.needs_prefix and not prefixed and not all(w[0].isupper() for w in typed):
                continue
            return form
        return None


def local_places(text: str) -> list[LocalPlace]:
    """Places below the province, named with their prefix and up to four capitalised words (or a number:
    "Phường 5"), in order."""
    found = []
    for match in _LOCAL_PREFIX.finditer(text):
        level = _LOCAL_LEVEL.get(fold(match.group("prefix")))
        if level is None:
            continue
        end = match.end()
        words = 0
        for word in _NAME_WORD.finditer(text, match.end()):
            gap = text[end : word.start()]
            if words and (gap != " " or not word.group(0)[0].isupper()):
                break
            token = word.group(0)
            # A name is title-case ("Đồng Hới") or a number ("Phường 5"); "P.ĐTĐH" is a department (Phòng).
            if not words and (
                word.start() != match.end()
                or not (token[0].isupper() or token.isdigit())
                or (len(token) > 1 and token.isupper())
            ):
                break
            end = word.end()
            words += 1
            if words == 4 or word.group(0).isdigit():
                break
        if words:
            name = text[match.end() : end]
            found.append(LocalPlace(level, name, match.start(), end, text[match.start() : end]))
    return found
