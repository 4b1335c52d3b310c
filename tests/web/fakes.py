"""Fakes for wiring tests only: an in-memory library and a pipeline that answers from its top hit."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.events import AnswerEvent, CitationsEvent, DoneEvent, RetrievedEvent, TokenEvent
from assistant.llm.base import ChatMessage
from index.ingestion import IngestProgress
from tests.fakes.knowledge import DerivedKnowledge
from troly.errors import TrolyError
from troly.records import Answer, Chunk, Citation, Document, IngestOutcome, IngestStatus, SearchHit


@dataclass(frozen=True)
class FakeDocument:
    id: str
    title: str
    date: str | None
    content_hash: str


@dataclass
class FakeReport:
    outcomes: list[IngestOutcome]


@dataclass
class FakePrepared:
    failed: dict[str, str] = field(default_factory=dict)


class FakeLibrary(DerivedKnowledge):
    """One chunk per document; search ranks by shared lower-cased words."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.hashes: dict[str, str] = {}
        self.writes = 0

    def add_text(self, doc_id: str, text: str) -> None:
        self.texts[doc_id] = text
        self.hashes[doc_id] = hashlib.sha256(text.encode()).hexdigest()
        self.writes += 1

    def search(self, query: str, k: int | None = None, filters: Any = None) -> list[SearchHit]:
        words = set(query.lower().split())
        scored = sorted(
            ((len(words & set(text.lower().split())), doc_id) for doc_id, text in self.texts.items()),
            reverse=True,
        )
        hits = []
        for rank, (score, doc_id) in enumerate((s for s in scored if s[0] > 0), start=1):
            hits.append(SearchHit(chunk=self._chunk(doc_id), score=float(score), rank=rank))
        return hits[: k or 5]

    def _chunk(self, doc_id: str) -> Chunk:
        text = self.texts[doc_id]
        return Chunk(
            id=f"{doc_id}#0", doc_id=doc_id, ordinal=0, text=text, start=0, end=len(text), title=doc_id
        )

    def chunk(self, chunk_id: str) -> Chunk | None:
        doc_id, _, ordinal = chunk_id.rpartition("#")
        return self._chunk(doc_id) if doc_id in self.texts and ordinal == "0" else None

    def restore_accents(self, text: str) -> str:
        return text

    def corpus_names(self, text: str) -> list[str]:
        return []

    def document(self, doc_id: str) -> Document | None:
        if doc_id not in self.texts:
            return None
        text = self.texts[doc_id]
        return Document(id=doc_id, title=doc_id, content_hash=self.hashes[doc_id], text=text)

    def known_documents(self) -> list[Document]:
        return [d for d in (self.document(i) for i in sorted(self.texts)) if d is not None]

    def documents(self) -> list[FakeDocument]:
        return [FakeDocument(d, d, None, self.hashes[d]) for d in sorted(self.texts)]

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        return [self._chunk(d) for d in sorted(self.texts) if doc_id in (None, d)]

    def document_count(self) -> int:
        return len(self.texts)

    @property
    def generation(self) -> int | None:
        # The real library numbers each write; the fake counts its documents' changes.
        return self.writes

    def chunk_count(self, raw: bytes, source: str) -> int:
        """One chunk per document, as stored; bytes that are not UTF-8 cannot be ingested."""
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise TrolyError(f"Không đọc được tệp {source}: not text", code="decode") from None
        return 1

    def prepare(
        self, files: Sequence[tuple[Path, Path]], progress: Any = None, checkpoint: Any = None
    ) -> FakePrepared:
        prepared = FakePrepared()
        for staged, target in files:
            if checkpoint:
                checkpoint()
            try:
                self.chunk_count(staged.read_bytes(), target.name)
            except TrolyError as exc:
                prepared.failed[target.name] = exc.message
            if progress:
                progress(IngestProgress("embed", 1, 1, target.name))
        return prepared

    def ingest(
        self,
        paths: Sequence[Path],
        prune: bool = False,
        progress: Any = None,
        *,
        ahead: Any = None,
        checkpoint: Any = None,
    ) -> FakeReport:
        outcomes = []
        for path in paths:
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                outcomes.append(IngestOutcome(source=path.name, status="failed", reason="not text"))
                continue
            status: IngestStatus = "added" if path.name not in self.texts else "updated"
            self.add_text(path.name, text)
            outcomes.append(IngestOutcome(source=path.name, status=status, chunks=1))
        return FakeReport(outcomes)

    def remove(self, doc_id: str) -> None:
        if doc_id not in self.texts:
            raise TrolyError(f"unknown {doc_id}", code="not_found")
        del self.texts[doc_id], self.hashes[doc_id]
        self.writes += 1


@dataclass
class FakePipeline:
    """Answers with the first sentence of the top hit and cites it; `gate` blocks generation (queue tests)."""

    library: FakeLibrary
    gate: threading.Event | None = None
    started: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    histories: list[list[ChatMessage]] = field(default_factory=list)

    def stream(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        *,
        k: int | None = None,
        filters: Any = None,
        options: Any = None,
    ) -> Iterator[AnswerEvent]:
        self.histories.append(list(history))
        self.started.release()
        if self.gate is not None:
            self.gate.wait(timeout=30)
        hits = self.library.search(question, k or 3)
        yield RetrievedEvent(hits=hits)
        if not hits:
            answer = Answer(
                id=uuid.uuid4().hex, question=question, text="Không tìm thấy thông tin.", refused=True
            )
            yield DoneEvent(answer=answer)
            return
        chunk = hits[0].chunk
        quote = chunk.text.split(".")[0]
        for word in quote.split(" "):
            yield TokenEvent(text=word + " ")
        citation = Citation(n=1, source=chunk.doc_id, chunk_id=chunk.id, quote=quote, start=0, end=len(quote))
        yield CitationsEvent(citations=[citation])
        text = " ".join(quote.split(" ")) + " [1]"
        answer = Answer(
            id=uuid.uuid4().hex,
            question=question,
            text=text,
            refused=False,
            citations=[citation],
            model="fake",
        )
        yield DoneEvent(answer=answer)
