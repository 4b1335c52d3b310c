"""On-disk generations of the index and the atomic switch between them.

Layout under `settings.index_dir`:
    CURRENT              names the live generation ("gen-000007"); replaced by atomic rename
    .lock                held by the one writer (filelock)
    gen-000007/          documents.jsonl, files.jsonl, chunks.jsonl, vectors.npy, faiss.index, faiss_ids.json,
                         bm25/*, manifest.json (sha256 of every other file, counts, embedder name and dim)

A generation is written under `gen-N.tmp/`, fsynced and renamed to `gen-N/`; only then is CURRENT flipped.
A crash at any point leaves CURRENT naming the previous, complete generation. Readers verify checksums as
they read each file, so a damaged generation is reported instead of half-loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from index.base import Vectors
from index.bm25_index import Bm25Index
from index.faiss_store import FaissStore
from troly.errors import IndexCorruptError, TrolyError
from troly.records import Chunk, Document, DocumentProfile

FORMAT = 1
CURRENT = "CURRENT"
LOCK = ".lock"
MANIFEST = "manifest.json"
ABBREVIATIONS = "abbreviations.json"
PROFILES = "profiles.jsonl"
REBUILD_HINT = "Hãy chạy: troly index rebuild"

T = TypeVar("T", bound=BaseModel)


class IndexBusyError(TrolyError):
    code = "index_busy"


class FileState(BaseModel):
    """What incremental ingestion needs to know about a document's file without parsing it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    path: str
    size: int
    mtime_ns: int
    sha256: str
    processing: str = ""
    """How the file was turned into chunks (`ingest.pipeline.processing_fingerprint`); a file recorded with
    another fingerprint (older troly, other chunk sizes) is processed again although its bytes are the same."""


class EmbedderInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    dim: int


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = FORMAT
    generation: int
    parent: int | None = None
    created: float = Field(default_factory=time.time)
    embedder: EmbedderInfo | None = None
    counts: dict[str, int]
    files: dict[str, str] = Field(description="Relative path -> sha256 of every file of the generation.")


@dataclass
class SnapshotData:
    """Everything a generation holds; `vectors` rows align with `chunks` (None without an embedder)."""

    documents: list[Document]
    files: list[FileState]
    chunks: list[Chunk]
    vectors: Vectors | None
    embedder: EmbedderInfo | None
    abbreviations: dict[str, str] = field(default_factory=dict)
    profiles: list[DocumentProfile] = field(default_factory=list)
    """One per document (see `ingest.profile`); generations written before profiles existed have none."""


def generation_name(generation: int) -> str:
    return f"gen-{generation:06d}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _jsonl(records: list[Any]) -> bytes:
    return "".join(r.model_dump_json() + "\n" for r in records).encode("utf-8")


