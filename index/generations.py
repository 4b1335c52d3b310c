"""The generations seam: where the Library keeps its published index generations, chosen by settings.

`SnapshotStore` (index/snapshot.py) keeps them as folders under <home>/index, one machine; the default.
`PostgresSnapshotStore` (index/postgres_snapshot.py) keeps them in PostgreSQL with the vectors in pgvector,
shared by every replica (TROLY_INDEX__BACKEND=postgres). Both publish a generation only once it is complete,
keep the live one and its parent, and let one writer at a time in (`writing`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from index.base import Vectors
from index.bm25_index import Bm25Index
from index.faiss_store import FaissStore
from index.snapshot import FileState, Manifest, SnapshotData
from troly.records import Chunk, Document, DocumentProfile
from troly.settings import Settings


class DenseSearch(Protocol):
    """The part of a vector store search uses: the `k` best (chunk id, inner product) for one query vector;
    with `allowed`, only among those chunk ids (a filtered search still returns k rows when k exist)."""

    def search(self, query: Vectors, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]: ...

    def __len__(self) -> int: ...


class GenerationView(Protocol):
    """One published generation; what it returns never changes, however many are published after it."""

    @property
    def number(self) -> int: ...

    @property
    def manifest(self) -> Manifest: ...

    def documents(self) -> list[Document]: ...

    def files(self) -> list[FileState]: ...

    def chunks(self) -> list[Chunk]: ...

    def vectors(self) -> Vectors | None: ...

    def vector_store(self) -> DenseSearch | None: ...

    def bm25(self) -> Bm25Index: ...

    def abbreviations(self) -> dict[str, str]: ...

    def profiles(self) -> list[DocumentProfile]: ...

    def verify(self) -> list[str]: ...


class GenerationStore(Protocol):
    def current_generation(self) -> int | None: ...

    def open(self, generation: int) -> GenerationView: ...

    def open_current(self) -> GenerationView | None: ...

    def current_counts(self) -> dict[str, int] | None:
        """The live generation's counts (documents, chunks, vectors), None without an index; cheap, and
        without the writer lock (readiness probes ask it)."""
        ...

    def writing(self) -> AbstractContextManager[object]: ...

    def write(
        self, data: SnapshotData, bm25: Bm25Index, store: FaissStore | None, parent: int | None
    ) -> int: ...

    def publish(self, generation: int) -> None: ...

    def collect_garbage(self, live: int, parent: int | None) -> None: ...

    def recorded_files(self) -> list[FileState]: ...

    def close(self) -> None: ...


def open_generation_store(settings: Settings) -> GenerationStore:
    """The store `settings.index.backend` names."""
    if settings.index.backend == "postgres":
        from index.postgres_snapshot import PostgresSnapshotStore

        return PostgresSnapshotStore(settings)
    from index.snapshot import SnapshotStore

    return SnapshotStore(settings.index_dir, lock_timeout_s=settings.index.lock_timeout_s)
