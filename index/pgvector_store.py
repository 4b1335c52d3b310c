"""Dense search of one generation in pgvector: HNSW over cosine distance, iterative scans for filters.

Vectors live once in `index_vectors` (shared by every generation that uses them); a generation's chunks
point at theirs. The HNSW index is an expression index per dimension (`embedding::vector(dim)`, partial on
`dim`), so the query repeats that expression. With a filter, `hnsw.iterative_scan = relaxed_order` makes
the index scan go on until k rows pass it (pgvector 0.8); the outer ORDER BY restores strict order.
Vectors are L2-normalised, so 1 - cosine distance is the inner product FAISS reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import psycopg

from index.base import Vectors

Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]


def hnsw_index_name(dim: int) -> str:
    return f"index_vectors_hnsw_{dim}"


def ensure_hnsw_index(conn: psycopg.Connection[Any], dim: int, m: int, ef_construction: int) -> None:
    """The HNSW index of `dim`-dimension vectors, made on first use (an ingest; under the writer lock)."""
    dim, m, ef_construction = int(dim), int(m), int(ef_construction)
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {hnsw_index_name(dim)} ON index_vectors "
        f"USING hnsw ((embedding::vector({dim})) vector_cosine_ops) "
        f"WITH (m = {m}, ef_construction = {ef_construction}) WHERE dim = {dim}"
    )


class PgvectorStore:
    """`index.generations.DenseSearch` over the chunks of one generation."""

    def __init__(self, connect: Connect, generation: int, dim: int, size: int, ef_search: int) -> None:
        self._connect = connect
        self._generation = generation
        self._dim = int(dim)
        self._size = size
        self._ef_search = int(ef_search)

    def __len__(self) -> int:
        return self._size

    def search(self, query: Vectors, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        if self._size == 0 or k <= 0 or (allowed is not None and not allowed):
            return []
        vector = np.ascontiguousarray(query, dtype=np.float32).reshape(self._dim)
        dim = self._dim
        restrict = "AND c.chunk_id = ANY(%(allowed)s)" if allowed is not None else ""
        sql = f"""
            WITH nearest AS MATERIALIZED (
                SELECT c.chunk_id, v.embedding::vector({dim}) <=> %(q)s::vector({dim}) AS distance
                FROM index_vectors v JOIN index_chunks c ON c.vector_id = v.id
                WHERE v.dim = {dim} AND c.generation = %(g)s {restrict}
                ORDER BY v.embedding::vector({dim}) <=> %(q)s::vector({dim})
                LIMIT %(k)s
            )
            SELECT chunk_id, 1 - distance FROM nearest ORDER BY distance + 0, chunk_id
        """
        params: dict[str, Any] = {"q": vector, "g": self._generation, "k": k}
        if allowed is not None:
            params["allowed"] = list(allowed)
        with self._connect() as conn:  # one transaction: the SET LOCALs hold for this query only
            for setting in self.session_settings():
                conn.execute(setting)
            rows = conn.execute(sql, params).fetchall()
        return [(str(chunk_id), float(score)) for chunk_id, score in rows]

    def session_settings(self) -> Iterator[str]:
        yield f"SET LOCAL hnsw.ef_search = {self._ef_search}"
        yield "SET LOCAL hnsw.iterative_scan = relaxed_order"
