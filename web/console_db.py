"""The admin console's store on SQLite (`web.store.ConsoleStore`), beside `web/db.py`'s tables in the same
file: sign-in sessions, key use, feedback reviews, and the reads of its inbox, audit filters and daily figures.

Every method is one small read or write through `Database`'s lock and transactions.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from web.console_records import (
    FeedbackItem,
    Review,
    Session,
    TouchThrottle,
    answer_figures,
    day_after,
    days,
    feedback_figures,
    now_iso,
)
from web.db import Database, hash_token

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS admin_sessions (
    token_hash TEXT PRIMARY KEY,
    key_id INTEGER NOT NULL REFERENCES api_keys(id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at REAL NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS key_usage (
    key_id INTEGER PRIMARY KEY REFERENCES api_keys(id),
    last_used_at TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS feedback_reviews (
    feedback_id INTEGER PRIMARY KEY REFERENCES feedback(id),
    key_id INTEGER,
    reviewed_at TEXT NOT NULL,
    answerable INTEGER NOT NULL,
    answers TEXT NOT NULL,
    sources TEXT NOT NULL,
    note TEXT
)""",
)
# Feedback with its answer; the caller joins feedback_reviews as `r`.
_FEEDBACK = (
    "SELECT f.id, f.answer_id, f.rating, f.comment, f.created_at, a.question, a.text, a.refused, a.citations,"
    " r.answerable, r.answers, r.sources, r.note, r.reviewed_at FROM feedback f JOIN answers a ON a.id = f.answer_id"
)


class SqliteConsole:
    def __init__(self, db: Database) -> None:
        self._db = db
        with db.transaction() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)
        self._touches = TouchThrottle()

    # Sessions: only the token's sha256 is stored; the CSRF token is sent to the page, never in a cookie.

    def create_session(self, key_id: int, ttl_s: float) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        now = time.time()
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE expires_at < ?", (now,))
            conn.execute(
                "INSERT INTO admin_sessions(token_hash, key_id, csrf, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (hash_token(token), key_id, csrf, now_iso(), now + ttl_s),
            )
            name = conn.execute("SELECT name FROM api_keys WHERE id = ?", (key_id,)).fetchone()[0]
        return token, Session(key_id, str(name), csrf, now + ttl_s)

    def find_session(self, token: str) -> Session | None:
        rows = self._db.query(
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
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE token_hash = ?", (hash_token(token),))

    # Key use

    def touch_key(self, key_id: int) -> None:
        if not self._touches.due(key_id):
            return
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO key_usage(key_id, last_used_at) VALUES (?, ?) ON CONFLICT(key_id)"
                " DO UPDATE SET last_used_at = excluded.last_used_at",
                (key_id, now_iso()),
            )

    def last_used(self) -> dict[int, str]:
        return {
            int(row["key_id"]): str(row["last_used_at"])
            for row in self._db.query("SELECT key_id, last_used_at FROM key_usage")
        }

    # Feedback inbox and reviews

    def feedback_items(
        self, *, since: str | None = None, until: str | None = None, limit: int = 500
    ) -> list[FeedbackItem]:
        sql = _FEEDBACK + " LEFT JOIN feedback_reviews r ON r.feedback_id = f.id WHERE 1 = 1"
        params: list[Any] = []
        if since:
            sql += " AND f.created_at >= ?"
            params.append(since)
        if until:
            sql += " AND f.created_at < ?"
            params.append(day_after(until))
        sql += " ORDER BY f.rating = 'up', f.id DESC LIMIT ?"
        params.append(limit)
        return [_item(row) for row in self._db.query(sql, params)]

    def feedback_exists(self, feedback_id: int) -> bool:
        return bool(self._db.query("SELECT 1 FROM feedback WHERE id = ?", (feedback_id,)))

    def save_review(self, feedback_id: int, key_id: int | None, review: Review) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO feedback_reviews(feedback_id, key_id, reviewed_at, answerable, answers, sources,"
                " note) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(feedback_id) DO UPDATE SET"
                " key_id = excluded.key_id, reviewed_at = excluded.reviewed_at,"
                " answerable = excluded.answerable, answers = excluded.answers, sources = excluded.sources,"
                " note = excluded.note",
                (
                    feedback_id,
                    key_id,
                    now_iso(),
                    int(review.answerable),
                    json.dumps(review.answers, ensure_ascii=False),
                    json.dumps(review.sources, ensure_ascii=False),
                    review.note,
                ),
            )

    def reviewed_items(self, since: str | None = None) -> list[FeedbackItem]:
        sql = _FEEDBACK + " JOIN feedback_reviews r ON r.feedback_id = f.id"
        params: list[Any] = []
        if since:
            sql += " WHERE r.reviewed_at >= ?"
            params.append(since)
        return [_item(row) for row in self._db.query(sql + " ORDER BY r.reviewed_at, f.id", params)]

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
            (" AND at < ?", day_after(until) if until else None),
        ):
            if value is not None:
                sql += clause
                params.append(value)
        params.append(limit)
        return [dict(row) for row in self._db.query(sql + " ORDER BY id DESC LIMIT ?", params)]

    # Daily figures for the health page

    def daily_answers(self, count: int) -> list[dict[str, Any]]:
        rows = self._db.query(
            "SELECT created_at, timings FROM answers WHERE created_at >= ?", (days(count)[0],)
        )
        return answer_figures(
            (
                (str(row["created_at"]), float(json.loads(row["timings"] or "{}").get("total", 0.0)))
                for row in rows
            ),
            count,
        )

    def daily_feedback(self, count: int) -> list[dict[str, Any]]:
        rows = self._db.query(
            "SELECT substr(created_at, 1, 10) AS day, rating, count(*) AS n FROM feedback"
            " WHERE created_at >= ? GROUP BY day, rating",
            (days(count)[0],),
        )
        return feedback_figures(((str(r["day"]), str(r["rating"]), int(r["n"])) for r in rows), count)


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
