"""Retrieval benchmark over the shared dev sets: hybrid vs its parts, latency, ingestion speed.

    python -m eval.bench_retrieval [--shared ../shared] [--home /tmp/troly-bench] [--sweep]
    python -m eval.bench_retrieval --index-backend postgres [--pg-data /tmp/troly-bench-pg]

Each corpus is ingested into its own TROLY_HOME under --home; the Library keeps vectors there, so only the
first run embeds (minutes on two cores) and later runs re-use them. Quality passes share one query
embedding per question (a memo), the latency pass embeds every query afresh. With `--index-backend
postgres` the index lives in PostgreSQL + pgvector instead (an embedded server under --pg-data, one
database per corpus, kept between runs like the homes).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from eval.qa import QAItem, load_qa
from eval.retrieval import score_retrieval
from index.base import Embedder, EmbedKind, Vectors
from index.embedders.factory import build_embedder
from index.library import Library
from troly.settings import DatabaseSettings, IndexSettings, RetrievalSettings, Settings

DATASETS: tuple[tuple[str, str], ...] = (
    ("seeds-dev", "seeds"),
    ("alqac-dev", "alqac"),
    ("alqac-dev-noaccent", "alqac"),
    ("virhe4qa-dev", "virhe4qa"),
    ("virhe4qa-dev-noaccent", "virhe4qa"),
)


def strategies(base: RetrievalSettings, sweep: bool) -> dict[str, RetrievalSettings]:
    """The configured default and its variants; each changes one thing, so rows compare one choice."""

    def variant(**update: object) -> RetrievalSettings:
        return base.model_copy(update=update)

    out = {
        f"default ({base.fusion}, w={base.dense_weight}, cap={base.max_chunks_per_document})": base,
        "weighted": variant(fusion="weighted"),
        "weighted, no per-document cap": variant(fusion="weighted", max_chunks_per_document=0),
        "weighted, <=1 chunk/document": variant(fusion="weighted", max_chunks_per_document=1),
        "weighted, no unaccented scaling": variant(fusion="weighted", unaccented_dense_scale=1.0),
        "weighted, no abbreviation expansion": variant(fusion="weighted", expand_abbreviations=False),
        "rrf": variant(fusion="rrf"),
        "bm25": variant(fusion="bm25"),
        "bm25, exact tokens only": variant(fusion="bm25", folded_weight=0.0),
        "bm25, folded weight 1.0": variant(fusion="bm25", folded_weight=1.0),
        "dense": variant(fusion="dense"),
    }
    if sweep:
        for w in (0.1, 0.2, 0.4, 0.5):
            out[f"weighted w={w}"] = variant(fusion="weighted", dense_weight=w)
        for s in (0.0, 0.25):
            out[f"weighted unaccented scale={s}"] = variant(fusion="weighted", unaccented_dense_scale=s)
        for f in (0.25,):
            out[f"weighted folded weight={f}"] = variant(fusion="weighted", folded_weight=f)
    return out


class MemoEmbedder:
    """Remembers query vectors so that several strategies over one question embed it once."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._memo: dict[str, Vectors] = {}

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dim(self) -> int:
        return self._inner.dim

    def embed(self, texts: Sequence[str], kind: EmbedKind = "passage") -> Vectors:
        if kind != "query" or len(texts) != 1:
            return self._inner.embed(texts, kind)
        if texts[0] not in self._memo:
            self._memo[texts[0]] = self._inner.embed(texts, kind)
        return self._memo[texts[0]]


@dataclass
class Quality:
    count: int
    hit1: float
    hit5: float
    mrr: float


def quality(library: Library, items: Sequence[QAItem], params: RetrievalSettings, k: int) -> Quality:
    cases = []
    for item in items:
        if not item.answerable or not item.sources:
            continue
        hits = library.search(item.question, k, retrieval=params)
        cases.append(([h.chunk.doc_id for h in hits], item.sources))
    scores = score_retrieval(cases, (1, 5))
    return Quality(scores.count, scores.hit_at[1], scores.hit_at[5], scores.mrr)


