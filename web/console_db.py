"""The admin console's store on SQLite (`web.store.ConsoleStore`), beside `web/db.py`'s tables in the same
file: sign-in sessions, key use, feedback reviews, and the reads of its inbox, audit filters and daily figures.

Every method is one small read or write through `Database`'s lock and transactions; the SQL both stores share
is `web.console_sql.ConsoleSql`'s, what is SQLite's own (the schema, sessions, daily figures) is here.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from typing import Any

from web import console_records as records
from web.console_records import Session
from web.console_sql import ConsoleSql
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


class SqliteConsole(ConsoleSql):
    def __init__(self, db: Database) -> None:
        self._db = db
        with db.transaction() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._db.transaction() as conn:
            conn.execute(sql, params)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self._db.query(sql, params)]

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
        rows = self._query(
            "SELECT s.key_id, s.csrf, s.expires_at, k.name FROM admin_sessions s JOIN api_keys k"
            " ON k.id = s.key_id WHERE s.token_hash = ? AND s.expires_at >= ? AND k.revoked_at IS NULL"
            " AND k.admin = 1",
            (hash_token(token), time.time()),
        )
        return records.session_of(rows[0]) if rows else None

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
