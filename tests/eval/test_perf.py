from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from eval.perf import (
    bench_bm25,
    bench_faiss,
    filler_text,
    main,
    rss_mb,
    stats_ms,
    syllable_vocabulary,
    synthetic_texts,
    synthetic_vectors,
)


def test_synthetic_data_is_seeded_and_well_formed() -> None:
    vectors = synthetic_vectors(20, 8, seed=3)
    assert vectors.shape == (20, 8) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    vocab = syllable_vocabulary(500)
    assert len(set(vocab)) == 500 and all(unicodedata.is_normalized("NFC", s) for s in vocab)
    with pytest.raises(ValueError):
        syllable_vocabulary(10**6)
    texts = synthetic_texts(50, 30, seed=1)
    assert texts == synthetic_texts(50, 30, seed=1)
    assert all(len(t.split()) == 30 for t in texts)
    words = [w for t in texts for w in t.split()]
    top = max(set(words), key=words.count)
    assert words.count(top) / len(words) < 0.2  # Zipf head, not one word everywhere


def test_stats_and_memory() -> None:
    row = stats_ms([0.001, 0.002, 0.003, 0.004])
    assert row["p50_ms"] == pytest.approx(2.0) and row["p95_ms"] == pytest.approx(4.0) and row["n"] == 4
    assert rss_mb() > 10


def test_real_faiss_and_bm25_benchmarks_at_small_sizes() -> None:
    dense = bench_faiss(300, dim=16, queries=5, k=10, threads=1)
    assert dense["chunks"] == 300 and dense["p50_ms"] > 0 and dense["omp_threads"] == 1
    sparse = bench_bm25(200, words=20, queries=5)
    assert sparse["chunks"] == 200 and sparse["p95_ms"] >= sparse["p50_ms"] > 0


def test_filler_text_reaches_the_token_count() -> None:
    def count(text: str) -> int:
        return len(text.split())

    text = filler_text(100, count, "một hai ba bốn năm")
    assert 100 <= count(text) <= 104


def test_main_writes_json_and_plot(tmp_path: Path) -> None:
    assert (
        main(["--out", str(tmp_path), "--faiss-sizes", "100,200", "--bm25-sizes", "100", "--queries", "3"])
        == 0
    )
    result = json.loads((tmp_path / "perf.json").read_text(encoding="utf-8"))
    assert [r["kind"] for r in result["rows"]] == ["faiss-flat", "faiss-flat", "bm25"]
    assert result["machine"]["cpus"] >= 1
    assert (tmp_path / "latency_vs_size.png").stat().st_size > 1000
