"""pgvector search of one generation on the real PostgreSQL: the HNSW index is used, and a filtered query still
returns k rows (iterative scans) that match the exact filtered ranking."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest

from index.bm25_index import Bm25Index
from index.pgvector_store import hnsw_index_name
from index.postgres_snapshot import PostgresSnapshotStore
from index.snapshot import EmbedderInfo, SnapshotData
from tests.index.test_postgres_library import pg_settings
from troly.records import Chunk, Document

DIM = 32
ROWS = 3000


def _data(vectors: np.ndarray) -> SnapshotData:
    documents = [
        Document(id=f"d{d}", title=f"d{d}", content_hash=str(d), text="x" * 10) for d in range(ROWS // 100)
    ]
    chunks = [
        Chunk(id=f"d{i // 100}#{i % 100}", doc_id=f"d{i // 100}", ordinal=i % 100, text="x", start=0, end=1)
        for i in range(ROWS)
    ]
    return SnapshotData(documents, [], chunks, vectors, EmbedderInfo(name="random", dim=DIM))


@pytest.fixture
def store(tmp_path: Path, pg_url: str) -> Iterator[PostgresSnapshotStore]:
    # A small candidate list, so that a filter dropping 90% of what the index scan finds would starve the
    # query without iterative scans; the planner is told to prefer the index, as it would at scale.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SELECT current_database()")
        name = conn.execute("SELECT current_database()").fetchone()
        assert name is not None
        conn.execute(f'ALTER DATABASE "{name[0]}" SET enable_seqscan = off')
    settings = pg_settings(tmp_path, pg_url, ef_search=10)
    store = PostgresSnapshotStore(settings)
    yield store
    store.close()


def test_filtered_search_returns_k_rows_matching_the_exact_ranking(store: PostgresSnapshotStore) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(ROWS, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with store.writing():
        generation = store.write(_data(vectors), Bm25Index.build([["x"]] * ROWS), None, None)
        store.publish(generation)
    search = store.open(generation).vector_store()
    assert search is not None and len(search) == ROWS
    query = vectors[0] + 0.1 * rng.normal(size=DIM).astype(np.float32)
    query /= np.linalg.norm(query)
    allowed = {f"d{d}#{i}" for d in range(0, ROWS // 100, 10) for i in range(100)}  # 10% of the chunks
    found = search.search(query, 50, allowed)
    assert len(found) == 50 and all(chunk_id in allowed for chunk_id, _ in found)
    positions = [i for i in range(ROWS) if f"d{i // 100}#{i % 100}" in allowed]
    exact = sorted(positions, key=lambda i: -float(vectors[i] @ query))[:50]
    exact_ids = {f"d{i // 100}#{i % 100}" for i in exact}
    assert len(exact_ids & {chunk_id for chunk_id, _ in found}) >= 45  # HNSW is approximate: recall >= 0.9
    scores = [score for _, score in found]
    assert scores == sorted(scores, reverse=True)
    top_id, top_score = search.search(query, 1)[0]
    assert top_id == "d0#0" and top_score == pytest.approx(float(vectors[0] @ query), abs=1e-5)


def test_the_hnsw_index_serves_the_query(store: PostgresSnapshotStore, pg_url: str) -> None:
    vectors = np.eye(DIM, dtype=np.float32)[np.arange(ROWS) % DIM]
    vectors = vectors + np.random.default_rng(1).normal(scale=0.01, size=vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with store.writing():
        generation = store.write(_data(vectors), Bm25Index.build([["x"]] * ROWS), None, None)
    with psycopg.connect(pg_url) as conn:
        from pgvector.psycopg import register_vector

        register_vector(conn)
        plan = conn.execute(
            f"EXPLAIN SELECT c.chunk_id FROM index_vectors v JOIN index_chunks c ON c.vector_id = v.id "
            f"WHERE v.dim = {DIM} AND c.generation = %s "
            f"ORDER BY v.embedding::vector({DIM}) <=> %s::vector({DIM}) LIMIT 5",
            (generation, vectors[0]),
        ).fetchall()
    assert hnsw_index_name(DIM) in "\n".join(str(row[0]) for row in plan)