def latencies_ms(library: Library, items: Sequence[QAItem], k: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per search; CPU time shows the cost apart from a busy machine."""
    wall, cpu = [], []
    for item in items:
        started, started_cpu = time.perf_counter(), time.process_time()
        library.search(item.question, k)
        wall.append((time.perf_counter() - started) * 1000.0)
        cpu.append((time.process_time() - started_cpu) * 1000.0)
    return wall, cpu


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def corpus_settings(args: argparse.Namespace, corpus_name: str) -> Settings:
    """The corpus's own home (files backend), or its own database on the embedded PostgreSQL."""
    if args.index_backend == "files":
        return Settings(home=args.home / corpus_name)
    import psycopg

    from troly.postgres import schema
    from troly.postgres.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(args.pg_data).start()  # a no-op once running; stopped at the end of main
    database = f"bench_{corpus_name}"
    with psycopg.connect(server.url_for("postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{database}"')
    schema.upgrade(server.url_for(database))
    return Settings(
        home=args.home / f"{corpus_name}-postgres",
        database=DatabaseSettings(url=server.url_for(database)),
        index=IndexSettings(backend="postgres"),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--home", type=Path, default=Path("/tmp/troly-bench"))
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--sweep", action="store_true", help="also try other dense weights")
    parser.add_argument("--only", default="", help="comma-separated dataset names")
    parser.add_argument("--index-backend", choices=("files", "postgres"), default="files")
    parser.add_argument("--pg-data", type=Path, default=Path("/tmp/troly-bench-pg"))
    args = parser.parse_args(argv)
    if not (args.shared / "qa").is_dir():
        print(f"no QA sets under {args.shared}/qa", file=sys.stderr)
        return 2
    wanted = {n for n in args.only.split(",") if n}
    libraries: dict[str, Library] = {}
    reingest_s = 0.0
    files = 0
    for name, corpus_name in DATASETS:
        if wanted and name not in wanted:
            continue
        qa_path = args.shared / "qa" / f"{name}.jsonl"
        if not qa_path.is_file():
            continue
        corpus = args.shared / "corpus" / corpus_name
        if corpus_name not in libraries:
            settings = corpus_settings(args, corpus_name)
            with closing(Library.open(settings)) as library:
                first = library.ingest([corpus])
            rate = f"{first.embedded / first.elapsed_s:.1f} chunks/s" if first.embedded else "vectors cached"
            with closing(Library.open(settings)) as library:
                chunk_count = len(library.chunks())
            took = f"{first.elapsed_s:.2f} s ({rate})"
            print(f"[{corpus_name}] ingest: {first.counts}, {chunk_count} chunks, {took}")
            started = time.perf_counter()
            with closing(Library.open(settings)) as library:  # a fresh Library: nothing loaded yet
                again = library.ingest([corpus])
            elapsed = time.perf_counter() - started
            reingest_s += elapsed
            files += len(again.outcomes)
            print(f"[{corpus_name}] re-ingest unchanged: {again.counts['skipped']} files in {elapsed:.3f} s")
            libraries[corpus_name] = Library.open(settings, embedder=MemoEmbedder(build_embedder(settings)))
            libraries[corpus_name + ":raw"] = Library.open(settings)
        library = libraries[corpus_name]
        items = load_qa(qa_path)
        print(f"\n== {name} ({len(items)} questions, corpus {corpus_name}) ==")
        print(f"{'strategy':44} {'n':>4} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}")
        for label, params in strategies(library.settings.retrieval, args.sweep).items():
            q = quality(library, items, params, args.k)
            print(f"{label:44} {q.count:4d} {q.hit1:6.3f} {q.hit5:6.3f} {q.mrr:6.3f}")
        raw = libraries[corpus_name + ":raw"]
        raw.search("khởi động", args.k)  # load files and model once, outside the timings
        wall, cpu = latencies_ms(raw, items, args.k)
        print(
            f"latency (default {raw.settings.retrieval.fusion}, embedding included): "
            f"wall p50 {percentile(wall, 50):.1f} ms, p95 {percentile(wall, 95):.1f} ms; "
            f"CPU p50 {percentile(cpu, 50):.1f} ms, p95 {percentile(cpu, 95):.1f} ms "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
    if files:
        print(f"\nre-ingest of {files} unchanged files (all corpora, fresh Library each): {reingest_s:.3f} s")
    if args.index_backend == "postgres":
        for library in libraries.values():
            library.close()
        from troly.postgres.embedded import EmbeddedPostgres

        EmbeddedPostgres(args.pg_data).stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
