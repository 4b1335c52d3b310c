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
