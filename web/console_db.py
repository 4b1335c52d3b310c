"""The admin console's store on SQLite (`web.store.ConsoleStore`), beside `web/db.py`'s tables in the same
file: sign-in sessions, key use, feedback reviews, and the reads of its inbox, audit filters and daily figures.

Every method is one small read or write through `Database`'s lock and transactions.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from web import console_records as records
from web.console_records import AuditQuery, FeedbackItem, Review, Session
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


class SqliteConsole:
    def __init__(self, db: Database) -> None:
        self._db = db
        with db.transaction() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def _where(self, sql: str, conditions: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
        where = "".join(" AND " + condition.format("?") for condition, _ in conditions)
        return sql + " WHERE 1 = 1" + where, [value for _, value in conditions]

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
                (hash_token(token), key_id, csrf, records.now_iso(), now + ttl_s),
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
        return records.session_of(dict(rows[0])) if rows else None

    def end_session(self, token: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE token_hash = ?", (hash_token(token),))

    # Key use

    def touch_key(self, key_id: int) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO key_usage(key_id, last_used_at) VALUES (?, ?) ON CONFLICT(key_id)"
                " DO UPDATE SET last_used_at = excluded.last_used_at",
                (key_id, records.now_iso()),
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
        sql, params = self._where(
            records.FEEDBACK_SELECT + " LEFT JOIN feedback_reviews r ON r.feedback_id = f.id",
            records.day_bounds("f.created_at", since, until),
        )
        rows = self._db.query(sql + " ORDER BY f.rating = 'up', f.id DESC LIMIT ?", [*params, limit])
        return [records.feedback_item(dict(row)) for row in rows]

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
                    records.now_iso(),
                    int(review.answerable),
                    json.dumps(review.answers, ensure_ascii=False),
                    json.dumps(review.sources, ensure_ascii=False),
                    review.note,
                ),
            )

    def reviewed_items(self, since: str | None = None) -> list[FeedbackItem]:
        sql, params = self._where(
            records.FEEDBACK_SELECT + " JOIN feedback_reviews r ON r.feedback_id = f.id",
            records.day_bounds("r.reviewed_at", since, None),
        )
        rows = self._db.query(sql + " ORDER BY r.reviewed_at, f.id", params)
        return [records.feedback_item(dict(row)) for row in rows]

    # Audit log, filtered

    def audit_entries(self, query: AuditQuery) -> list[dict[str, Any]]:
        sql, params = self._where("SELECT id, at, key_id, action, detail FROM audit", query.conditions())
        return [
            dict(row) for row in self._db.query(sql + " ORDER BY id DESC LIMIT ?", [*params, query.limit])
        ]

    # Daily figures for the health page

    def daily_answers(self, count: int) -> list[dict[str, Any]]:
        first = records.days(count)[0]
        rows = self._db.query("SELECT created_at, timings FROM answers WHERE created_at >= ?", (first,))
        totals = [
            (str(r["created_at"]), float(json.loads(r["timings"] or "{}").get("total", 0.0))) for r in rows
        ]
        return records.answer_figures(totals, count)

    def daily_feedback(self, count: int) -> list[dict[str, Any]]:
        rows = self._db.query(
            "SELECT substr(created_at, 1, 10) AS day, rating, count(*) AS n FROM feedback"
            " WHERE created_at >= ? GROUP BY day, rating",
            (records.days(count)[0],),
        )
        return records.feedback_figures([(str(r["day"]), str(r["rating"]), int(r["n"])) for r in rows], count)
