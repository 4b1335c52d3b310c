"""Index generations in PostgreSQL (TROLY_INDEX__BACKEND=postgres): every replica reads the same ones.

Tables (troly/postgres/migrations/versions/0002_index.py): `index_generations`, `index_current` (the one
pointer to the live generation), `index_documents`, `index_files`, `index_chunks` (records as JSON, in
order), `index_artefacts` (per-generation files: abbreviations.json, the BM25 index bm25/*), and
`index_vectors` (pgvector, shared across generations by content). Like the files backend:

- a writer holds an advisory lock (`writing`): a second ingest, on this replica or another, waits for it;
  a killed replica's lock goes with its session;
- `write` puts a whole generation in one transaction, `publish` then moves the pointer: a writer killed
  before that leaves the previous generation live, and the next writer collects the leftovers;
- a reader asks for the pointer at most every `index.poll_s` seconds and reads only the generation it
  names, so an ingest through one replica is seen by every replica within that time, never half.

Per-generation and per-document artefacts are generic: a SnapshotData field named in GENERATION_FIELDS is
one JSON artefact; one named in DOCUMENT_FIELDS (a list of records, each with its `doc_id`, such as the
document profiles) is one key of each document's `artefacts` column, read back in document order. Both are
(de)serialised from SnapshotData's own type hints, so a new field is one name in one of those tuples.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
import threading
import time
import typing
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import psycopg
from pydantic import BaseModel, TypeAdapter, ValidationError

from index.base import Vectors
from index.bm25_index import Bm25Index
from index.faiss_store import FaissStore
from index.pgvector_store import PgvectorStore, ensure_hnsw_index
from index.snapshot import ABBREVIATIONS, REBUILD_HINT, EmbedderInfo, FileState, Manifest, SnapshotData
from troly.errors import IndexCorruptError
from troly.postgres.connection import PostgresClient
from troly.records import Chunk, Document, DocumentProfile
from troly.settings import Settings

T = TypeVar("T", bound=BaseModel)

WRITE_LOCK = "troly:index-write"
BM25_PREFIX = "bm25/"
GENERATION_FIELDS: tuple[str, ...] = ("abbreviations",)
DOCUMENT_FIELDS: tuple[str, ...] = ("profiles",)


def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(SnapshotData)


def _default(name: str) -> Any:
    """A SnapshotData field's default: what a generation written before the field existed holds."""
    field = next(f for f in dataclasses.fields(SnapshotData) if f.name == name)
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None if field.default is dataclasses.MISSING else field.default