class Generation:
    """A published generation, read lazily: each file is checked against the manifest when first read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest = self._read_manifest()
        self._cache: dict[str, Any] = {}

    @property
    def number(self) -> int:
        return self.manifest.generation

    def _corrupt(self, what: str) -> IndexCorruptError:
        return IndexCorruptError(f"Chỉ mục bị hỏng ({self.folder.name}: {what}). {REBUILD_HINT}")

    def _read_manifest(self) -> Manifest:
        try:
            return Manifest.model_validate_json((self.folder / MANIFEST).read_bytes())
        except (OSError, ValidationError, ValueError) as exc:
            raise self._corrupt(f"không đọc được {MANIFEST}") from exc

    def _bytes(self, name: str) -> bytes:
        expected = self.manifest.files.get(name)
        if expected is None:
            raise self._corrupt(f"thiếu {name} trong manifest")
        try:
            data = (self.folder / name).read_bytes()
        except OSError as exc:
            raise self._corrupt(f"không đọc được {name}") from exc
        if _sha256(data) != expected:
            raise self._corrupt(f"{name} sai mã kiểm tra sha256")
        return data

    def _cached(self, key: str, read: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    def _records(self, name: str, model: type[T]) -> list[T]:
        try:
            lines = self._bytes(name).splitlines()
            return [model.model_validate_json(line) for line in lines if line.strip()]
        except ValidationError as exc:
            raise self._corrupt(f"{name} có dòng không hợp lệ") from exc

    def documents(self) -> list[Document]:
        docs: list[Document] = self._cached("documents", lambda: self._records("documents.jsonl", Document))
        return docs

    def files(self) -> list[FileState]:
        files: list[FileState] = self._cached("files", lambda: self._records("files.jsonl", FileState))
        return files

    def chunks(self) -> list[Chunk]:
        chunks: list[Chunk] = self._cached("chunks", lambda: self._records("chunks.jsonl", Chunk))
        return chunks

    def vectors(self) -> Vectors | None:
        if self.manifest.embedder is None:
            return None

        def read() -> Vectors:
            import io

            try:
                matrix = np.load(io.BytesIO(self._bytes("vectors.npy")), allow_pickle=False)
            except ValueError as exc:
                raise self._corrupt("vectors.npy không đọc được") from exc
            return np.ascontiguousarray(matrix, dtype=np.float32)

        vectors: Vectors = self._cached("vectors", read)
        return vectors

    def faiss(self) -> FaissStore | None:
        if self.manifest.embedder is None:
            return None

        def read() -> FaissStore:
            self._bytes("faiss.index")
            self._bytes("faiss_ids.json")
            return FaissStore.load(self.folder)

        store: FaissStore = self._cached("faiss", read)
        return store

    def vector_store(self) -> FaissStore | None:
        return self.faiss()

    def bm25(self) -> Bm25Index:
        def read() -> Bm25Index:
            for name in self.manifest.files:
                if name.startswith("bm25/"):
                    self._bytes(name)
            try:
                return Bm25Index.load(self.folder / "bm25", self.manifest.counts.get("chunks", 0))
            except (OSError, ValueError, KeyError) as exc:
                raise self._corrupt("không đọc được chỉ mục BM25") from exc

        index: Bm25Index = self._cached("bm25", read)
        return index

    def abbreviations(self) -> dict[str, str]:
        """Abbreviations the corpus defines (absent in generations written before they were learnt)."""
        if ABBREVIATIONS not in self.manifest.files:
            return {}

        def read() -> dict[str, str]:
            try:
                data = json.loads(self._bytes(ABBREVIATIONS))
            except ValueError as exc:
                raise self._corrupt(f"{ABBREVIATIONS} không đọc được") from exc
            return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

        found: dict[str, str] = self._cached("abbreviations", read)
        return found

    def profiles(self) -> list[DocumentProfile]:
        """Stored document profiles (empty in generations written before profiles existed)."""
        if PROFILES not in self.manifest.files:
            return []
        found: list[DocumentProfile] = self._cached(
            "profiles", lambda: self._records(PROFILES, DocumentProfile)
        )
        return found

    def verify(self) -> list[str]:
        """Every problem of this generation (empty when sound): checksums, counts, alignment."""
        problems: list[str] = []
        for name in self.manifest.files:
            try:
                self._bytes(name)
            except IndexCorruptError as exc:
                problems.append(exc.message)
        if problems:
            return problems
        try:
            chunks, docs = self.chunks(), self.documents()
            if len(chunks) != self.manifest.counts.get("chunks"):
                problems.append("số đoạn không khớp manifest")
            if len(docs) != self.manifest.counts.get("documents"):
                problems.append("số tài liệu không khớp manifest")
            vectors = self.vectors()
            if vectors is not None and vectors.shape[0] != len(chunks):
                problems.append("số vector không khớp số đoạn")
            store = self.faiss()
            if store is not None and store.ids != [c.id for c in chunks]:
                problems.append("chỉ mục FAISS không khớp danh sách đoạn")
            self.bm25()
        except IndexCorruptError as exc:
            problems.append(exc.message)
        return problems


class SnapshotStore:
    """The generations folder: publish new generations atomically, open the live one, collect old ones."""

    def __init__(self, root: Path, *, lock_timeout_s: float = 120.0) -> None:
        self.root = root
        self.lock_timeout_s = lock_timeout_s

    def current_generation(self) -> int | None:
        try:
            name = (self.root / CURRENT).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"Không đọc được tệp {self.root / CURRENT}. {REBUILD_HINT}") from exc
        if not name.startswith("gen-") or not name[4:].isdigit():
            raise IndexCorruptError(f"Tệp CURRENT hỏng ('{name[:40]}'). {REBUILD_HINT}")
        return int(name[4:])

    def open(self, generation: int) -> Generation:
        folder = self.root / generation_name(generation)
        if not folder.is_dir():
            raise IndexCorruptError(f"CURRENT trỏ tới {folder.name} nhưng thư mục không còn. {REBUILD_HINT}")
        return Generation(folder)

    def current_counts(self) -> dict[str, int] | None:
        """The live generation's counts (documents, chunks, vectors) from its manifest alone, None without an
        index; read without the writer lock."""
        attempts = 0
        while True:
            attempts += 1
            generation = self.current_generation()
            if generation is None:
                return None
            try:
                return dict(self.open(generation).manifest.counts)
            except IndexCorruptError:
                # A writer may have published and collected `generation` since CURRENT was read.
                if attempts >= 3 or self.current_generation() == generation:
                    raise

    def open_current(self) -> Generation | None:
        generation = self.current_generation()
        return None if generation is None else self.open(generation)

    def existing(self) -> list[int]:
        if not self.root.is_dir():
            return []
        return sorted(int(p.name[4:]) for p in self.root.iterdir() if p.is_dir() and p.name[4:].isdigit())

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lock; a second writer waits, then fails with a clear message."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / LOCK), timeout=self.lock_timeout_s)
        try:
            with lock:
                yield
        except Timeout as exc:
            raise IndexBusyError(
                f"Chỉ mục đang được một tiến trình khác cập nhật (khoá {self.root / LOCK}); "
                f"đã chờ {self.lock_timeout_s:.0f} giây. Hãy thử lại sau."
            ) from exc

    def write(self, data: SnapshotData, bm25: Bm25Index, store: FaissStore | None, parent: int | None) -> int:
        """Write a complete new generation (not yet live) and return its number. Call under `writing()`."""
        generation = max([*self.existing(), parent or 0]) + 1
        final = self.root / generation_name(generation)
        tmp = final.with_name(final.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        (tmp / "documents.jsonl").write_bytes(_jsonl(data.documents))
        (tmp / "files.jsonl").write_bytes(_jsonl(data.files))
        (tmp / "chunks.jsonl").write_bytes(_jsonl(data.chunks))
        abbreviations = json.dumps(data.abbreviations, ensure_ascii=False, sort_keys=True)
        (tmp / ABBREVIATIONS).write_text(abbreviations, encoding="utf-8")
        (tmp / PROFILES).write_bytes(_jsonl(data.profiles))
        if data.vectors is not None and store is not None:
            with (tmp / "vectors.npy").open("wb") as handle:
                np.save(handle, data.vectors, allow_pickle=False)
            store.save(tmp)
        bm25.save(tmp / "bm25")
        checksums: dict[str, str] = {}
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            checksums[path.relative_to(tmp).as_posix()] = _sha256(path.read_bytes())
            _fsync_file(path)
        manifest = Manifest(
            generation=generation,
            parent=parent,
            embedder=data.embedder,
            counts={
                "documents": len(data.documents),
                "chunks": len(data.chunks),
                "vectors": 0 if data.vectors is None else int(data.vectors.shape[0]),
            },
            files=checksums,
        )
        (tmp / MANIFEST).write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
        _fsync_file(tmp / MANIFEST)
        if (tmp / "bm25").is_dir():
            _fsync_dir(tmp / "bm25")
        _fsync_dir(tmp)
        os.replace(tmp, final)
        _fsync_dir(self.root)
        return generation

    def publish(self, generation: int) -> None:
        """Make `generation` live: write CURRENT.tmp, fsync, atomic rename, fsync the folder."""
        tmp = self.root / (CURRENT + ".tmp")
        with tmp.open("w", encoding="ascii") as handle:
            handle.write(generation_name(generation) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / CURRENT)
        _fsync_dir(self.root)

    def collect_garbage(self, live: int, parent: int | None) -> None:
        """Drop every generation but the live one and its parent (kept so a rollback stays possible)."""
        keep = {live} if parent is None else {live, parent}
        for path in self.root.iterdir() if self.root.is_dir() else []:
            if not path.name.startswith("gen-") or not path.is_dir():
                continue
            number = path.name[4:].removesuffix(".tmp")
            if path.name.endswith(".tmp") or (number.isdigit() and int(number) not in keep):
                shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        """Nothing to release: readers open files as they go."""

    def recorded_files(self) -> list[FileState]:
        """File records of the newest generation that still reads, for `rebuild` of a damaged index."""
        candidates = sorted(self.existing(), reverse=True)
        current = None
        with suppress(IndexCorruptError):
            current = self.current_generation()
        if current is not None:
            candidates = [current] + [g for g in candidates if g != current]
        for generation in candidates:
            path = self.root / generation_name(generation) / "files.jsonl"
            try:
                lines = path.read_bytes().splitlines()
                return [FileState.model_validate_json(line) for line in lines if line.strip()]
            except (OSError, ValidationError, ValueError):
                continue
        return []
