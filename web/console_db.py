"""What the admin console keeps beside `web/db.py`'s tables: sign-in sessions, key use, feedback reviews, and
the reads of its inbox, audit filters and daily figures.

Every method is one small read or write on the same SQLite connection as `Database` (its lock and
transactions), so a state-store seam can take them over one by one.
"""

from __future__ import annotations

import json
import secrets
import statistics
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from web.db import Database, hash_token

_SCHEMA = """
CREATE TABLE IF NOT EXISTS admin_sessions (
    token_hash TEXT PRIMARY KEY,
    key_id INTEGER NOT NULL REFERENCES api_keys(id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS key_usage (
    key_id INTEGER PRIMARY KEY REFERENCES api_keys(id),
    last_used_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback_reviews (
    feedback_id INTEGER PRIMARY KEY REFERENCES feedback(id),
    key_id INTEGER,
    reviewed_at TEXT NOT NULL,
    answerable INTEGER NOT NULL,
    answers TEXT NOT NULL,
    sources TEXT NOT NULL,
    note TEXT
);
"""
# Feedback with its answer; the caller joins feedback_reviews as `r`.
_FEEDBACK = (
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


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class ConsoleStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        with db._lock:
            db._conn.executescript(_SCHEMA)
        self._touched: dict[int, float] = {}
        self._touch_lock = threading.Lock()

    # Sessions: only the token's sha256 is stored; the CSRF token is sent to the page, never in a cookie.

    def create_session(self, key_id: int, ttl_s: float) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        now = time.time()
        with self._db._tx() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE expires_at < ?", (now,))
            conn.execute(
                "INSERT INTO admin_sessions(token_hash, key_id, csrf, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (hash_token(token), key_id, csrf, _iso(_now()), now + ttl_s),
            )
        rows = self._db._query("SELECT name FROM api_keys WHERE id = ?", (key_id,))
        return token, Session(key_id, str(rows[0]["name"]), csrf, now + ttl_s)

    def find_session(self, token: str) -> Session | None:
        """The live session of this token, while its key is still an active admin key."""
        rows = self._db._query(
            "SELECT s.key_id, s.csrf, s.expires_at, k.name FROM admin_sessions s JOIN api_keys k"
            " ON k.id = s.key_id WHERE s.token_hash = ? AND s.expires_at >= ? AND k.revoked_at IS NULL"
            " AND k.admin = 1",
            (hash_token(token), time.time()),
        )
        if not rows:
            return None
        row = rows[0]
        return Session(int(row["key_id"]), str(row["name"]), str(row["csrf"]), float(row["expires_at"]))

    def end_session(self, token: str) -> None:
        with self._db._tx() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE token_hash = ?", (hash_token(token),))

    # Key use

    def touch_key(self, key_id: int) -> None:
        now = time.monotonic()
        with self._touch_lock:
            if now - self._touched.get(key_id, float("-inf")) < TOUCH_EVERY_S:
                return
            self._touched[key_id] = now
        with self._db._tx() as conn:
            conn.execute(
                "INSERT INTO key_usage(key_id, last_used_at) VALUES (?, ?) ON CONFLICT(key_id)"
                " DO UPDATE SET last_used_at = excluded.last_used_at",
                (key_id, _iso(_now())),
            )

    def last_used(self) -> dict[int, str]:
        return {
            int(row["key_id"]): str(row["last_used_at"])
            for row in self._db._query("SELECT key_id, last_used_at FROM key_usage")
        }

    # Feedback inbox and reviews

    def feedback_items(
        self, *, since: str | None = None, until: str | None = None, limit: int = 500
    ) -> list[FeedbackItem]:
        """Feedback with its question, answer and review, thumbs-down first, newest first within each.
        `since` / `until` are ISO dates (inclusive)."""
        sql = _FEEDBACK + " LEFT JOIN feedback_reviews r ON r.feedback_id = f.id WHERE 1 = 1"
        params: list[Any] = []
        if since:
            sql += " AND f.created_at >= ?"
            params.append(since)
        if until:
            sql += " AND f.created_at < ?"
            params.append(_day_after(until))
        sql += " ORDER BY f.rating = 'up', f.id DESC LIMIT ?"
        params.append(limit)
        return [_item(row) for row in self._db._query(sql, params)]

    def feedback_exists(self, feedback_id: int) -> bool:
        return bool(self._db._query("SELECT 1 FROM feedback WHERE id = ?", (feedback_id,)))

    def save_review(self, feedback_id: int, key_id: int | None, review: Review) -> None:
        with self._db._tx() as conn:
            conn.execute(
                "INSERT INTO feedback_reviews(feedback_id, key_id, reviewed_at, answerable, answers, sources,"
                " note) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(feedback_id) DO UPDATE SET"
                " key_id = excluded.key_id, reviewed_at = excluded.reviewed_at,"
                " answerable = excluded.answerable, answers = excluded.answers, sources = excluded.sources,"
                " note = excluded.note",
                (
                    feedback_id,
                    key_id,
                    _iso(_now()),
                    int(review.answerable),
                    json.dumps(review.answers, ensure_ascii=False),
                    json.dumps(review.sources, ensure_ascii=False),
                    review.note,
                ),
            )

    def reviewed_items(self, since: str | None = None) -> list[FeedbackItem]:
        """Reviewed feedback, oldest review first; `since` (ISO date) bounds the review's date."""
        sql = _FEEDBACK + " JOIN feedback_reviews r ON r.feedback_id = f.id"
        params: list[Any] = []
        if since:
            sql += " WHERE r.reviewed_at >= ?"
            params.append(since)
        return [_item(row) for row in self._db._query(sql + " ORDER BY r.reviewed_at, f.id", params)]

    # Audit log, filtered

    def audit_entries(
        self,
        *,
        action: str | None = None,
        key_id: int | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        sql = "SELECT id, at, key_id, action, detail FROM audit WHERE 1 = 1"
        params: list[Any] = []
        for clause, value in (
            (" AND action = ?", action),
            (" AND key_id = ?", key_id),
            (" AND at >= ?", since),
            (" AND at < ?", _day_after(until) if until else None),
        ):
            if value is not None:
                sql += clause
                params.append(value)
        params.append(limit)
        return [dict(row) for row in self._db._query(sql + " ORDER BY id DESC LIMIT ?", params)]

    # Daily figures for the health page

    def daily_answers(self, days: int) -> list[dict[str, Any]]:
        """Per day of the last `days` (UTC, oldest first): answers given and their p50 total latency (ms)."""
        first = _first_day(days)
        rows = self._db._query("SELECT created_at, timings FROM answers WHERE created_at >= ?", (first,))
        totals: dict[str, list[float]] = {day: [] for day in _days(days)}
        for row in rows:
            timings = json.loads(row["timings"] or "{}")
            day = str(row["created_at"])[:10]
            if day in totals:
                totals[day].append(float(timings.get("total", 0.0)))
        return [
            {"day": day, "answers": len(values), "p50_ms": statistics.median(values) if values else None}
            for day, values in totals.items()
        ]

    def daily_feedback(self, days: int) -> list[dict[str, Any]]:
        rows = self._db._query(
            "SELECT substr(created_at, 1, 10) AS day, rating, count(*) AS n FROM feedback"
            " WHERE created_at >= ? GROUP BY day, rating",
            (_first_day(days),),
        )
        counts = {day: {"day": day, "up": 0, "down": 0} for day in _days(days)}
        for row in rows:
            if row["day"] in counts and row["rating"] in ("up", "down"):
                counts[row["day"]][row["rating"]] = int(row["n"])
        return list(counts.values())


def _days(days: int) -> list[str]:
    today = _now().date()
    return [(today - timedelta(days=offset)).isoformat() for offset in range(days - 1, -1, -1)]


def _first_day(days: int) -> str:
    return _days(days)[0]


def _day_after(day: str) -> str:
    """The day after an ISO date, so `at < day_after` includes every moment of `day`."""
    return (datetime.fromisoformat(day[:10]).date() + timedelta(days=1)).isoformat()


def _item(row: Any) -> FeedbackItem:
    review = None
    if row["reviewed_at"] is not None:
        review = Review(
            answerable=bool(row["answerable"]),
            answers=json.loads(row["answers"]),
            sources=json.loads(row["sources"]),
            note=row["note"],
            reviewed_at=row["reviewed_at"],
        )
    return FeedbackItem(
        id=row["id"],
        answer_id=row["answer_id"],
        rating=row["rating"],
        comment=row["comment"],
        created_at=row["created_at"],
        question=row["question"],
        answer=row["text"],
        refused=bool(row["refused"]),
        citations=json.loads(row["citations"]),
        review=review,
    )
