"""The index facade: documents, chunks and vectors kept in generations; incremental ingest; hybrid search.

    library = Library.open(settings)
    report = library.ingest([Path("tai-lieu/")], prune=True)
    hits = library.search("Cần Thơ xếp hạng bao nhiêu?", k=5)

Readers see whatever generation CURRENT names (re-checked on every call, so a long-lived server picks up a
new ingest); writers hold `index/.lock`. The embedder is built on first use: BM25-only search never loads it.
An ingest job of the server loads and embeds its files first, without the lock (`prepare`), then holds the
lock only to merge them into the live generation and write it (`ingest(..., ahead=prepared)`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from index.abbreviations import expand, learn
from index.base import Embedder, Vectors
from index.bm25_index import Bm25Index
from index.faiss_store import FaissStore
from index.fusion import Fused, Ranking, rrf_fusion, single, weighted_fusion
from index.generations import GenerationView, open_generation_store
from index.ingestion import (
    Checkpoint,
    IngestProgress,
    Prepared,
    ProgressCallback,
    load_bytes,
    load_recorded,
    plan_ingest,
    try_load,
)
from index.snapshot import EmbedderInfo, FileState, SnapshotData
from index.text import (
    AccentRestorer,
    NameLexicon,
    QueryTokens,
    TermDocuments,
    document_frequencies,
    document_tokens,
    query_tokens,
)
from ingest.vietnamese import has_diacritics, normalize
from troly.errors import IndexCorruptError, TrolyError
from troly.records import Chunk, Document, DocumentProfile, IngestOutcome, IngestStatus, SearchHit
from troly.settings import RetrievalSettings, Settings

Mask = NDArray[np.bool_]
# Reads of CURRENT that may find their generation already collected by a writer before giving up.
_OPEN_ATTEMPTS = 3


class EmbedderMismatchError(TrolyError):
    code = "embedder_mismatch"


class EmptyQueryError(TrolyError):
    code = "empty_question"


class UnknownDocumentError(TrolyError):
    code = "not_found"
    exit_code = 1


@dataclass
class IngestReport:
    outcomes: list[IngestOutcome] = field(default_factory=list)
    generation: int | None = None
    elapsed_s: float = 0.0
    embedded: int = 0
    """Chunks embedded in this run (the others re-used stored vectors by text hash)."""

    def count(self, status: IngestStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("added", "updated", "skipped", "failed", "removed")}

    @property
    def failed(self) -> list[IngestOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def changed(self) -> bool:
        return any(o.status in ("added", "updated", "removed") for o in self.outcomes)


@dataclass(frozen=True)
class SearchFilters:
    """`source_prefix` matches document ids; `path_prefix` the absolute file path; dates are ISO strings
    compared as text ('2024' <= '2024-05-01'), and a chunk without a date never passes a date filter."""

    source_prefix: str | None = None
    path_prefix: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    doc_ids: frozenset[str] | None = None
    """Only these documents (the answer pipeline's scope: the documents about the subject asked)."""


def current_profile(document: Document, stored: DocumentProfile | None) -> DocumentProfile:
    """`stored` when this code made it from this text, else a new one."""
    from ingest.profile import build_profile, profile_is_current

    if stored is not None and profile_is_current(stored, document):
        return stored
    return build_profile(document)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def embed_text(chunk: Chunk) -> str:
    """What a chunk is indexed and embedded as: its document title gives the passage its topic."""
    if chunk.title and not chunk.text.startswith(chunk.title):
        return f"{chunk.title}\n{chunk.text}"
    return chunk.text


def text_key(chunk: Chunk) -> str:
    return _sha256(embed_text(chunk).encode("utf-8"))


@dataclass
class _Live:
    """A loaded generation plus the lookup tables search needs."""

    generation: GenerationView
    chunks: list[Chunk]
    positions: dict[str, int]
    restorer: AccentRestorer | None = None
    lexicon: NameLexicon | None = None
    _profiles: dict[str, DocumentProfile] | None = None
    _terms: TermDocuments | None = None

    def term_documents(self) -> TermDocuments:
        if self._terms is None:
            self._terms = document_frequencies(d.text for d in self.generation.documents())
        return self._terms

    def profiles(self) -> dict[str, DocumentProfile]:
        """The stored profiles by document id; a document without a current one (a generation written before
        profiles existed) gets one made now, in memory."""
        if self._profiles is None:
            stored = {p.doc_id: p for p in self.generation.profiles()}
            self._profiles = {d.id: current_profile(d, stored.get(d.id)) for d in self.generation.documents()}
        return self._profiles

    def accent_restorer(self) -> AccentRestorer:
        """Built on the first unaccented question, from the indexed texts."""
        if self.restorer is None:
            self.restorer = AccentRestorer(embed_text(c) for c in self.chunks)
        return self.restorer

    def name_lexicon(self) -> NameLexicon:
        """Built on the first follow-up that needs it, from the indexed texts."""
        if self.lexicon is None:
            self.lexicon = NameLexicon(c.text for c in self.chunks)
        return self.lexicon

    @classmethod
    def load(cls, generation: GenerationView) -> _Live:
        chunks = generation.chunks()
        return cls(generation, chunks, {c.id: i for i, c in enumerate(chunks)})


class Library:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._store = open_generation_store(settings)
        self._embedder = embedder
        self._live: _Live | None = None
        self._current: int | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> Library:
        """Opens lazily: nothing is read until first use, so a damaged index can still be rebuilt."""
        return cls(settings, embedder)

    # -- reading -------------------------------------------------------------------------------------------

    def _generation(self) -> _Live | None:
        # Under a lock: server threads share one Library, and `_live` and `_current` must change together.
        with self._lock:
            attempt = 0
            while True:
                attempt += 1
                current = self._store.current_generation()
                if current is None:
                    self._live, self._current = None, None
                    return None
                if current == self._current and self._live is not None:
                    return self._live
                try:
                    live = _Live.load(self._store.open(current))
                except IndexCorruptError:
                    # A writer may have published twice and collected `current` since CURRENT was read.
                    if attempt < _OPEN_ATTEMPTS and self._store.current_generation() != current:
                        continue
                    raise
                self._live, self._current = live, current
                return live

    def close(self) -> None:
        """Release the store's connections (the PostgreSQL backend's pool); a closed Library is not used again."""
        self._store.close()

    @property
    def generation(self) -> int | None:
        live = self._generation()
        return None if live is None else live.generation.number

    def documents(self) -> list[Document]:
        live = self._generation()
        return [] if live is None else list(live.generation.documents())

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents() if d.id == doc_id), None)

    def chunk(self, chunk_id: str) -> Chunk | None:
        live = self._generation()
        if live is None or chunk_id not in live.positions:
            return None
        return live.chunks[live.positions[chunk_id]]

    def profiles(self) -> list[DocumentProfile]:
        """What each indexed document is about (see `ingest.profile`), in document order."""
        live = self._generation()
        return [] if live is None else list(live.profiles().values())

    def profile(self, doc_id: str) -> DocumentProfile | None:
        live = self._generation()
        return None if live is None else live.profiles().get(doc_id)

    def abbreviations(self) -> dict[str, str]:
        """Abbreviations the corpus defines (folded -> expansion), as learnt at indexing."""
        live = self._generation()
        return {} if live is None else live.generation.abbreviations()

    def term_documents(self) -> TermDocuments:
        """How many documents use each syllable (for the answer's support checks)."""
        live = self._generation()
        return TermDocuments(0, {}, {}) if live is None else live.term_documents()

    def restore_accents(self, text: str) -> str:
        """`text` with diacritics restored from the indexed texts when typed without any, else unchanged."""
        live = self._generation()
        if live is None or not live.chunks or has_diacritics(text):
            return text
        return live.accent_restorer().restore(text, keep_case=True)

    def corpus_names(self, text: str) -> list[str]:
        """Proper names of the indexed texts that `text` holds, however it is typed ("can tho" -> the
        "can tho" of the text); see `index.text.NameLexicon`."""
        live = self._generation()
        if live is None or not live.chunks:
            return []
        return live.name_lexicon().find(text)

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        live = self._generation()
        if live is None:
            return []
        return [c for c in live.chunks if doc_id is None or c.doc_id == doc_id]

    def document_count(self) -> int:
        """Documents in the live generation, from its manifest: no lock taken, no generation loaded (for
        readiness probes, which must answer while a writer works)."""
        counts = self._store.current_counts()
        return 0 if counts is None else counts.get("documents", 0)

    def chunk_count(self, raw: bytes, source: str) -> int:
        """How many chunks a file's bytes would make (an upload's cost, before it is stored); raises
        IngestError when they cannot be ingested."""
        return len(load_bytes(self.settings, raw, source)[1])

    def verify(self) -> list[str]:
        """Problems of the live generation (empty when sound or when there is no index yet)."""
        generation = self._store.open_current()
        if generation is None:
            return []
        problems = generation.verify()
        if not problems and generation.manifest.embedder is not None and self._embedder is not None:
            problems += self._embedder_problems(generation.manifest.embedder)
        return problems

    # -- embedder ------------------------------------------------------------------------------------------

    @property
    def uses_vectors(self) -> bool:
        return self._embedder is not None or self.settings.embedding.backend != "none"

    def embedder(self) -> Embedder:
        if self._embedder is None:
            from index.embedders.factory import build_embedder

            self._embedder = build_embedder(self.settings)
        return self._embedder

    def _embedder_problems(self, recorded: EmbedderInfo) -> list[str]:
        embedder = self.embedder()
        if (embedder.name, embedder.dim) == (recorded.name, recorded.dim):
            return []
        return [
            f"Chỉ mục được tạo bằng bộ tạo vector {recorded.name} ({recorded.dim} chiều), "
            f"nhưng cấu hình hiện dùng {embedder.name} ({embedder.dim} chiều). Hãy chạy: troly index rebuild"
        ]

    def _check_embedder(self, recorded: EmbedderInfo | None) -> None:
        if recorded is None:
            if self.uses_vectors:
                raise EmbedderMismatchError("Chỉ mục được tạo không có vector. Hãy chạy: troly index rebuild")
            return
        if not self.uses_vectors:
            raise EmbedderMismatchError(
                f"Chỉ mục có vector của {recorded.name} nhưng cấu hình tắt bộ tạo vector "
                "(TROLY_EMBEDDING__BACKEND=none). Hãy chạy: troly index rebuild"
            )
        problems = self._embedder_problems(recorded)
        if problems:
            raise EmbedderMismatchError(problems[0])

    # -- search --------------------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        *,
        retrieval: RetrievalSettings | None = None,
    ) -> list[SearchHit]:
        """The k best chunks for a question, fused as `retrieval.fusion` says (settings by default)."""
        params = retrieval or self.settings.retrieval
        text = normalize(query).strip()
        if not text:
            raise EmptyQueryError("Câu hỏi trống.")
        k = k or params.k
        live = self._generation()
        if live is None or not live.chunks:
            return []
        mask = self._mask(live, filters)
        if params.expand_abbreviations:
            text = expand(text, live.generation.abbreviations())
        tokens = query_tokens(text)
        bm25 = self._bm25_ranking(live, tokens, mask, params.candidates, params.folded_weight)
        fusion = params.fusion
        depth = 2 * params.candidates
        vectors_on = live.generation.manifest.embedder is not None
        if fusion == "bm25" or not vectors_on:
            return self._hits(live, single(bm25, depth, dense=False), k, params.max_chunks_per_document)
        # The dense model saw little text typed without diacritics: it gets the question with them restored.
        restored = not tokens.accented and params.restore_accents
        dense_text = live.accent_restorer().restore(text) if restored else text
        dense = self._dense_ranking(live, dense_text, mask, params.candidates)
        if fusion == "dense":
            fused = single(dense, depth, dense=True)
        elif fusion == "rrf":
            fused = rrf_fusion(bm25, dense, params.rrf_k, depth)
        else:
            # Unrestored, dense retrieval is weak on questions typed without diacritics: it weighs less.
            full = tokens.accented or restored
            weight = params.dense_weight * (1.0 if full else params.unaccented_dense_scale)
            chunks = live.chunks
            document_of = (lambda p: chunks[p].doc_id) if params.document_fusion else None
            fused = weighted_fusion(bm25, dense, weight, depth, document_of)
        return self._hits(live, fused, k, params.max_chunks_per_document)

    def _mask(self, live: _Live, filters: SearchFilters | None) -> Mask | None:
        if filters is None or filters == SearchFilters():
            return None
        paths = {f.source: f.path for f in live.generation.files()}

        def keep(chunk: Chunk) -> bool:
            if filters.doc_ids is not None and chunk.doc_id not in filters.doc_ids:
                return False
            if filters.source_prefix and not chunk.doc_id.startswith(filters.source_prefix):
                return False
            if filters.path_prefix and not paths.get(chunk.doc_id, "").startswith(filters.path_prefix):
                return False
            if filters.date_from and (chunk.date is None or chunk.date < filters.date_from):
                return False
            if filters.date_to:
                return chunk.date is not None and chunk.date[: len(filters.date_to)] <= filters.date_to
            return True

        return np.fromiter((keep(c) for c in live.chunks), dtype=bool, count=len(live.chunks))

    def _bm25_ranking(
        self, live: _Live, tokens: QueryTokens, mask: Mask | None, depth: int, folded_weight: float
    ) -> Ranking:
        scores = live.generation.bm25().query_scores(tokens, folded_weight)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        depth = min(depth, len(scores))
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(p), float(scores[p])) for p in top if scores[p] > 0.0]

    def _dense_ranking(self, live: _Live, text: str, mask: Mask | None, depth: int) -> Ranking:
        self._check_embedder(live.generation.manifest.embedder)
        store = live.generation.vector_store()
        if store is None:
            return []
        vector = self.embedder().embed([text], "query")
        allowed = None if mask is None else {live.chunks[p].id for p in np.flatnonzero(mask)}
        found = store.search(vector, depth, allowed)
        return [(live.positions[i], s) for i, s in found if i in live.positions][:depth]

    def _hits(self, live: _Live, fused: list[Fused], k: int, per_document: int) -> list[SearchHit]:
        """The first k fused chunks, at most `per_document` from one document (0: no cap), so a long
        document with many similar chunks does not crowd out the others."""
        kept: list[Fused] = []
        seen: dict[str, int] = {}
        for f in fused:
            doc_id = live.chunks[f.position].doc_id
            if per_document and seen.get(doc_id, 0) >= per_document:
                continue
            seen[doc_id] = seen.get(doc_id, 0) + 1
            kept.append(f)
            if len(kept) == k:
                break
        return [
            SearchHit(chunk=live.chunks[f.position], score=f.score, rank=rank, bm25=f.bm25, dense=f.dense)
            for rank, f in enumerate(kept, start=1)
        ]

    # -- writing -------------------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[Path],
        prune: bool = False,
        progress: ProgressCallback | None = None,
        *,
        ahead: Prepared | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> IngestReport:
        """Add new files, replace changed ones, skip unchanged ones (by size+mtime, then sha256, never
        parsing them); with `prune`, drop documents whose files under `paths` are gone (a named folder or
        file that no longer exists included). Writes a new generation only when something changed; a file
        that fails leaves its previous version in place. A document id belongs to one file: a second file
        with the same id in one run, or a file whose id is recorded for another file that still exists, is
        reported as failed instead of replacing it (see index.ingestion). Files and vectors `ahead` (from
        `prepare`) are used instead of loading and embedding again; `checkpoint` runs between steps."""
        started = time.perf_counter()
        with self._store.writing():
            live = self._generation()
            loaded = None if ahead is None else ahead.loaded
            plan = plan_ingest(
                self.settings, live.generation if live else None, paths, prune, progress, loaded
            )
            report = IngestReport(outcomes=plan.outcomes)
            if plan.changed:
                report.generation, report.embedded = self._commit(
                    live, plan.documents, plan.files, progress, ahead, checkpoint
                )
            else:
                report.generation = self._current
        report.elapsed_s = time.perf_counter() - started
        return report

    def prepare(
        self,
        files: Sequence[tuple[Path, Path]],
        progress: ProgressCallback | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> Prepared:
        """Load, chunk and embed files ahead of `ingest`, without the writer lock, so that searches, deletes
        and other writers are not held up by the embedding. `files` are (where the bytes are now, the path
        they will be ingested from: their recorded path and document id). Chunk texts the live generation
        already has, or that repeat, are embedded once. Progress: 'scan' per file, then 'embed' with that
        file's chunks done (re-used ones count as done at once) of its total. `checkpoint` runs before each
        batch of `settings.jobs.batch_size` chunks."""
        live = self._generation()
        known: set[str] = set()
        if live is not None and live.generation.manifest.embedder is not None and self.uses_vectors:
            self._check_embedder(live.generation.manifest.embedder)
            known = {text_key(c) for c in live.chunks}
        prepared = Prepared()
        for done, (current, target) in enumerate(files, start=1):
            source = target.name
            if progress:
                progress(IngestProgress("scan", done - 1, len(files), source))
            if checkpoint:
                checkpoint()
            result = try_load(self.settings, current, source, recorded=target)
            if isinstance(result, str):
                prepared.failed[source] = result
                continue
            prepared.loaded[result.state.path] = result
            prepared.profiles[source] = current_profile(result.document, None)
            if self.uses_vectors:
                self._embed_ahead(result.chunks, known, prepared, source, progress, checkpoint)
        return prepared

    def _embed_ahead(
        self,
        chunks: list[Chunk],
        known: set[str],
        prepared: Prepared,
        source: str,
        progress: ProgressCallback | None,
        checkpoint: Checkpoint | None,
    ) -> None:
        keys = [text_key(c) for c in chunks]
        waiting: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            if key not in known and key not in prepared.vectors:
                waiting.setdefault(key, []).append(i)
        done = len(chunks) - sum(len(rows) for rows in waiting.values())
        if progress:
            progress(IngestProgress("embed", done, len(chunks), source))
        for group, vectors in self._embed_once(chunks, waiting, self.settings.jobs.batch_size, checkpoint):
            for key, vector in zip(group, vectors, strict=True):
                prepared.vectors[key] = vector
                done += len(waiting[key])
            if progress:
                progress(IngestProgress("embed", done, len(chunks), source))

    def _embed_once(
        self, chunks: list[Chunk], rows: dict[str, list[int]], batch: int, checkpoint: Checkpoint | None
    ) -> Iterator[tuple[list[str], Vectors]]:
        """(text keys, their vectors) for the text of each key of `rows` (chunk positions sharing that text),
        embedded once, `batch` at a time; `checkpoint` runs before each batch."""
        keys = list(rows)
        for start in range(0, len(keys), max(1, batch)):
            if checkpoint:
                checkpoint()
            group = keys[start : start + max(1, batch)]
            yield group, self.embedder().embed([embed_text(chunks[rows[k][0]]) for k in group], "passage")

    def remove(self, doc_id: str) -> IngestReport:
        started = time.perf_counter()
        with self._store.writing():
            live = self._generation()
            docs = [] if live is None else live.generation.documents()
            if not any(d.id == doc_id for d in docs):
                raise UnknownDocumentError(f"Không có tài liệu '{doc_id}' trong chỉ mục (xem: troly sources)")
            assert live is not None
            kept_docs = {
                d.id: (d, [c for c in live.chunks if c.doc_id == d.id]) for d in docs if d.id != doc_id
            }
            files = [f for f in live.generation.files() if f.source != doc_id]
            generation, _ = self._commit(live, kept_docs, files, None)
        outcome = IngestOutcome(source=doc_id, status="removed")
        return IngestReport([outcome], generation, time.perf_counter() - started)

    def rebuild(self, progress: ProgressCallback | None = None) -> IngestReport:
        """Re-ingest every recorded document from its file with the configured embedder; works on a damaged
        index as long as one generation's file list still reads."""
        started = time.perf_counter()
        with self._store.writing():
            recorded = self._store.recorded_files()
            if not recorded:
                raise TrolyError(
                    "Không có danh sách tệp nào để dựng lại chỉ mục; hãy nạp lại bằng: troly ingest THƯ_MỤC",
                    code="nothing_to_rebuild",
                )
            plan = load_recorded(self.settings, recorded, progress)
            generation, embedded = self._commit(self._reusable(), plan.documents, plan.files, progress)
        report = IngestReport(plan.outcomes, generation, time.perf_counter() - started, embedded)
        return report

    def _commit(
        self,
        live: _Live | None,
        documents: dict[str, tuple[Document, list[Chunk]]],
        files: list[FileState],
        progress: ProgressCallback | None,
        ahead: Prepared | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> tuple[int, int]:
        """Embed what is new, write a generation, make it live, collect old ones. Call under the lock.
        `checkpoint` runs before the BM25 index is built and before the generation is written: past the
        second, the ingest completes."""
        chunks = [c for _, doc_chunks in documents.values() for c in doc_chunks]
        docs = [d for d, _ in documents.values()]
        vectors: Vectors | None = None
        info: EmbedderInfo | None = None
        embedded = 0
        if self.uses_vectors:
            if live is not None and live.generation.manifest.embedder is not None:
                self._check_embedder(live.generation.manifest.embedder)
            early = {} if ahead is None else ahead.vectors
            vectors, embedded = self._vectors_for(live, chunks, progress, early, checkpoint)
            info = EmbedderInfo(name=self.embedder().name, dim=self.embedder().dim)
        if progress:
            progress(IngestProgress("write", 0, 1))
        if checkpoint:
            checkpoint()
        bm25 = Bm25Index.build([document_tokens(embed_text(c)) for c in chunks])
        store: FaissStore | None = None
        if vectors is not None and info is not None:
            store = FaissStore(info.dim)
            store.add([c.id for c in chunks], vectors)
        parent = self._current if live is not None else self._store_current_or_none()
        known = live.profiles() if live is not None else {}
        if ahead is not None:
            known = {**known, **ahead.profiles}
        profiles = [current_profile(d, known.get(d.id)) for d in docs]
        if checkpoint:
            checkpoint()
        data = SnapshotData(docs, files, chunks, vectors, info, learn(d.text for d in docs), profiles)
        generation = self._store.write(data, bm25, store, parent)
        self._store.publish(generation)
        self._store.collect_garbage(generation, parent)
        with self._lock:
            self._live, self._current = None, None
        if progress:
            progress(IngestProgress("write", 1, 1))
        return generation, embedded

    def _reusable(self) -> _Live | None:
        """The live generation when its vectors can be trusted for re-use: sound files, same embedder."""
        try:
            live = self._generation()
            recorded = None if live is None else live.generation.manifest.embedder
            if live is None or recorded is None or not self.uses_vectors or self._embedder_problems(recorded):
                return None
            live.generation.vectors()
            return live
        except IndexCorruptError:
            return None

    def _store_current_or_none(self) -> int | None:
        try:
            return self._store.current_generation()
        except TrolyError:
            return None

    def _vectors_for(
        self,
        live: _Live | None,
        chunks: list[Chunk],
        progress: ProgressCallback | None,
        ahead: dict[str, Vectors],
        checkpoint: Checkpoint | None,
    ) -> tuple[Vectors, int]:
        """Vectors of `chunks`, re-using stored ones by text hash (like simonw/llm's content_hash) and those
        embedded ahead; a text that repeats is embedded once. Returns them and how many texts were embedded."""
        embedder = self.embedder()
        known: dict[str, int] = {}
        old: Vectors | None = None
        if live is not None and live.generation.manifest.embedder is not None:
            old = live.generation.vectors()
            known = {text_key(c): i for i, c in enumerate(live.chunks)}
        keys = [text_key(c) for c in chunks]
        out = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            if key in ahead:
                out[i] = ahead[key]
            elif old is not None and key in known:
                out[i] = old[known[key]]
            else:
                missing.setdefault(key, []).append(i)
        done = 0
        for group, vectors in self._embed_once(
            chunks, missing, self.settings.embedding.batch_size, checkpoint
        ):
            for key, vector in zip(group, vectors, strict=True):
                out[missing[key]] = vector
            done += len(group)
            if progress:
                progress(IngestProgress("embed", done, len(missing)))
        return out, len(missing)
