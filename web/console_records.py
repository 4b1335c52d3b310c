"""What the admin console's stores (web/console_db.py on SQLite, web/postgres_console.py on PostgreSQL) hand
back, and the parts both compute the same way: the key-use throttle, the day ranges, the daily figures."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

# A key's last use is written at most this often: every request would be a write otherwise.
TOUCH_EVERY_S = 60.0


@dataclass(frozen=True)
class Session:
    key_id: int
    key_name: str
    csrf: str
    expires_at: float


class Review(BaseModel):
    """What a reviewer decided about a question: its right answer and sources, or that none exists."""

    answerable: bool
    answers: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    note: str | None = None
    reviewed_at: str = ""


class FeedbackItem(BaseModel):
    id: int
    answer_id: str
    rating: str
    comment: str | None
    created_at: str
    question: str
    answer: str
    refused: bool
    citations: list[dict[str, Any]]
    review: Review | None = None

    @property
    def sources(self) -> list[str]:
        return [str(c.get("source", "")) for c in self.citations]


class TouchThrottle:
    """Whether a key's use is due to be written again, in this process (at most every TOUCH_EVERY_S)."""

    def __init__(self) -> None:
        self._touched: dict[int, float] = {}
        self._lock = threading.Lock()

    def due(self, key_id: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._touched.get(key_id, float("-inf")) < TOUCH_EVERY_S:
                return False
            self._touched[key_id] = now
            return True


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def days(count: int) -> list[str]:
    """The last `count` UTC days as ISO dates, oldest first."""
    today = datetime.now(UTC).date()
    return [(today - timedelta(days=offset)).isoformat() for offset in range(count - 1, -1, -1)]


def day_after(day: str) -> str:
    """The day after an ISO date, so `at < day_after` includes every moment of `day`."""
    return (datetime.fromisoformat(day[:10]).date() + timedelta(days=1)).isoformat()


def answer_figures(answers: Iterable[tuple[str, float]], count: int) -> list[dict[str, Any]]:
    """Per day of the last `count` (oldest first), from (ISO time, total latency ms) pairs: answers given and
    their p50 total latency (ms)."""
    totals: dict[str, list[float]] = {day: [] for day in days(count)}
    for at, total in answers:
        if at[:10] in totals:
            totals[at[:10]].append(total)
    return [
        {"day": day, "answers": len(values), "p50_ms": statistics.median(values) if values else None}
        for day, values in totals.items()
    ]


def feedback_figures(counts: Iterable[tuple[str, str, int]], count: int) -> list[dict[str, Any]]:
    """Per day of the last `count` (oldest first), from (ISO day, rating, n) triples: thumbs up and down."""
    figures = {day: {"day": day, "up": 0, "down": 0} for day in days(count)}
    for day, rating, n in counts:
        if day in figures and rating in ("up", "down"):
            figures[day][rating] = n
    return list(figures.values())
