from __future__ import annotations

import pytest

from index.fusion import rrf_fusion, single, weighted_fusion


def test_weighted_fusion_min_max_normalises_each_ranking() -> None:
    bm25 = [(0, 12.0), (1, 6.0), (2, 0.0)]
    dense = [(1, 0.9), (0, 0.7), (3, 0.5)]
    fused = weighted_fusion(bm25, dense, dense_weight=0.5, k=4)
    scores = {f.position: f.score for f in fused}
    assert scores[0] == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)
    assert scores[1] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert scores[3] == pytest.approx(0.0)  # last in dense, absent from bm25
    assert [f.position for f in fused][:2] == [0, 1]  # tie broken by position
    assert fused[0].bm25 == 12.0 and fused[0].dense == 0.7
    assert next(f for f in fused if f.position == 3).bm25 is None


def test_weighted_fusion_weight_zero_is_bm25_order() -> None:
    bm25 = [(5, 3.0), (6, 2.0), (7, 1.0)]
    dense = [(7, 0.9), (6, 0.8), (5, 0.1)]
    assert [f.position for f in weighted_fusion(bm25, dense, 0.0, 3)] == [5, 6, 7]
    assert [f.position for f in weighted_fusion(bm25, dense, 1.0, 3)] == [7, 6, 5]


def test_rrf_rewards_agreement() -> None:
    bm25 = [(1, 9.0), (2, 8.0), (3, 7.0)]
    dense = [(2, 0.9), (4, 0.8), (1, 0.7)]
    fused = rrf_fusion(bm25, dense, rrf_k=60, k=2)
    assert [f.position for f in fused] == [2, 1]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)


def test_single_ranking_is_cut_at_k() -> None:
    fused = single([(4, 2.0), (5, 1.0)], 1, dense=True)
    assert len(fused) == 1 and fused[0].dense == 2.0 and fused[0].bm25 is None


def test_empty_rankings() -> None:
    assert weighted_fusion([], [], 0.3, 5) == []
    assert rrf_fusion([], [], 60, 5) == []
