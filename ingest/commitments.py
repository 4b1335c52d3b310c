"""Commitments of an agreement: what each side says it will do, under which pillar, by when.

Read from the document text with its profile (the main agreement's parties, the people and their titles,
the units with their pillars). Three shapes of text make a commitment:
- a side followed closely by a verb of commitment: "VNPT sẽ đầu tư …", "UBND tỉnh Thanh Hóa cam kết tạo điều
  kiện …", "2 bên phối hợp xây dựng …", "Trách nhiệm của tỉnh, huy động tối đa …"; a sentence with no side
  that opens with such a verb ("Đẩy mạnh xây dựng hạ tầng 4G …") continues the previous one of its paragraph,
  and one that opens with "Hợp tác …" is a content of the agreement, so both sides';
- the items of a list of cooperation contents: "… tập trung vào những nội dung cơ bản như: Hợp tác …; Hợp tác
  …", "nội dung hợp tác của hai bên gồm …; …; …" (both sides);
- a target with a year: "phấn đấu đến năm 2025, kinh tế số … chiếm tỷ trọng 25% …".
What is not one: a reported past fact ("đã hỗ trợ", "VNPT đã trao tặng"), a side inside a subordinate phrase
("để VNPT …", "mà VNPT cung cấp", "với VNPT", "tại Thanh Hóa"), the signing sentence, the headline, and the
sentence that states the agreement's whole scope ("… trên 4 trụ cột: hạ tầng số, chính quyền số, …").

The line shown is the quote itself, trimmed of its connective ("Trong khi đó, …") and cut at a word near
`MAX_LINE` characters; the quote is always `document.text[start:end]`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ingest.chunk import sentence_spans
from ingest.gazetteer import Gazetteer
from ingest.units import mentioned_pillars, pillars_of
from ingest.vietnamese import fold, syllables
from troly.records import (
    Agreement,
    Commitment,
    CommitmentKind,
    Document,
    DocumentProfile,
    Party,
    Pillar,
    Quote,
)

COMMITMENTS_VERSION = 1
"""Raise when extraction changes what it finds: cached commitments are then made again."""

BOTH = "both"
BOTH_LABEL = "hai bên"
MAX_LINE = 220
# Words between a side and its verb: "VNPT cũng sẽ …", "UBND tỉnh Thanh Hóa cam kết …".
_REACH_WORDS = 4
# Folded verbs and modals of commitment, longest first so "tao dieu kien" wins over a shorter one.
_CUES = tuple(
    sorted(
        (
            "cam ket",
            "se",
            "phoi hop",
            "ho tro",
            "dau tu",
            "trien khai",
            "tao dieu kien",
            "dong hanh",
            "huy dong",
            "san sang",
            "co the",
            "chiu trach nhiem",
            "thanh lap",
            "xay dung",
            "cung cap",
            "dao tao",
            "tham gia",
            "thuc day",
            "day manh",
            "phan dau",
            "nang cap",
            "uu tien",
            "bo tri",
            "dam bao",
            "cho thue",
            "tu van",
            "thong nhat",
            "chi dao",
            "bao dam",
            "tiep tuc",
        ),
        key=len,
        reverse=True,
    )
)
_CUE = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in _CUES) + r")\b")
# A sentence without a side that opens with one of these continues the commitment before it.
_OPENING_VERB = re.compile(
    r"^(?:hop tac|phoi hop|ho tro|dau tu|trien khai|day manh|thuc day|xay dung|phat trien|tang cuong|"
    r"cung cap|dao tao|nang cap|uu tien)\b"
)
_COOPERATE = re.compile(r"^hop tac\b")
# Words right before a side that make it no subject: purpose, relative, object and place phrases.
_NOT_SUBJECT = frozenset(
    {
        "de",
        "ma",
        "giup",
        "cho",
        "voi",
        "tu",
        "tai",
        "nhu",
        "cung",
        "giua",
        "ve",
        "o",
        "den",
        "muon",
        "nghi",
        "vong",
    }
)
"""… and a wish or a request: "mong muốn VNPT đồng hành", "đề nghị VNPT hỗ trợ", "hy vọng VNPT …"."""
_PAST = re.compile(r"\bda\b")
_PUNCTUATION = re.compile(r"[,;:.!?()\"“”]")
_CONNECTIVE = re.compile(
    r"^(?:trong khi do|theo do|ngoai ra|dong thoi|ben canh do|cu the|theo (?:noi dung )?thoa thuan|va|do vay|"
    r"tai le ky ket|phat bieu tai buoi le|mat khac|song song do|thong qua thoa thuan hop tac ngay hom nay)"
    r"\s*,\s*",
)
_BOTH_WORDS = re.compile(r"\b(?:hai|2|cac|doi|ca hai)\s+ben\b")
# "… những nội dung cơ bản như: A; B; C", "nội dung hợp tác của hai bên gồm A; B; C".
_LIST_LEAD = re.compile(r"\b(?:noi dung|linh vuc|nhom|hang muc|nhiem vu)\b[^:;]*?(?::|\bgom\b|\bbao gom\b)")
_TARGET = re.compile(r"\b(?:phan dau|muc tieu)\b[^.;]*?\b(?:den|truoc|vao|trong)\s+nam\s+(\d{4})\b")
_DEADLINE = re.compile(
    r"(?<!dinh huong )(?<!tam nhin )\b(?:den|truoc|vao|trong)\s+"
    r"(?:(?:cuoi|dau|giua)\s+)?(?:nam|thang\s+(\d{1,2})(?:/|\s+nam\s+))\s*(\d{4})\b"
)
# Two rows are one commitment when they share this share of their words, or the smaller is this much inside
# the larger and long enough for that to mean something.
_SAME_SHARE = 0.6
_SAME_CONTAINED = 0.85
_SAME_MIN_WORDS = 8
_WRAPPING = "\"“”‘’'«» "


@dataclass(frozen=True)
class _Side:
    key: str
    label: str


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    side: _Side


@dataclass
class _Row:
    side: _Side
    start: int
    end: int
    kind: CommitmentKind
    pillar: Pillar | None
    deadline: str | None


def commitment_id(source: str, quote: str) -> str:
    """Stable for a quote of a document: a follow-up status is kept while it does not change."""
    digest = hashlib.sha256(f"{source}\n{' '.join(quote.split())}".encode()).hexdigest()
    return digest[:16]


def party_label(party: Party) -> str:
    """What officials call a side: the province for "UBND tỉnh Quảng Trị", the acronym for "Tập đoàn … (VNPT)"."""
    if party.place is not None and party.key == party.place:
        return Gazetteer.default().province(party.place).name
    acronym = re.search(r"\(([A-ZĐ][A-ZĐ0-9&-]{1,11})\)\s*$", party.name)
    if acronym:
        return acronym.group(1)
    if re.fullmatch(r"[a-z0-9]{2,12}", party.key) and party.key.upper() in party.name:
        return party.key.upper()
    return party.name


def extract_commitments(document: Document, profile: DocumentProfile) -> list[Commitment]:
    """The commitments of the document's main agreement, in text order, duplicates merged; none for a
    document that reports no agreement."""
    agreement = profile.agreement
    if agreement is None or profile.kind not in ("agreement", "news") or len(agreement.parties) < 2:
        return []
    return _Extractor(document, profile, agreement).run()


class _Extractor:
    def __init__(self, document: Document, profile: DocumentProfile, agreement: Agreement) -> None:
        self.document = document
        self.text = document.text
        self.folded = fold(document.text)
        self.profile = profile
        self.sides = [_Side(p.key, party_label(p)) for p in agreement.parties]
        self.both = _Side(BOTH, BOTH_LABEL if len(self.sides) == 2 else "các bên")
        self.mentions = sorted(self._mentions(agreement), key=lambda m: (m.start, -m.end))
        self.skip = [(a.span.start, a.span.end) for a in profile.agreements]

    # -- who is named where --------------------------------------------------------------------------------

    def _mentions(self, agreement: Agreement) -> Iterator[_Mention]:
        for party, side in zip(agreement.parties, self.sides, strict=True):
            if party.place is not None and party.key == party.place:
                yield from self._province_mentions(party.place, side)
            else:
                yield from self._organisation_mentions(party, side)
        for both in _BOTH_WORDS.finditer(self.folded):
            yield _Mention(both.start(), both.end(), self.both)
        for person in self.profile.people:
            of = self._side_of(person.organisation or "")
            if of is not None:
                yield _Mention(person.span.start, person.span.end, of)

    def _province_mentions(self, place: str, side: _Side) -> Iterator[_Mention]:
        gazetteer = Gazetteer.default()
        for found in gazetteer.find(self.text):
            if found.key == place:
                yield _Mention(found.start, found.end, side)
        noun = "thanh pho|tp" if gazetteer.province(place).kind == "city" else "tinh"
        # "Trách nhiệm của tỉnh, …": the province's own noun standing alone, not before a name.
        for word in re.finditer(rf"\b(?:{noun})\b", self.folded):
            if not self.text[word.end() : word.end() + 3].lstrip(" .")[:1].isupper():
                yield _Mention(word.start(), word.end(), side)

    def _organisation_mentions(self, party: Party, side: _Side) -> Iterator[_Mention]:
        for form in {party_label(party), party.key.upper() if len(party.key) <= 12 else ""} - {""}:
            for written in re.finditer(rf"(?<!\w){re.escape(form)}(?!\w)", self.text):
                yield _Mention(written.start(), written.end(), side)
        name = fold(party.name)
        for folded in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", self.folded):
            yield _Mention(folded.start(), folded.end(), side)

    def _side_of(self, organisation: str) -> _Side | None:
        folded = fold(organisation)
        for side in self.sides:
            if re.search(rf"(?<!\w){re.escape(fold(side.label))}(?!\w)", folded):
                return side
        return None

    # -- sentences -----------------------------------------------------------------------------------------

    def _sentences(self) -> Iterator[tuple[int, int, int]]:
        """(paragraph start, sentence start, sentence end) of the body: the headline is left out."""
        title = " ".join(self.document.title.split())
        for paragraph in re.finditer(r"[^\n]+", self.text):
            if " ".join(paragraph.group(0).split()).strip(_WRAPPING) == title.strip(_WRAPPING):
                continue
            for start, end in sentence_spans(self.text, paragraph.start(), paragraph.end()):
                yield paragraph.start(), start, end

    def run(self) -> list[Commitment]:
        rows: list[_Row] = []
        previous: tuple[int, _Side] | None = None
        for paragraph, start, end in self._sentences():
            if any(s < end and start < e for s, e in self.skip):
                continue
            found = self._sentence_rows(
                start, end, previous if previous and previous[0] == paragraph else None
            )
            rows.extend(found)
            if found:
                previous = (paragraph, found[-1].side)
        return merge_commitments(self._commitment(r) for r in rows)

    def _sentence_rows(self, start: int, end: int, previous: tuple[int, _Side] | None) -> list[_Row]:
        start, end = _trim(self.text, start, end)
        if end <= start:
            return []
        listed = self._list_rows(start, end)
        if listed:
            return listed
        if len(mentioned_pillars(self.text[start:end])) >= 3:
            return []  # the agreement's scope, not one commitment
        side = self._committing_side(start, end)
        kind: CommitmentKind = "statement"
        target = _TARGET.search(self.folded, start, end)
        if side is None and target is not None:
            side, kind = self.both, "target"
        if side is None:
            opening = _opening(self.folded, start, end)
            if _COOPERATE.match(opening):
                side, kind = self.both, "content"
            elif previous is not None and _OPENING_VERB.match(opening):
                side = previous[1]
        if side is None:
            return []
        return [_Row(side, start, end, kind, self._pillar(start, end), self._deadline(start, end))]

    def _committing_side(self, start: int, end: int) -> _Side | None:
        """The side that is the subject of a verb of commitment in the sentence, or None: the side named
        closest before the verb, within a few words and no punctuation, not in a subordinate phrase."""
        inside = self._subjects(start, end)
        for mention in inside:
            if self.folded[max(start, mention.start - 16) : mention.start].endswith("trach nhiem cua "):
                return mention.side  # "Trách nhiệm của tỉnh, …"
        for cue in _CUE.finditer(self.folded, start, end):
            before = [m for m in inside if m.end <= cue.start()]
            if not before or self.folded[: cue.start()].endswith(("su ", "viec ")):
                continue  # "sự đồng hành": a noun, not a verb
            mention = before[-1]
            gap = self.folded[mention.end : cue.start()]
            if _PUNCTUATION.search(gap) or len(gap.split()) > _REACH_WORDS or "da" in gap.split():
                continue
            joined = self._joined(before, mention)
            first = joined[0] if joined else mention
            words = self.folded[max(start, first.start - 12) : first.start].split()
            if words and words[-1] in _NOT_SUBJECT:
                continue
            clause_start = max(self.folded.rfind(",", start, first.start) + 1, start)
            if _PAST.search(self.folded, clause_start, first.start):
                continue
            return self.both if joined else mention.side
        return None

    def _subjects(self, start: int, end: int) -> list[_Mention]:
        """The mentions inside [start, end), one per span: "Quảng Trị" inside "ông Trần Phong, Chủ tịch UBND
        tỉnh Quảng Trị" is the person's mention."""
        inside: dict[tuple[int, int], _Mention] = {}
        for mention in self.mentions:
            if start <= mention.start and mention.end <= end:
                inside.setdefault((mention.start, mention.end), mention)
        spans = list(inside.values())
        return [
            m for m in spans if not any(o is not m and o.start <= m.start and m.end <= o.end for o in spans)
        ]

    def _joined(self, before: list[_Mention], mention: _Mention) -> tuple[_Mention, _Mention] | None:
        """The two mentions of a subject of both sides: "Quảng Trị và VNPT"."""
        for other in before:
            if other.side in (mention.side, self.both) or other.end > mention.start:
                continue
            if self.folded[other.end : mention.start].strip() in ("va", ",", "cung", "cung voi"):
                return other, mention
        return None

    def _list_rows(self, start: int, end: int) -> list[_Row]:
        lead = _LIST_LEAD.search(self.folded, start, end)
        if lead is None or self.folded.count(";", lead.end(), end) < 1:
            return []
        side = self._committing_side(start, lead.start()) or self.both
        rows = []
        item_start = lead.end()
        for item_end in [m.start() for m in re.finditer(";", self.text[lead.end() : end])] + [
            end - lead.end()
        ]:
            s, e = _trim(self.text, item_start, lead.end() + item_end)
            item_start = lead.end() + item_end + 1
            if e - s < 8:
                continue
            pillars = pillars_of(self.text[s:e])
            pillar = pillars[0] if len(pillars) == 1 else None
            rows.append(_Row(side, s, e, "content", pillar, self._deadline(s, e)))
        return rows if len(rows) >= 2 else []

    def _pillar(self, start: int, end: int) -> Pillar | None:
        own = pillars_of(self.text[start:end])
        if len(own) == 1:
            return own[0]
        unit = self.profile.unit_at(start, end)
        if own or unit is None:
            return None
        # The paragraph's opening names its pillar ("Về kinh tế số, …"): every sentence of it is about that one.
        lead = pillars_of(self.text[unit.start : min(unit.end, unit.start + 80)])
        return lead[0] if len(lead) == 1 else None

    def _deadline(self, start: int, end: int) -> str | None:
        match = _DEADLINE.search(self.folded, start, end)
        if match is None:
            return None
        month, year = match.group(1), match.group(2)
        return f"{year}-{int(month):02d}" if month else year

    def _commitment(self, row: _Row) -> Commitment:
        quote = self.text[row.start : row.end]
        return Commitment(
            id=commitment_id(self.document.id, quote),
            party=row.side.label,
            party_key=row.side.key,
            text=short_line(quote),
            pillar=row.pillar,
            deadline=row.deadline,
            kind=row.kind,
            citation=Quote(source=self.document.id, start=row.start, end=row.end, quote=quote),
        )


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding spaces, quotation marks and a final period."""
    while start < end and text[start] in _WRAPPING + "\t":
        start += 1
    while end > start and text[end - 1] in _WRAPPING + "\t.":
        end -= 1
    return start, end


def _opening(folded: str, start: int, end: int) -> str:
    head = folded[start:end]
    connective = _CONNECTIVE.match(head)
    return head[connective.end() :] if connective else head


def short_line(quote: str, limit: int | None = MAX_LINE) -> str:
    """The quote as one short line: without its connective, capitalised, cut at a word near `limit` (the
    whole of it with None)."""
    line = " ".join(quote.split())
    connective = _CONNECTIVE.match(fold(line))
    if connective:
        line = line[connective.end() :]
    line = line.strip(_WRAPPING)
    if limit is not None and len(line) > limit:
        cut = line.rfind(" ", 0, limit)
        line = line[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"
    return line[:1].upper() + line[1:]


def merge_commitments(commitments: Iterable[Commitment]) -> list[Commitment]:
    """One row per commitment: a later row of the same side whose words are nearly all those of an earlier
    one (a quote repeated, a target restated in a speech) joins it as another citation. Items of one list
    of contents are distinct by construction and never merge with each other."""
    kept: list[Commitment] = []
    words: list[set[str]] = []
    for commitment in commitments:
        own = {fold(w) for w in syllables(commitment.citation.quote)}
        same = next(
            (i for i, other in enumerate(kept) if _same(other, words[i], commitment, own)),
            None,
        )
        if same is None:
            kept.append(commitment)
            words.append(own)
        else:
            also = [*kept[same].also, commitment.citation, *commitment.also]
            kept[same] = kept[same].model_copy(update={"also": also})
    return kept


def _same(a: Commitment, a_words: set[str], b: Commitment, b_words: set[str]) -> bool:
    if a.party_key != b.party_key or not a_words or not b_words:
        return False
    if a.kind == b.kind == "content" and a.citation.source == b.citation.source:
        return a_words == b_words
    shared = len(a_words & b_words)
    smaller = min(len(a_words), len(b_words))
    return shared >= _SAME_SHARE * len(a_words | b_words) or (
        smaller >= _SAME_MIN_WORDS and shared >= _SAME_CONTAINED * smaller
    )
