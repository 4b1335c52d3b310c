"""Performance benchmarks: ingestion throughput, search latency against index size, memory, LLM speed.

Large index sizes use synthetic data (random unit vectors, Vietnamese-like syllable texts): FAISS and BM25
timings depend on the sizes and the token statistics, not on the meaning. Small sizes use the real corpus,
the real embedder and the real `Library`. Run: `python -m eval.perf --help`.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import resource
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from eval.scoring import percentile
from index.base import Vectors

if TYPE_CHECKING:
    from index.library import Library
    from troly.settings import RetrievalSettings

Row = dict[str, Any]
T = TypeVar("T")

_ONSETS = "b c ch d đ g gi h k kh l m n ng nh p ph qu r s t th tr v x"
_RHYMES = (
    "a ai an ang anh ao au ay e em en eo i ia iên inh o oa oai oan oi ong ô ôi ông ơ ơi u ua ui ung ư ưa "
    "ương ac at ap am ăn ăm âm ân âu ây ich uc ut ươc iêt uông uyên oang oanh ênh êt ơn ơm ưng ưu"
)
_TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc; peak RSS elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def stats_ms(samples_s: Sequence[float]) -> Row:
    ms = [s * 1000 for s in samples_s]
    return {
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "mean_ms": sum(ms) / len(ms),
        "n": len(ms),
    }


def time_each(fn: Callable[[T], object], inputs: Iterable[T]) -> list[float]:
    """Seconds of one call of `fn` per input."""
    samples = []
    for value in inputs:
        started = time.perf_counter()
        fn(value)
        samples.append(time.perf_counter() - started)
    return samples


def synthetic_vectors(n: int, dim: int, seed: int = 0) -> Vectors:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def syllable_vocabulary(size: int, seed: int = 0) -> list[str]:
    """`size` distinct made-up Vietnamese syllables (onset + rhyme + tone), NFC, in a seeded order."""
    import itertools
    import unicodedata

    combos = itertools.product([*_ONSETS.split(), ""], _RHYMES.split(), _TONES)
    vocab = list(dict.fromkeys(unicodedata.normalize("NFC", o + r[0] + t + r[1:]) for o, r, t in combos))
    if size > len(vocab):
        raise ValueError(f"at most {len(vocab)} synthetic syllables, asked for {size}")
    random.Random(seed).shuffle(vocab)
    return vocab[:size]


def synthetic_texts(n: int, words: int, seed: int = 0, vocabulary: int = 6000) -> list[str]:
    """Texts whose syllables follow Zipf's law (frequency ~ 1/rank) over a bounded vocabulary."""
    vocab = syllable_vocabulary(vocabulary, seed)
    weights = 1.0 / np.arange(1, vocabulary + 1)
    rng = np.random.default_rng(seed)
    ranks = rng.choice(vocabulary, size=(n, words), p=weights / weights.sum())
    return [" ".join(vocab[r] for r in row) for row in ranks]


def bench_faiss(
    n: int, *, dim: int = 384, queries: int = 100, k: int = 50, seed: int = 0, threads: int | None = None
) -> Row:
    """Flat inner-product search (index.faiss_store.FaissStore) over n synthetic unit vectors, with FAISS's
    OpenMP threads set to `threads` (None: FAISS's default, one per core)."""
    import faiss

    from index.faiss_store import FaissStore

    default_threads = faiss.omp_get_max_threads()
    if threads is not None:
        faiss.omp_set_num_threads(threads)

    before = rss_mb()
    store = FaissStore(dim)
    vectors = synthetic_vectors(n, dim, seed)
    started = time.perf_counter()
    store.add([f"c{i}" for i in range(n)], vectors)
    build_s = time.perf_counter() - started
    del vectors
    samples = time_each(lambda q: store.search(q, k), synthetic_vectors(queries, dim, seed + 1))
    faiss.omp_set_num_threads(default_threads)
    row = {"kind": "faiss-flat", "chunks": n, "dim": dim, "k": k, "omp_threads": threads or default_threads}
    row.update(build_s=build_s, **stats_ms(samples), rss_delta_mb=rss_mb() - before)
    return row


