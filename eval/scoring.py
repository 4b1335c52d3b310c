"""Answer metrics exactly as EVAL-FORMAT.md ('Scoring') defines them, per question and over a run."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from eval.qa import QAItem, ResultLine
from eval.retrieval import DEFAULT_KS, basename, hit_at_k, score_retrieval

# A '.' or ',' between digits is a thousands separator only when exactly three digits follow: 1.320 -> 1320,
# while 4,2 stays two numbers.
_THOUSANDS = re.compile(r"(?<=\d)[.,](?=\d{3}(?!\d))")
_NON_WORD = re.compile(r"\W+")

DEFINITIONS: dict[str, str] = {
    "answer_accuracy": "answerable questions answered right and not refused / answerable questions; right = "
    "some 'answers' alternative (if any) and every 'all_of' string occur in the normalised answer on word "
    "boundaries",
    "answer_token_recall": "mean over answerable questions of the best, over 'answers' alternatives (each "
    "joined with 'all_of'), share of the gold's normalised words present in the answer; a refusal scores 0",
    "citation_accuracy": "per answer, share of its distinct cited sources (basename) that are gold sources; "
    "averaged over answerable, non-refused answers with at least one citation",
    "false_refusal_rate": "answerable questions refused / answerable questions",
    "refusal_accuracy": "unanswerable questions refused / unanswerable questions",
    "unsupported_answers": "count of answers holding a number or date not found in their evidence "
    "(non-empty Answer.unsupported)",
    "misattributed": "answer sentences whose cited unit is about another subject (place, person) than the "
    "sentence names, judged from the document profiles (eval.attribution)",
    "latency_ms": "p50/p95 of each timing over the questions that report it (nearest-rank percentile)",
    "unaccented": "the same metrics over the questions typed without Vietnamese diacritics",
}


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    text = _THOUSANDS.sub("", text)
    return _NON_WORD.sub(" ", text).strip()


def contains(answer: str, gold: str) -> bool:
    """True when the normalised gold occurs in the normalised answer on word boundaries."""
    needle = normalize(gold)
    if not needle:
        return False
    return f" {needle} " in f" {normalize(answer)} "


def is_correct(item: QAItem, answer: str, refused: bool) -> bool:
    if not item.answerable or refused:
        return False
    alternative_ok = not item.answers or any(contains(answer, alt) for alt in item.answers)
    return alternative_ok and all(contains(answer, part) for part in item.all_of)


def token_recall(item: QAItem, answer: str, refused: bool = False) -> float:
    if refused:
        return 0.0
    present = set(normalize(answer).split())
    best = 0.0
    for alternative in item.answers or [""]:
        gold = normalize(" ".join([alternative, *item.all_of])).split()
        if gold:
            best = max(best, sum(1 for word in gold if word in present) / len(gold))
    return best


def citation_precision(cited: Iterable[str], gold: Sequence[str]) -> float | None:
    """Share of distinct cited sources that are gold; None when nothing is cited."""
    names = {basename(source) for source in cited}
    if not names:
        return None
    wanted = {basename(source) for source in gold}
    return len(names & wanted) / len(names)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class QuestionScore:
    id: str
    answerable: bool
    unaccented: bool
    correct: bool
    token_recall: float
    refused: bool
    citation_precision: float | None
    unsupported: bool
    retrieved_hit: bool | None
    misattributed: int = 0


def score_question(item: QAItem, row: ResultLine, k: int = 5) -> QuestionScore:
    retrieved = [r.source for r in row.retrieved]
    precision = None
    if item.answerable and not row.refused:
        precision = citation_precision((c.source for c in row.citations), item.sources)
    return QuestionScore(
        id=item.id,
        answerable=item.answerable,
        unaccented=item.unaccented,
        correct=is_correct(item, row.answer, row.refused),
        token_recall=token_recall(item, row.answer, row.refused) if item.answerable else 0.0,
        refused=row.refused,
        citation_precision=precision,
        unsupported=bool(row.unsupported),
        retrieved_hit=hit_at_k(retrieved, item.sources, k) if item.sources else None,
        misattributed=len(row.misattributed),
    )


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def latency(rows: Iterable[ResultLine]) -> dict[str, dict[str, float]]:
    """p50/p95 (and count) of each timing key over the rows that report it."""
    series: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.timings_ms.items():
            series.setdefault(key, []).append(value)
    return {
        key: {"p50": percentile(v, 50), "p95": percentile(v, 95), "count": float(len(v))}
        for key, v in sorted(series.items())
    }


def score_run(
    items: Sequence[QAItem],
    rows: Mapping[str, ResultLine],
    *,
    ks: Sequence[int] = DEFAULT_KS,
    answers: bool = True,
) -> dict[str, object]:
    """Every metric over the questions that have a result; `answers=False` for retrieval-only runs."""
    scored = [(item, rows[item.id]) for item in items if item.id in rows]
    metrics: dict[str, object] = {"questions": len(scored)}
    metrics["retrieval"] = score_retrieval(
        (([r.source for r in row.retrieved], item.sources) for item, row in scored if item.answerable), ks
    ).as_dict()
    if answers:
        per_question = [score_question(item, row) for item, row in scored]
        answerable = [s for s in per_question if s.answerable]
        unanswerable = [s for s in per_question if not s.answerable]
        precisions = [s.citation_precision for s in answerable if s.citation_precision is not None]
        metrics.update(
            answerable=len(answerable),
            unanswerable=len(unanswerable),
            answer_accuracy=_share([s.correct for s in answerable]),
            answer_token_recall=_mean([s.token_recall for s in answerable]),
            citation_accuracy=_mean(precisions),
            cited_answers=len(precisions),
            false_refusal_rate=_share([s.refused for s in answerable]),
            refusal_accuracy=_share([s.refused for s in unanswerable]),
            unsupported_answers=sum(s.unsupported for s in per_question),
            misattributed=sum(s.misattributed for s in per_question),
        )
    metrics["latency_ms"] = latency(row for _, row in scored)
    return metrics


def score_with_subsets(
    items: Sequence[QAItem],
    rows: Mapping[str, ResultLine],
    *,
    ks: Sequence[int] = DEFAULT_KS,
    answers: bool = True,
) -> dict[str, object]:
    """All metrics, plus the same metrics over the questions typed without diacritics under 'unaccented'."""
    metrics = score_run(items, rows, ks=ks, answers=answers)
    unaccented = [item for item in items if item.unaccented]
    metrics["unaccented"] = score_run(unaccented, rows, ks=ks, answers=answers)
    return metrics
