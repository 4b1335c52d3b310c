"""What the admin console's stores (web/console_db.py on SQLite, web/postgres_console.py on PostgreSQL) hand
back, and the parts both compute the same way: the key-use throttle, the day ranges, the daily figures."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from web.db import iso

# Feedback with its answer (the same SQL on both stores); the caller joins feedback_reviews as `r`.
FEEDBACK_SELECT = (
    "SELECT f.id, f.answer_id, f.rating, f.comment, f.created_at, a.question, a.text, a.refused, a.citations,"
    " r.answerable, r.answers, r.sources, r.note, r.reviewed_at FROM feedback f JOIN answers a ON a.id = f.answer_id"
)
# A key's last use is written at most this often: every request would be a write otherwise.
TOUCH_EVERY_S = 60.0


@dataclass(frozen=True)
class Session:
    key_id: int
    key_name: str
    csrf: str
    expires_at: float


def session_of(row: Mapping[str, Any]) -> Session:
    """A session from a row of `key_id, name, csrf, expires_at`."""
    return Session(int(row["key_id"]), str(row["name"]), str(row["csrf"]), float(row["expires_at"]))


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


@dataclass(frozen=True)
class AuditQuery:
    """The console's filters of the audit log: every one given must hold; dates are whole UTC days."""

    action: str | None = None
    key_id: int | None = None
    since: str | None = None
    until: str | None = None
    limit: int = 200

    def conditions(self) -> list[tuple[str, Any]]:
        """(an SQL condition whose one placeholder is `{}`, its value) for each filter given; the bounds'
        values are ISO dates (see `is_bound`)."""
        given = [("action = {}", self.action), ("key_id = {}", self.key_id)]
        return [(sql, value) for sql, value in given if value is not None] + day_bounds(
            "at", self.since, self.until
        )


def day_bounds(column: str, since: str | None, until: str | None) -> list[tuple[str, str]]:
    """Conditions keeping `column` (a time) within the days `since` .. `until`, both included."""
    bounds = [(f"{column} >= {{}}", since), (f"{column} < {{}}", day_after(until) if until else None)]
    return [(sql, value) for sql, value in bounds if value]


def is_bound(condition: str) -> bool:
    """Whether a condition of `day_bounds` (its value an ISO date, which PostgreSQL takes as a UTC time)."""
    return " >= {}" in condition or " < {}" in condition


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


def _decoded(value: Any) -> Any:
    """A JSON column: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def as_time(value: Any) -> str:
    """A time column as both stores return it: an ISO string (UTC, to the second)."""
    return str(iso(value)) if isinstance(value, datetime) else str(value)


def feedback_item(row: Mapping[str, Any]) -> FeedbackItem:
    """A feedback item from a row of either store (feedback, its answer, its review's columns or NULLs)."""
    review = None
    if row["reviewed_at"] is not None:
        review = Review(
            answerable=bool(row["answerable"]),
            answers=_decoded(row["answers"]),
            sources=_decoded(row["sources"]),
            note=row["note"],
            reviewed_at=as_time(row["reviewed_at"]),
        )
    plain = {name: row[name] for name in ("id", "answer_id", "rating", "comment", "question")}
    return FeedbackItem(
        **plain,
        created_at=as_time(row["created_at"]),
        answer=row["text"],
        refused=bool(row["refused"]),
        citations=_decoded(row["citations"]),
        review=review,
    )