def bench_bm25(n: int, *, words: int = 60, queries: int = 100, seed: int = 0) -> Row:
    """BM25 (index.bm25_index.Bm25Index over index.text tokens) on n synthetic chunks of `words` syllables;
    a query is scored against every chunk and the top 50 taken, as Library.search does."""
    from index.bm25_index import Bm25Index
    from index.text import QueryTokens, document_tokens, query_tokens

    before = rss_mb()
    texts = synthetic_texts(n, words, seed)
    started = time.perf_counter()
    tokens = [document_tokens(t) for t in texts]
    tokenize_s = time.perf_counter() - started
    started = time.perf_counter()
    index = Bm25Index.build(tokens)
    build_s = time.perf_counter() - started
    del tokens, texts
    gc.collect()
    probes = [query_tokens(q) for q in synthetic_texts(queries, 8, seed + 1)]

    def one(query: QueryTokens) -> None:
        scores = index.query_scores(query, 0.3)
        np.argpartition(-scores, min(50, len(scores)) - 1)[:50]

    samples = time_each(one, probes)
    row = {"kind": "bm25", "chunks": n, "words": words, "tokenize_s": tokenize_s, "build_s": build_s}
    row.update(stats_ms(samples), rss_delta_mb=rss_mb() - before)
    return row


def bench_library(corpus: Path, questions: Sequence[str], home: Path) -> list[Row]:
    """Real path: ingest `corpus` into a fresh Library (real embedder), then time Library.search."""
    from index.embedders.factory import build_embedder
    from index.library import Library
    from troly.settings import Settings

    settings = Settings(home=home)
    embedder = build_embedder(settings)
    library = Library.open(settings, embedder)
    size_mb = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()) / 1e6
    before = rss_mb()
    report = library.ingest([corpus])
    chunks = len(library.chunks())
    docs = report.count("added")
    rows: list[Row] = [
        {
            "kind": "ingest",
            "corpus": corpus.name,
            "documents": docs,
            "chunks": chunks,
            "megabytes": size_mb,
            "seconds": report.elapsed_s,
            "docs_per_s": docs / report.elapsed_s,
            "chunks_per_s": chunks / report.elapsed_s,
            "mb_per_s": size_mb / report.elapsed_s,
            "rss_delta_mb": rss_mb() - before,
            "embedder": embedder.name,
        }
    ]
    library.search(questions[0])  # loads the generation and warms the embedder
    for fusion in ("weighted", "bm25", "dense"):
        params = settings.retrieval.model_copy(update={"fusion": fusion})
        samples = time_each(partial(_search, library, params), questions)
        rows.append({"kind": f"library-search-{fusion}", "chunks": chunks, **stats_ms(samples)})
    return rows


def _search(library: Library, params: RetrievalSettings, question: str) -> None:
    library.search(question, retrieval=params)


def filler_text(tokens_wanted: int, count_tokens: Callable[[str], int], source: str) -> str:
    """A prefix of `source` (repeated as needed) of about `tokens_wanted` tokens."""
    text = source
    while count_tokens(text) < tokens_wanted:
        text = f"{text} {source}"
    low, high = 0, len(text)
    while high - low > 16:
        mid = (low + high) // 2
        if count_tokens(text[:mid]) < tokens_wanted:
            low = mid
        else:
            high = mid
    return text[:high]