def _register_vector(conn: psycopg.Connection[Any]) -> None:
    """pgvector's adapters on each new connection; before `troly db upgrade` made the extension there is
    nothing to register, and the schema check says what to run."""
    from pgvector.psycopg import register_vector

    try:
        register_vector(conn)
    except psycopg.ProgrammingError:
        conn.rollback()
    else:
        conn.commit()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PostgresGeneration:
    """One generation read from PostgreSQL, lazily, each part once; artefacts are checked by sha256."""

    def __init__(self, store: PostgresSnapshotStore, manifest: Manifest) -> None:
        self._store = store
        self.manifest = manifest
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def number(self) -> int:
        return self.manifest.generation

    def _cached(self, key: str, read: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = read()
            return self._cache[key]

    def _corrupt(self, what: str) -> IndexCorruptError:
        return IndexCorruptError(
            f"Chỉ mục bị hỏng (thế hệ {self.number} trong PostgreSQL: {what}). {REBUILD_HINT}"
        )

    def _records(self, table: str, model: type[T]) -> list[T]:
        sql = f"SELECT record::text FROM {table} WHERE generation = %s ORDER BY position"
        with self._store.connection() as conn:
            rows = conn.execute(sql, (self.number,)).fetchall()
        try:
            return [model.model_validate_json(row[0]) for row in rows]
        except ValidationError as exc:
            raise self._corrupt(f"{table} có dòng không hợp lệ") from exc

    def documents(self) -> list[Document]:
        docs: list[Document] = self._cached("documents", lambda: self._records("index_documents", Document))
        return docs

    def files(self) -> list[FileState]:
        files: list[FileState] = self._cached("files", lambda: self._records("index_files", FileState))
        return files

    def chunks(self) -> list[Chunk]:
        chunks: list[Chunk] = self._cached("chunks", lambda: self._records("index_chunks", Chunk))
        return chunks

    def vectors(self) -> Vectors | None:
        info = self.manifest.embedder
        if info is None:
            return None

        def read() -> Vectors:
            sql = (
                "SELECT v.embedding FROM index_chunks c JOIN index_vectors v ON v.id = c.vector_id "
                "WHERE c.generation = %s ORDER BY c.position"
            )
            with self._store.connection() as conn, conn.cursor(binary=True) as cursor:
                rows = cursor.execute(sql, (self.number,)).fetchall()
            if not rows:
                return np.zeros((0, info.dim), dtype=np.float32)
            return np.ascontiguousarray(np.stack([row[0].to_numpy() for row in rows]), dtype=np.float32)

        vectors: Vectors = self._cached("vectors", read)
        return vectors

    def vector_store(self) -> PgvectorStore | None:
        info = self.manifest.embedder
        if info is None:
            return None
        size = self.manifest.counts.get("vectors", 0)
        ef_search = self._store.settings.index.ef_search
        return PgvectorStore(self._store.connection, self.number, info.dim, size, ef_search)

    def _artefacts(self, prefix: str) -> dict[str, bytes]:
        names = [n for n in self.manifest.files if n.startswith(prefix)]
        if not names:
            return {}
        sql = "SELECT name, body FROM index_artefacts WHERE generation = %s AND name = ANY(%s)"
        with self._store.connection() as conn:
            rows = conn.execute(sql, (self.number, names)).fetchall()
        found = {str(name): bytes(body) for name, body in rows}
        for name in names:
            if name not in found:
                raise self._corrupt(f"thiếu {name}")
            if _sha256(found[name]) != self.manifest.files[name]:
                raise self._corrupt(f"{name} sai mã kiểm tra sha256")
        return found

    def bm25(self) -> Bm25Index:
        def read() -> Bm25Index:
            parts = self._artefacts(BM25_PREFIX)
            size = self.manifest.counts.get("chunks", 0)
            with tempfile.TemporaryDirectory(prefix="troly-bm25-") as tmp:
                for name, body in parts.items():
                    path = Path(tmp) / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(body)
                try:
                    return Bm25Index.load(Path(tmp) / BM25_PREFIX.rstrip("/"), size)
                except (OSError, ValueError, KeyError) as exc:
                    raise self._corrupt("không đọc được chỉ mục BM25") from exc

        index: Bm25Index = self._cached("bm25", read)
        return index

    def generation_field(self, name: str) -> Any:
        """A GENERATION_FIELDS value, typed as SnapshotData declares it (its default when absent)."""

        def read() -> Any:
            artefact = f"{name}.json"
            if artefact not in self.manifest.files:
                return _default(name)
            try:
                return TypeAdapter(_field_types()[name]).validate_json(self._artefacts(artefact)[artefact])
            except ValidationError as exc:
                raise self._corrupt(f"{artefact} không đọc được") from exc

        return self._cached(f"field:{name}", read)

    def document_field(self, name: str) -> Any:
        """A DOCUMENT_FIELDS value: the records of the documents that have one, in document order."""

        def read() -> Any:
            sql = (
                "SELECT artefacts -> %s FROM index_documents "
                "WHERE generation = %s AND artefacts ? %s ORDER BY position"
            )
            with self._store.connection() as conn:
                rows = conn.execute(sql, (name, self.number, name)).fetchall()
            try:
                return TypeAdapter(_field_types()[name]).validate_python([row[0] for row in rows])
            except ValidationError as exc:
                raise self._corrupt(f"{name} của tài liệu không đọc được") from exc

        return self._cached(f"document:{name}", read)

    def abbreviations(self) -> dict[str, str]:
        found: dict[str, str] = self.generation_field("abbreviations")
        return found

    def profiles(self) -> list[DocumentProfile]:
        found: list[DocumentProfile] = self.document_field("profiles")
        return found

    def verify(self) -> list[str]:
        """Every problem of this generation (empty when sound): artefacts, counts, vectors, BM25."""
        problems: list[str] = []
        try:
            self._artefacts("")
            chunks, docs = self.chunks(), self.documents()
            if len(chunks) != self.manifest.counts.get("chunks"):
                problems.append("số đoạn không khớp manifest")
            if len(docs) != self.manifest.counts.get("documents"):
                problems.append("số tài liệu không khớp manifest")
            vectors = self.vectors()
            if vectors is not None and vectors.shape[0] != len(chunks):
                problems.append("số vector không khớp số đoạn")
            if (
                vectors is not None
                and self.manifest.embedder
                and vectors.shape[1:] != (self.manifest.embedder.dim,)
            ):
                problems.append("số chiều vector không khớp bộ tạo vector")
            self.bm25()
        except IndexCorruptError as exc:
            problems.append(exc.message)
        return problems


class PostgresSnapshotStore:
    """`index.generations.GenerationStore` on PostgreSQL."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client = PostgresClient(settings.database, name="index", configure=_register_vector)
        self._current: int | None = None
        self._checked_at = float("-inf")

    def connection(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        return self._client.connection()

    def close(self) -> None:
        self._client.close()

    # -- reading -----------------------------------------------------------------------------------------

    def current_generation(self) -> int | None:
        """The published generation, asked of PostgreSQL at most every `index.poll_s` seconds."""
        now = time.monotonic()
        if now - self._checked_at < self.settings.index.poll_s:
            return self._current
        with self.connection() as conn:
            row = conn.execute("SELECT generation FROM index_current").fetchone()
        self._current = None if row is None else int(row[0])
        self._checked_at = now
        return self._current

    def open(self, generation: int) -> PostgresGeneration:
        sql = (
            "SELECT g.id, g.parent, g.created_at, g.embedder_name, g.embedder_dim, g.counts::text, "
            "coalesce(json_object_agg(a.name, a.sha256) FILTER (WHERE a.name IS NOT NULL), '{}')::text "
            "FROM index_generations g LEFT JOIN index_artefacts a ON a.generation = g.id "
            "WHERE g.id = %s GROUP BY g.id"
        )
        with self.connection() as conn:
            row = conn.execute(sql, (generation,)).fetchone()
        if row is None:
            # Collected by a writer that published twice since the pointer was read: read it afresh next time,
            # so that the Library's retry moves on to the live generation.
            self._checked_at = float("-inf")
            raise IndexCorruptError(f"Thế hệ chỉ mục {generation} không còn trong PostgreSQL. {REBUILD_HINT}")
        number, parent, created, name, dim, counts, files = row
        embedder = EmbedderInfo(name=name, dim=dim) if name is not None else None
        manifest = Manifest(
            generation=number,
            parent=parent,
            created=created.timestamp(),
            embedder=embedder,
            counts=json.loads(counts),
            files=json.loads(files),
        )
        return PostgresGeneration(self, manifest)

    def open_current(self) -> PostgresGeneration | None:
        generation = self.current_generation()
        return None if generation is None else self.open(generation)

    def current_counts(self) -> dict[str, int] | None:
        """The published generation's counts, in one query (the pointer and its row together, so never
        those of a generation collected in between)."""
        with self.connection() as conn:
            row = conn.execute(
                "SELECT g.counts::text FROM index_current c JOIN index_generations g ON g.id = c.generation"
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def recorded_files(self) -> list[FileState]:
        """File records of the live generation, else of the newest one (for `rebuild`)."""
        with self.connection() as conn:
            row = conn.execute(
                "SELECT coalesce((SELECT generation FROM index_current), (SELECT max(id) FROM index_generations))"
            ).fetchone()
            if row is None or row[0] is None:
                return []
            rows = conn.execute(
                "SELECT record::text FROM index_files WHERE generation = %s ORDER BY position", (row[0],)
            ).fetchall()
        return [FileState.model_validate_json(r[0]) for r in rows]

    # -- writing -----------------------------------------------------------------------------------------

    def writing(self) -> AbstractContextManager[object]:
        timeout = self.settings.index.lock_timeout_s
        message = (
            "Chỉ mục đang được một tiến trình khác cập nhật (khoá PostgreSQL); "
            f"đã chờ {timeout:.0f} giây. Hãy thử lại sau."
        )
        return self._client.lock(WRITE_LOCK, timeout_s=timeout, busy_message=message)

    def write(self, data: SnapshotData, bm25: Bm25Index, store: FaissStore | None, parent: int | None) -> int:
        """Write a complete generation in one transaction (not yet live); `store` is unused: the vectors go
        to pgvector. Call under `writing()`."""
        del store
        artefacts = self._artefact_bodies(data, bm25)
        fields = _field_types()
        documents_artefacts: dict[str, dict[str, Any]] = {d.id: {} for d in data.documents}
        for name in DOCUMENT_FIELDS:
            values = TypeAdapter(fields[name]).dump_python(getattr(data, name), mode="json")
            for record, value in zip(getattr(data, name), values, strict=True):
                if record.doc_id not in documents_artefacts:
                    raise ValueError(f"{name}: no document {record.doc_id!r} in this generation")
                documents_artefacts[record.doc_id][name] = value
        with self.connection() as conn:
            conn.execute("SET LOCAL statement_timeout = 0")
            row = conn.execute("SELECT coalesce(max(id), 0) FROM index_generations").fetchone()
            generation = max(int(row[0]) if row else 0, parent or 0) + 1
            counts = {
                "documents": len(data.documents),
                "chunks": len(data.chunks),
                "vectors": 0 if data.vectors is None else int(data.vectors.shape[0]),
            }
            embedder = data.embedder if data.vectors is not None else None
            conn.execute(
                "INSERT INTO index_generations (id, parent, embedder_name, embedder_dim, counts) "
                "VALUES (%s, %s, %s, %s, %s)",
                (
                    generation,
                    parent,
                    embedder and embedder.name,
                    embedder and embedder.dim,
                    json.dumps(counts),
                ),
            )
            with conn.cursor().copy(
                "COPY index_documents (generation, position, doc_id, record, artefacts) FROM STDIN"
            ) as copy:
                for position, document in enumerate(data.documents):
                    artefact_json = json.dumps(documents_artefacts.get(document.id, {}), ensure_ascii=False)
                    copy.write_row(
                        (generation, position, document.id, document.model_dump_json(), artefact_json)
                    )
            with conn.cursor().copy(
                "COPY index_files (generation, position, source, record) FROM STDIN"
            ) as copy:
                for position, state in enumerate(data.files):
                    copy.write_row((generation, position, state.source, state.model_dump_json()))
            vector_ids: list[int | None] = [None] * len(data.chunks)
            if data.vectors is not None and embedder is not None:
                vector_ids = list(self._store_vectors(conn, embedder, data.vectors))
            with conn.cursor().copy(
                "COPY index_chunks (generation, position, chunk_id, doc_id, record, vector_id) FROM STDIN"
            ) as copy:
                for position, (chunk, vector_id) in enumerate(zip(data.chunks, vector_ids, strict=True)):
                    copy.write_row(
                        (generation, position, chunk.id, chunk.doc_id, chunk.model_dump_json(), vector_id)
                    )
            with conn.cursor().copy(
                "COPY index_artefacts (generation, name, body, sha256) FROM STDIN"
            ) as copy:
                for name, body in artefacts.items():
                    copy.write_row((generation, name, body, _sha256(body)))
        return generation

    def _artefact_bodies(self, data: SnapshotData, bm25: Bm25Index) -> dict[str, bytes]:
        fields = _field_types()
        bodies: dict[str, bytes] = {}
        for name in GENERATION_FIELDS:
            value = getattr(data, name)
            if name == "abbreviations":  # byte for byte what the files backend writes
                bodies[ABBREVIATIONS] = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
            else:
                bodies[f"{name}.json"] = TypeAdapter(fields[name]).dump_json(value)
        with tempfile.TemporaryDirectory(prefix="troly-bm25-") as tmp:
            folder = Path(tmp) / BM25_PREFIX.rstrip("/")
            bm25.save(folder)
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                bodies[BM25_PREFIX + path.relative_to(folder).as_posix()] = path.read_bytes()
        return bodies

    def _store_vectors(
        self, conn: psycopg.Connection[Any], embedder: EmbedderInfo, vectors: Vectors
    ) -> list[int]:
        """The id of each row's vector in index_vectors, inserting only those not stored yet (by the sha256
        of their float32 bytes: a re-ingest re-uses the rows, and the HNSW graph only grows by new ones)."""
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        digests = [hashlib.sha256(row.tobytes()).digest() for row in matrix]
        known: dict[bytes, int] = {}
        unique = list(dict.fromkeys(digests))
        for start in range(0, len(unique), 10_000):
            batch = unique[start : start + 10_000]
            rows = conn.execute(
                "SELECT digest, id FROM index_vectors WHERE embedder = %s AND digest = ANY(%s)",
                (embedder.name, batch),
            ).fetchall()
            known.update({bytes(d): int(i) for d, i in rows})
        missing = [i for i, digest in enumerate(digests) if digest not in known]
        if missing:
            conn.execute("CREATE TEMP TABLE vectors_in (digest BYTEA, embedding vector) ON COMMIT DROP")
            with conn.cursor().copy(
                "COPY vectors_in (digest, embedding) FROM STDIN WITH (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["bytea", "vector"])
                seen: set[bytes] = set()
                for i in missing:
                    if digests[i] not in seen:
                        seen.add(digests[i])
                        copy.write_row((digests[i], matrix[i]))
            rows = conn.execute(
                "INSERT INTO index_vectors (embedder, dim, digest, embedding) "
                "SELECT %s, %s, digest, embedding FROM vectors_in "
                "ON CONFLICT (embedder, digest) DO NOTHING RETURNING digest, id",
                (embedder.name, embedder.dim),
            ).fetchall()
            known.update({bytes(d): int(i) for d, i in rows})
        index = self.settings.index
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        ensure_hnsw_index(conn, embedder.dim, index.hnsw_m, index.hnsw_ef_construction)
        return [known[d] for d in digests]

    def publish(self, generation: int) -> None:
        """Point every replica at `generation` (they see it at their next poll; this one at once)."""
        with self.connection() as conn:
            conn.execute(
                "INSERT INTO index_current (singleton, generation, published_at) VALUES (true, %s, now()) "
                "ON CONFLICT (singleton) DO UPDATE SET generation = EXCLUDED.generation, published_at = now()",
                (generation,),
            )
        self._current, self._checked_at = generation, time.monotonic()

    def collect_garbage(self, live: int, parent: int | None) -> None:
        """Drop every generation but the live one and its parent (unpublished leftovers of a killed writer
        included), then the vectors no kept chunk uses."""
        keep = [live] if parent is None else [live, parent]
        with self.connection() as conn:
            conn.execute("SET LOCAL statement_timeout = 0")
            conn.execute("DELETE FROM index_generations WHERE id <> ALL(%s)", (keep,))
            conn.execute(
                "DELETE FROM index_vectors v WHERE NOT EXISTS "
                "(SELECT 1 FROM index_chunks c WHERE c.vector_id = v.id)"
            )
