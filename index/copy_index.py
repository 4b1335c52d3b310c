"""Copy the live files-backend generation into PostgreSQL: the index half of `troly db copy --to URL`.

Documents, files, chunks, vectors (no re-embedding), abbreviations and the BM25 index go over as they are,
as the first generation of the target, and are verified there. With `uploads`, the uploaded files' recorded
paths move to the shared folder they were copied to, so every replica can re-read them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from index.postgres_snapshot import PostgresSnapshotStore
from index.snapshot import SnapshotData, SnapshotStore
from troly.errors import IndexCorruptError, TrolyError
from troly.settings import Settings


def _moved(path: str, old: Path, new: Path) -> str:
    prefix = str(old.resolve()).rstrip("/") + "/"
    return str(new.resolve()) + "/" + path[len(prefix) :] if path.startswith(prefix) else path


def relocate(data: SnapshotData, old: Path, new: Path) -> SnapshotData:
    """`data` with the paths of files under `old` moved under `new` (documents and file records alike)."""
    documents = [d.model_copy(update={"path": _moved(d.path, old, new)}) for d in data.documents]
    files = [f.model_copy(update={"path": _moved(f.path, old, new)}) for f in data.files]
    return replace(data, documents=documents, files=files)


def copy_index(
    source: Settings, target: Settings, uploads: tuple[Path, Path] | None = None
) -> dict[str, int]:
    """Copy `source`'s live generation (files backend) into `target` (PostgreSQL backend, no generation
    yet); the counts copied. `uploads` = (old folder, new folder) rewrites the paths of uploaded files."""
    live = SnapshotStore(source.index_dir).open_current()
    if live is None:
        return {"documents": 0, "chunks": 0, "vectors": 0}
    problems = live.verify()
    if problems:
        raise IndexCorruptError("Chỉ mục nguồn có lỗi, chưa chép: " + "; ".join(problems))
    # Every SnapshotData field: a field added to the files backend is added here too.
    data = SnapshotData(
        documents=list(live.documents()),
        files=list(live.files()),
        chunks=live.chunks(),
        vectors=live.vectors(),
        embedder=live.manifest.embedder,
        abbreviations=live.abbreviations(),
        profiles=live.profiles(),
    )
    if uploads is not None:
        data = relocate(data, *uploads)
    store = PostgresSnapshotStore(target)
    try:
        with store.writing():
            if store.current_generation() is not None:
                raise TrolyError(
                    "Cơ sở dữ liệu đích đã có chỉ mục; troly db copy chỉ chép vào cơ sở dữ liệu trống.",
                    code="target_not_empty",
                )
            generation = store.write(data, live.bm25(), None, None)
            store.publish(generation)
        copied = store.open(generation)
        problems = copied.verify()
        if problems:
            raise IndexCorruptError("Chỉ mục chép sang PostgreSQL có lỗi: " + "; ".join(problems))
        return dict(copied.manifest.counts)
    finally:
        store.close()