def bench_llm(prompt_lengths: Sequence[int], *, source: str, max_tokens: int = 64) -> list[Row]:
    """Time to first token and decode speed of the embedded llama.cpp model against prompt length."""
    from assistant.llm.base import ChatMessage
    from assistant.llm.llamacpp_chat_model import LlamaCppChatModel
    from troly.settings import Settings

    settings = Settings()
    model = LlamaCppChatModel(settings)
    before = rss_mb()
    model.load()
    rows: list[Row] = [{"kind": "llm-load", "model": model.name, "seconds": model.load_seconds}]
    rows[0]["rss_delta_mb"] = rss_mb() - before
    for length in prompt_lengths:
        body = filler_text(length, model.count_tokens, source)
        messages = [ChatMessage(role="user", content=f"{body}\n\nTóm tắt đoạn văn trên.")]
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        for piece in model.stream(messages, max_tokens=max_tokens):
            first = first or time.perf_counter()
            pieces.append(piece)
        done = time.perf_counter()
        generated = model.count_tokens("".join(pieces))
        decode_s = done - (first or done)
        rows.append(
            {
                "kind": "llm",
                "model": model.name,
                "threads": settings.llm.threads,
                "prompt_tokens": model.count_tokens(body),
                "first_token_s": (first or done) - started,
                "generated_tokens": generated,
                "decode_tokens_per_s": (generated - 1) / decode_s if decode_s > 0 and generated > 1 else None,
                "total_s": done - started,
            }
        )
    return rows


def machine() -> Row:
    import os

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.uname().machine,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_1m": os.getloadavg()[0],
    }


def plot_latency(rows: Sequence[Row], path: Path) -> Path | None:
    """p50/p95 search latency against index size, log-log, one line per kind."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    series: dict[str, list[Row]] = {}
    for row in rows:
        if "p50_ms" in row and row["kind"] in ("faiss-flat", "bm25"):
            threads = f", {row['omp_threads']} luồng" if "omp_threads" in row else ""
            series.setdefault(f"{row['kind']}{threads}", []).append(row)
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, points in sorted(series.items()):
        points.sort(key=lambda r: r["chunks"])
        sizes = [r["chunks"] for r in points]
        line = ax.plot(sizes, [r["p50_ms"] for r in points], marker="o", label=f"{label} p50")[0]
        ax.plot(sizes, [r["p95_ms"] for r in points], marker="x", linestyle="--", color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("số đoạn trong chỉ mục")
    ax.set_ylabel("ms / truy vấn (nét đứt: p95)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _sizes(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.perf", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="folder for perf.json and plots")
    parser.add_argument("--faiss-sizes", type=_sizes, default=[1000, 10000, 100000, 1000000])
    parser.add_argument("--faiss-threads", type=_sizes, default=[1], help="OpenMP threads to try, e.g. 1,2")
    parser.add_argument("--bm25-sizes", type=_sizes, default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--corpus", type=Path, help="real corpus for ingestion and Library.search timing")
    parser.add_argument("--qa", type=Path, help="QA JSONL whose questions are the search probes")
    parser.add_argument("--home", type=Path, help="TROLY_HOME for the Library benchmark (a fresh folder)")
    parser.add_argument("--llm", type=_sizes, default=[], help="prompt lengths in tokens, e.g. 128,512,1024")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []

    def log(row: Row) -> None:
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)

    for threads in args.faiss_threads:
        for n in args.faiss_sizes:
            log(bench_faiss(n, queries=args.queries, threads=threads))
    for n in args.bm25_sizes:
        log(bench_bm25(n, queries=args.queries))
    if args.corpus and args.qa and args.home:
        from eval.qa import load_qa

        questions = [item.question for item in load_qa(args.qa)]
        for row in bench_library(args.corpus, questions, args.home):
            log(row)
    if args.llm:
        source = (
            " ".join(p.read_text(encoding="utf-8") for p in sorted(args.corpus.glob("*.txt"))[:5])
            if (args.corpus)
            else " ".join(synthetic_texts(50, 40))
        )
        for row in bench_llm(args.llm, source=source):
            log(row)
    result = {"machine": machine(), "peak_rss_mb": peak_rss_mb(), "rows": rows}
    (args.out / "perf.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    plot_latency(rows, args.out / "latency_vs_size.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
