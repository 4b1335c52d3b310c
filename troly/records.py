"""Typed records that flow one way: Document -> Chunk -> SearchHit -> Citation -> Answer.

Every record carries its ids, its source (the document path relative to the ingested root) and character
offsets into the cleaned document text, so a citation can always point back to the exact span.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Document(Record):
    """One ingested file after loading and cleaning."""

    id: str = Field(description="Path relative to the ingested root, POSIX separators; also the `source`.")
    title: str
    date: str | None = Field(default=None, description="Publication date as ISO 'YYYY-MM-DD' or 'YYYY-MM'.")
    content_hash: str = Field(description="SHA-256 of the raw file bytes.")
    text: str = Field(description="Cleaned text, Unicode NFC; offsets of chunks and citations point into it.")
    path: str = Field(default="", description="Absolute path of the file it was read from.")
    file_type: str = ""

    @property
    def source(self) -> str:
        return self.id


class Chunk(Record):
    id: str = Field(description="Stable id: '<doc_id>#<ordinal>'.")
    doc_id: str
    ordinal: int
    text: str
    start: int = Field(description="Offset of the first character in Document.text.")
    end: int = Field(description="Offset one past the last character in Document.text.")
    title: str = ""
    date: str | None = None
    heading: str | None = None

    @property
    def source(self) -> str:
        return self.doc_id


class SearchHit(Record):
    chunk: Chunk
    score: float
    rank: int
    bm25: float | None = None
    dense: float | None = None


class Citation(Record):
    n: int
    source: str
    chunk_id: str
    quote: str
    start: int = Field(description="Offset of the quote in the document's cleaned text.")
    end: int
    title: str = ""
    date: str | None = None
    unit: str | None = Field(
        default=None, description="The unit the quote lies in: 'khoản 2, điểm a', 'đoạn 5 (kinh tế số)'."
    )


class EvidencePassage(Record):
    """The best evidence passage of an answer, shown before the model writes ("Nguồn liên quan")."""

    source: str
    chunk_id: str
    title: str = ""
    date: str | None = None
    quote: str
    start: int = Field(description="Offset of the quote in the document's cleaned text.")
    end: int
    unit: str | None = None


class Answer(Record):
    id: str
    question: str
    text: str
    refused: bool
    citations: list[Citation] = Field(default_factory=list)
    unsupported: list[str] = Field(
        default_factory=list, description="Numbers, dates or names in the answer not found in its evidence."
    )
    retrieved: list[SearchHit] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    model: str = ""
    format: Literal["text", "list"] = Field(
        default="text", description="'list': `text` is a lead line then items, one per line, each after '- '."
    )
    evidence: EvidencePassage | None = Field(
        default=None,
        description="The best evidence passage, streamed before the answer (`answer.evidence_first`).",
    )


class FileFailure(Record):
    """A file that could not be ingested, with a reason a user can act on."""

    path: str
    reason: str


IngestStatus = Literal["added", "updated", "skipped", "failed", "removed"]


class IngestOutcome(Record):
    source: str
    status: IngestStatus
    chunks: int = 0
    reason: str | None = None


# -- what ingest knows about a document: its profile and its units ------------------------------------------
# Made from the document text at ingest, stored with the index generation, read by the answer pipeline and the
# claim checks. Every field carries the offsets of the text it came from (`document.text[start:end]`).

Pillar = Literal["hạ tầng số", "chính quyền số", "kinh tế số", "xã hội số"]
PILLARS: tuple[Pillar, ...] = ("hạ tầng số", "chính quyền số", "kinh tế số", "xã hội số")
UnitKind = Literal["article", "clause", "point", "item", "paragraph"]
DocumentKind = Literal["agreement", "statute", "regulation", "procedure", "news", "other"]


class TextSpan(Record):
    start: int
    end: int
    text: str = Field(description="document.text[start:end]")


class Unit(Record):
    """A passage a citation can point to: an article (Điều), a clause (khoản), a point (điểm), a list item, or
    a paragraph of prose, with the pillars it is about."""

    id: str = Field(description="'<doc_id>@<start>'")
    kind: UnitKind
    label: str = Field(description="'Điều 6', 'khoản 2', 'điểm a', 'đoạn 3'")
    start: int
    end: int
    parent: str | None = None
    pillars: list[Pillar] = Field(default_factory=list)

    def contains(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end


class PlaceRef(Record):
    key: str = Field(description="Gazetteer key ('quang-tri') or '<level>:<folded-name>' below a province.")
    name: str = Field(description="Canonical name ('Quảng Trị'; a local place as written).")
    level: Literal["province", "city", "district", "commune"]
    span: TextSpan


class PersonRef(Record):
    name: str
    role: str | None = Field(default=None, description="'Phó chủ tịch', as written.")
    organisation: str | None = Field(default=None, description="'UBND tỉnh Quảng Trị', as written.")
    span: TextSpan

    @property
    def title(self) -> str | None:
        return None if self.role is None else f"{self.role} {self.organisation or ''}".strip()


class Party(Record):
    name: str = Field(
        description="As written ('UBND tỉnh Quảng Trị', 'Tập đoàn ... (VNPT)'); a counterpart of a list gets the "
        "list's noun ('UBND các huyện như Quảng Xương (…)' -> 'UBND huyện Quảng Xương')."
    )
    key: str = Field(description="What identifies the party: 'quang-tri', 'vnpt', 'district:nga-son', ...")
    place: str | None = Field(default=None, description="Gazetteer key of the province the party governs.")
    span: TextSpan


class DateValue(Record):
    value: str = Field(description="ISO 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY'.")
    span: TextSpan
    inferred_year: bool = Field(default=False, description="The year came from the publication date.")


class YearRange(Record):
    start: int
    end: int
    span: TextSpan


class YearValue(Record):
    year: int
    span: TextSpan


class Agreement(Record):
    parties: list[Party]
    level: Literal["province", "local", "organisation"]
    signed: DateValue | None = None
    place: TextSpan | None = Field(default=None, description="Where it was signed: 'P.Đồng Hới'.")
    period: YearRange | None = Field(default=None, description="'giai đoạn 2025 - 2030'.")
    horizon: YearValue | None = Field(default=None, description="'định hướng đến năm 2035'.")
    span: TextSpan = Field(description="The sentence that states the signing.")
    other_dates: list[DateValue] = Field(
        default_factory=list, description="Signing dates the text also gives and that contradict `signed`."
    )

    def party_keys(self) -> set[str]:
        return {p.key for p in self.parties}


class Subject(Record):
    key: str
    name: str
    kind: Literal["place", "organisation", "act", "body"]
    span: TextSpan | None = None


class DocumentProfile(Record):
    """Who and what a document is about, made from its text at ingest."""

    doc_id: str
    version: int = Field(default=0, description="`ingest.profile.PROFILE_VERSION` that made it.")
    text_sha256: str = Field(default="", description="SHA-256 of the document text it was made from.")
    kind: DocumentKind = "other"
    subjects: list[Subject] = Field(default_factory=list)
    places: list[PlaceRef] = Field(default_factory=list)
    people: list[PersonRef] = Field(default_factory=list)
    agreements: list[Agreement] = Field(default_factory=list)
    pillars: list[Pillar] = Field(default_factory=list)
    units: list[Unit] = Field(default_factory=list)
    problems: list[str] = Field(
        default_factory=list, description="Contradictions or gaps found while profiling (two signing dates)."
    )

    @property
    def agreement(self) -> Agreement | None:
        """The document's main agreement: the first at province level, else the first."""
        return next((a for a in self.agreements if a.level == "province"), None) or next(
            iter(self.agreements), None
        )

    def subject_keys(self) -> set[str]:
        return {s.key for s in self.subjects}

    def place_keys(self) -> set[str]:
        return {p.key for p in self.places}

    def unit_at(self, start: int, end: int) -> Unit | None:
        """The smallest unit holding [start, end)."""
        holding = [u for u in self.units if u.contains(start, end)]
        return min(holding, key=lambda u: u.end - u.start) if holding else None


