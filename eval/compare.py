"""Deltas between two runs' summaries (`troly eval compare A.summary.json B.summary.json`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from eval.summary import Summary

# Metrics where a smaller number is the better one.
LOWER_IS_BETTER = ("false_refusal_rate", "unsupported_answers", "misattributed", "latency_ms.")


def flatten(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Nested metrics as dotted keys ('retrieval.hit@1', 'latency_ms.total.p50'); non-numbers dropped."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat


def lower_is_better(metric: str) -> bool:
    bare = metric.removeprefix("unaccented.")
    return any(bare.startswith(m) for m in LOWER_IS_BETTER)


@dataclass(frozen=True)
class Delta:
    metric: str
    a: float | None
    b: float | None

    @property
    def diff(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def ratio(self) -> float | None:
        return None if self.a is None or self.b is None or self.a == 0 else self.b / self.a

    @property
    def better(self) -> bool | None:
        """Whether B improves on A (None when equal or not comparable)."""
        if self.diff is None or self.diff == 0:
            return None
        return (self.diff < 0) if lower_is_better(self.metric) else (self.diff > 0)


def compare_metrics(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Delta]:
    fa, fb = flatten(a), flatten(b)
    keys = list(fa) + [k for k in fb if k not in fa]
    return [Delta(metric=k, a=fa.get(k), b=fb.get(k)) for k in keys if not k.endswith(".count")]


def compare(a: Summary, b: Summary) -> list[Delta]:
    return compare_metrics(a.metrics, b.metrics)


def config_differences(a: Summary, b: Summary) -> list[tuple[str, str, str]]:
    """(field, A's value, B's value) for each configuration field that differs."""
    da, db = a.config.model_dump(mode="json"), b.config.model_dump(mode="json")
    keys = sorted(set(da) | set(db))
    return [(key, str(da.get(key)), str(db.get(key))) for key in keys if da.get(key) != db.get(key)]


def format_value(value: float | None) -> str:
    if value is None:
        return "–"
    if value.is_integer() and abs(value) > 1:
        return f"{value:.0f}"
    return f"{value:.3f}"


def comparison_table(a: Summary, b: Summary, *, title_a: str = "A", title_b: str = "B") -> Table:
    table = Table(title=f"{title_a} → {title_b}")
    for header in ("chỉ số", title_a, title_b, "chênh lệch", "tỉ lệ B/A"):
        table.add_column(header, justify="left" if header == "chỉ số" else "right")
    for delta in compare(a, b):
        style = {True: "green", False: "red", None: ""}[delta.better]
        diff = "–" if delta.diff is None else f"{delta.diff:+.3f}"
        ratio = "–" if delta.ratio is None else f"{delta.ratio:.2f}×"
        table.add_row(delta.metric, format_value(delta.a), format_value(delta.b), diff, ratio, style=style)
    return table
