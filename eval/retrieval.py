"""Retrieval metrics at document level: hit@k and MRR over the ranked sources of retrieved chunks.

Several chunks of one document collapse to that document's first (best) rank, so hit@k asks whether a gold
document is among the first k distinct documents retrieved. Sources match by basename, as EVAL-FORMAT.md
allows (the QA file names `001_x.txt`, the index may call it `seeds/001_x.txt`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

DEFAULT_KS: tuple[int, ...] = (1, 3, 5)

DEFINITION = (
    "Document level: retrieved chunks collapse to their documents in order of first appearance; "
    "hit@k = share of answerable questions with a gold source (basename match) among the first k documents; "
    "MRR = mean of 1/rank of the first gold document (0 when none)."
)


def basename(source: str) -> str:
    return PurePosixPath(source.replace("\\", "/")).name


def document_ranking(sources: Iterable[str]) -> list[str]:
    """Distinct document basenames in order of first appearance."""
    ranking: list[str] = []
    seen: set[str] = set()
    for source in sources:
        name = basename(source)
        if name not in seen:
            seen.add(name)
            ranking.append(name)
    return ranking


def first_gold_rank(retrieved: Sequence[str], gold: Sequence[str]) -> int | None:
    """1-based document rank of the first gold source among the retrieved sources, or None."""
    wanted = {basename(g) for g in gold}
    for rank, name in enumerate(document_ranking(retrieved), start=1):
        if name in wanted:
            return rank
    return None


def hit_at_k(retrieved: Sequence[str], gold: Sequence[str], k: int) -> bool:
    rank = first_gold_rank(retrieved, gold)
    return rank is not None and rank <= k


def reciprocal_rank(retrieved: Sequence[str], gold: Sequence[str]) -> float:
    rank = first_gold_rank(retrieved, gold)
    return 0.0 if rank is None else 1.0 / rank


@dataclass(frozen=True)
class RetrievalScores:
    count: int
    hit_at: dict[int, float] = field(default_factory=dict)
    mrr: float = 0.0

    def as_dict(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {"count": self.count, "mrr": self.mrr}
        out.update({f"hit@{k}": v for k, v in sorted(self.hit_at.items())})
        return out


def score_retrieval(
    cases: Iterable[tuple[Sequence[str], Sequence[str]]], ks: Sequence[int] = DEFAULT_KS
) -> RetrievalScores:
    """Scores (retrieved sources, gold sources) pairs; pairs without gold sources are not counted."""
    counted = [(retrieved, gold) for retrieved, gold in cases if gold]
    if not counted:
        return RetrievalScores(count=0, hit_at={k: 0.0 for k in ks}, mrr=0.0)
    n = len(counted)
    ranks = [first_gold_rank(retrieved, gold) for retrieved, gold in counted]
    hit_at = {k: sum(1 for r in ranks if r is not None and r <= k) / n for k in ks}
    mrr = sum(0.0 if r is None else 1.0 / r for r in ranks) / n
    return RetrievalScores(count=n, hit_at=hit_at, mrr=mrr)
