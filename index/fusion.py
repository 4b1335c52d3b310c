"""Fusing the BM25 and dense rankings: weighted (min-max normalised scores) or reciprocal-rank fusion."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

Ranking = Sequence[tuple[int, float]]
"""(chunk position, score), best first."""


@dataclass(frozen=True)
class Fused:
    position: int
    score: float
    bm25: float | None
    dense: float | None


def _min_max(ranking: Ranking) -> dict[int, float]:
    if not ranking:
        return {}
    scores = [s for _, s in ranking]
    low, high = min(scores), max(scores)
    if high - low <= 1e-12:
        return {p: 1.0 for p, _ in ranking}
    return {p: (s - low) / (high - low) for p, s in ranking}


def _combine(bm25: Ranking, dense: Ranking, fused: dict[int, float], k: int) -> list[Fused]:
    raw_bm25 = dict(bm25)
    raw_dense = dict(dense)
    order = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
    return [Fused(p, s, raw_bm25.get(p), raw_dense.get(p)) for p, s in order]


def weighted_fusion(
    bm25: Ranking,
    dense: Ranking,
    dense_weight: float,
    k: int,
    document_of: Callable[[int], Hashable] | None = None,
) -> list[Fused]:
    """(1 - w) * minmax(bm25) + w * minmax(dense); a chunk missing from one ranking gets 0 for it.

    Min-max keeps the shape of each score distribution (a clear BM25 winner stays clear), which rank-based
    fusion throws away. With `document_of` (chunk position -> document), the best chunk of each document is
    scored with the document's best BM25 and best dense scores, which may come from different chunks: the
    question's words can sit in one article paragraph and its meaning in the next, and the document is what
    both rankings found. The other chunks keep their own scores.
    """
    norm_bm25 = _min_max(bm25)
    norm_dense = _min_max(dense)
    fused = {
        p: (1.0 - dense_weight) * norm_bm25.get(p, 0.0) + dense_weight * norm_dense.get(p, 0.0)
        for p in norm_bm25.keys() | norm_dense.keys()
    }
    if document_of is not None:
        _score_documents(fused, norm_bm25, norm_dense, dense_weight, document_of)
    return _combine(bm25, dense, fused, k)


def _score_documents(
    fused: dict[int, float],
    norm_bm25: dict[int, float],
    norm_dense: dict[int, float],
    dense_weight: float,
    document_of: Callable[[int], Hashable],
) -> None:
    best: dict[Hashable, int] = {}
    top_bm25: dict[Hashable, float] = {}
    top_dense: dict[Hashable, float] = {}
    for p, _ in sorted(fused.items(), key=lambda item: (-item[1], item[0])):
        doc = document_of(p)
        best.setdefault(doc, p)
        top_bm25[doc] = max(top_bm25.get(doc, 0.0), norm_bm25.get(p, 0.0))
        top_dense[doc] = max(top_dense.get(doc, 0.0), norm_dense.get(p, 0.0))
    for doc, p in best.items():
        fused[p] = (1.0 - dense_weight) * top_bm25[doc] + dense_weight * top_dense[doc]


def rrf_fusion(bm25: Ranking, dense: Ranking, rrf_k: int, k: int) -> list[Fused]:
    """Reciprocal-rank fusion: sum over rankings of 1 / (rrf_k + rank)."""
    fused: dict[int, float] = {}
    for ranking in (bm25, dense):
        for rank, (p, _) in enumerate(ranking, start=1):
            fused[p] = fused.get(p, 0.0) + 1.0 / (rrf_k + rank)
    return _combine(bm25, dense, fused, k)


def single(ranking: Ranking, k: int, *, dense: bool) -> list[Fused]:
    """One ranking alone, as fused hits."""
    return [Fused(p, s, None if dense else s, s if dense else None) for p, s in list(ranking)[:k]]