# -- the commitment tracker: what each side of an agreement commits to (see `ingest.commitments`) -----------

CommitmentKind = Literal["statement", "content", "target"]
FollowUpState = Literal["chưa triển khai", "đang triển khai", "hoàn thành"]
FOLLOW_UP_STATES: tuple[FollowUpState, ...] = ("chưa triển khai", "đang triển khai", "hoàn thành")


class Quote(Record):
    """A passage of a document: `quote == document.text[start:end]`."""

    source: str
    start: int
    end: int
    quote: str


class Commitment(Record):
    id: str = Field(description="Stable while the document and the quote are unchanged.")
    party: str = Field(description="The side that commits: 'VNPT', the province ('Quảng Trị') or 'hai bên'.")
    party_key: str = Field(description="'vnpt', 'quang-tri', ... or 'both'.")
    text: str = Field(description="One short Vietnamese line: the quote, trimmed.")
    pillar: Pillar | None = None
    deadline: str | None = Field(default=None, description="'2025', '2025-06': when the text gives one.")
    kind: CommitmentKind = Field(
        default="statement",
        description="'statement' (a side says it will), 'content' (an item of the agreement's contents), "
        "'target' (a goal with a year).",
    )
    citation: Quote
    also: list[Quote] = Field(
        default_factory=list, description="The same commitment stated again (merged duplicates)."
    )


class TrackedParty(Record):
    name: str = Field(description="What officials call it: 'VNPT', 'Quảng Trị'.")
    key: str
    written: str = Field(description="As the document writes it: 'UBND tỉnh Quảng Trị'.")


class Period(Record):
    start: int
    end: int


class TrackedAgreement(Record):
    """One agreement with its commitments; several documents about it are one entry (`sources`)."""

    id: str
    document: str = Field(description="The first document that reports it.")
    sources: list[str]
    title: str
    parties: list[TrackedParty]
    province: str | None = Field(default=None, description="Gazetteer key of the province side.")
    signed: str | None = None
    place: str | None = None
    period: Period | None = None
    horizon: int | None = None
    pillars: list[Pillar] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)
