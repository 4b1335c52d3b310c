"""Exact inner-product search over L2-normalised vectors (FAISS IndexFlatIP) keyed by chunk id.

Flat search is exact and needs no training; it scans every vector (1.5 MB per 1,000 chunks at 384 dims),
which stays in milliseconds up to ~100k chunks. At ~1M chunks the next step is IVF (nlist ~ 4*sqrt(n),
trained on a sample: FAISS wants at least 39 points per cluster) or HNSW; both are approximate, so recall
must be re-measured with eval.bench_retrieval, and removals get costlier (HNSW cannot delete in place).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.base import Vectors
from troly.errors import IndexCorruptError

if TYPE_CHECKING:
    import faiss

INDEX_FILE = "faiss.index"
IDS_FILE = "faiss_ids.json"


class FaissStore:
    """`index.base.VectorStore` on faiss.IndexFlatIP; row i of the index is `ids[i]`."""

    def __init__(self, dim: int) -> None:
        import faiss  # on first use: re-ingesting unchanged files and BM25-only search never need it

        self._dim = dim
        self._index: faiss.Index = faiss.IndexFlatIP(dim)
        self._ids: list[str] = []

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ids: Sequence[str], vectors: Vectors) -> None:
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self._dim or matrix.shape[0] != len(ids):
            raise ValueError(f"expected {len(ids)} vectors of dim {self._dim}, got shape {matrix.shape}")
        if len(ids) == 0:
            return
        self._index.add(matrix)
        self._ids.extend(ids)

    def remove(self, ids: Sequence[str]) -> None:
        drop = set(ids)
        keep = [i for i, chunk_id in enumerate(self._ids) if chunk_id not in drop]
        if len(keep) == len(self._ids):
            return
        # A flat index has no stable per-id removal; rebuilding from the kept rows is exact and cheap here.
        vectors = self.vectors()[keep] if keep else np.zeros((0, self._dim), dtype=np.float32)
        kept_ids = [self._ids[i] for i in keep]
        fresh = FaissStore(self._dim)
        fresh.add(kept_ids, vectors)
        self._index, self._ids = fresh._index, fresh._ids

    def vectors(self) -> Vectors:
        if not self._ids:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, len(self._ids)), dtype=np.float32)

    def search(self, query: Vectors, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The k best (id, inner product) for one query vector, best first; with `allowed`, the k best of
        those ids (everything is ranked, then filtered: exact, and cheap at flat-index sizes)."""
        if not self._ids or k <= 0:
            return []
        matrix = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self._dim)
        depth = len(self._ids) if allowed is not None else min(k, len(self._ids))
        scores, rows = self._index.search(matrix, depth)
        found = [(self._ids[int(r)], float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]
        if allowed is not None:
            found = [(chunk_id, score) for chunk_id, score in found if chunk_id in allowed]
        return found[:k]

    def save(self, folder: Path) -> None:
        import faiss

        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(folder / INDEX_FILE))
        (folder / IDS_FILE).write_text(json.dumps(self._ids, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> FaissStore:
        import faiss

        try:
            index = faiss.read_index(str(folder / INDEX_FILE))
            ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
        except (OSError, RuntimeError, ValueError) as exc:
            raise IndexCorruptError(
                f"Không đọc được chỉ mục vector trong {folder} ({exc}). Hãy chạy: troly index rebuild"
            ) from exc
        if not isinstance(ids, list) or index.ntotal != len(ids):
            raise IndexCorruptError(
                f"Chỉ mục vector trong {folder} không khớp danh sách đoạn. Hãy chạy: troly index rebuild"
            )
        store = cls(int(index.d))
        store._index = index
        store._ids = [str(i) for i in ids]
        return store
