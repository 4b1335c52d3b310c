from __future__ import annotations

import pytest

from eval.retrieval import (
    document_ranking,
    first_gold_rank,
    hit_at_k,
    reciprocal_rank,
    score_retrieval,
)


def test_chunks_collapse_to_documents_by_basename() -> None:
    ranked = ["seeds/a.txt", "seeds/a.txt", "b.txt", "other\\c.txt", "a.txt"]
    assert document_ranking(ranked) == ["a.txt", "b.txt", "c.txt"]


def test_rank_hit_and_reciprocal_rank() -> None:
    retrieved = ["x.txt", "x.txt", "y.txt", "corpus/gold.txt"]
    gold = ["gold.txt"]
    assert first_gold_rank(retrieved, gold) == 3
    assert not hit_at_k(retrieved, gold, 1)
    assert hit_at_k(retrieved, gold, 3)
    assert reciprocal_rank(retrieved, gold) == pytest.approx(1 / 3)
    assert first_gold_rank(retrieved, ["missing.txt"]) is None
    assert reciprocal_rank(retrieved, ["missing.txt"]) == 0.0


def test_any_gold_source_counts() -> None:
    assert first_gold_rank(["a.txt", "b.txt"], ["z.txt", "b.txt"]) == 2


def test_score_retrieval_averages_and_skips_questions_without_gold() -> None:
    scores = score_retrieval(
        [
            (["g1.txt", "n.txt"], ["g1.txt"]),  # rank 1
            (["n.txt", "m.txt", "g2.txt"], ["g2.txt"]),  # rank 3
            (["n.txt"], ["g3.txt"]),  # miss
            (["n.txt"], []),  # unanswerable: not counted
        ]
    )
    assert scores.count == 3
    assert scores.hit_at == {1: pytest.approx(1 / 3), 3: pytest.approx(2 / 3), 5: pytest.approx(2 / 3)}
    assert scores.mrr == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert scores.as_dict()["hit@3"] == pytest.approx(2 / 3)


def test_score_retrieval_empty() -> None:
    assert score_retrieval([]).count == 0
