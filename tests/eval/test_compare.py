from __future__ import annotations

import pytest

from eval.compare import Delta, compare, compare_metrics, comparison_table, config_differences, flatten
from eval.summary import RunConfig, Summary


def _summary(metrics: dict[str, object], k: int = 5) -> Summary:
    config = RunConfig(
        mode="full",
        qa_file="qa.jsonl",
        qa_sha256="0" * 64,
        corpus="/corpus",
        k=k,
        fusion="weighted",
        dense_weight=0.3,
        candidates=50,
        chunking={"target_words": 220},
        evidence_tokens=350,
        min_evidence_score=0.0,
        max_tokens=160,
        temperature=0.0,
    )
    return Summary(
        results_file="r.jsonl",
        config=config,
        fingerprint=config.fingerprint(),
        git_commit="abc",
        started_at="t",
        metrics=metrics,
    )


def test_flatten_keeps_numbers_with_dotted_keys() -> None:
    metrics = {"answer_accuracy": 0.5, "retrieval": {"hit@1": 0.25}, "note": "x", "ok": True, "none": None}
    assert flatten(metrics) == {"answer_accuracy": 0.5, "retrieval.hit@1": 0.25}


def test_deltas_ratios_and_direction() -> None:
    a = {
        "answer_accuracy": 0.5,
        "false_refusal_rate": 0.2,
        "latency_ms": {"total": {"p50": 200.0, "count": 3}},
    }
    b = {
        "answer_accuracy": 0.75,
        "false_refusal_rate": 0.1,
        "latency_ms": {"total": {"p50": 100.0, "count": 3}},
    }
    deltas = {d.metric: d for d in compare_metrics(a, b)}
    assert set(deltas) == {"answer_accuracy", "false_refusal_rate", "latency_ms.total.p50"}
    assert deltas["answer_accuracy"].diff == pytest.approx(0.25)
    assert deltas["answer_accuracy"].ratio == pytest.approx(1.5)
    assert deltas["answer_accuracy"].better is True
    assert deltas["false_refusal_rate"].better is True
    assert deltas["latency_ms.total.p50"].better is True
    assert Delta("unaccented.false_refusal_rate", 0.1, 0.3).better is False
    assert Delta("answer_accuracy", 0.0, 0.5).ratio is None
    assert Delta("answer_accuracy", None, 0.5).diff is None


def test_compare_summaries_and_config_differences() -> None:
    a, b = _summary({"answer_accuracy": 0.5}), _summary({"answer_accuracy": 0.6, "cited_answers": 4}, k=3)
    assert [d.metric for d in compare(a, b)] == ["answer_accuracy", "cited_answers"]
    assert config_differences(a, b) == [("k", "5", "3")]
    table = comparison_table(a, b)
    assert table.row_count == 2


def test_counts_are_not_compared() -> None:
    assert compare_metrics({"retrieval": {"count": 3, "mrr": 0.5}}, {"retrieval": {"count": 4}}) == [
        Delta("retrieval.mrr", 0.5, None)
    ]
