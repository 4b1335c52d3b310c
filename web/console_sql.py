"""The admin console's reads and writes whose SQL is the same on SQLite and PostgreSQL, written once with `?`
placeholders; each store (web/console_db.py, web/postgres_console.py) says how to run a statement and how it
compares a day, and keeps what differs: its schema, its sessions' clock, its daily figures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from web import console_records as records
from web.console_records import AuditQuery, FeedbackItem, Review
from web.db import hash_token


class ConsoleSql:
    """`web.store.ConsoleStore`'s shared half; times are written as ISO strings (UTC, to the second)."""

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _day(self, day: str) -> Any:
        """An ISO date as the store compares it with a time column (its start, UTC)."""
        return day

    def _where(self, sql: str, conditions: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
        where = "".join(" AND " + condition.format("?") for condition, _ in conditions)
        values = [self._day(v) if records.is_bound(c) else v for c, v in conditions]
        return sql + " WHERE 1 = 1" + where, values

    def end_session(self, token: str) -> None:
        self._execute("DELETE FROM admin_sessions WHERE token_hash = ?", (hash_token(token),))

    def touch_key(self, key_id: int) -> None:
        self._execute(
            "INSERT INTO key_usage (key_id, last_used_at) VALUES (?, ?) ON CONFLICT (key_id)"
            " DO UPDATE SET last_used_at = excluded.last_used_at",
            (key_id, records.now_iso()),
        )

    def last_used(self) -> dict[int, str]:
        rows = self._query("SELECT key_id, last_used_at FROM key_usage")
        return {int(row["key_id"]): records.as_time(row["last_used_at"]) for row in rows}

    def feedback_items(
        self, *, since: str | None = None, until: str | None = None, limit: int = 500
    ) -> list[FeedbackItem]:
        sql, params = self._where(
            records.FEEDBACK_SELECT + " LEFT JOIN feedback_reviews r ON r.feedback_id = f.id",
            records.day_bounds("f.created_at", since, until),
        )
        rows = self._query(sql + " ORDER BY f.rating = 'up', f.id DESC LIMIT ?", [*params, limit])
        return [records.feedback_item(row) for row in rows]

    def feedback_exists(self, feedback_id: int) -> bool:
        return bool(self._query("SELECT 1 FROM feedback WHERE id = ?", (feedback_id,)))

    def save_review(self, feedback_id: int, key_id: int | None, review: Review) -> None:
        self._execute(
            "INSERT INTO feedback_reviews (feedback_id, key_id, reviewed_at, answerable, answers, sources, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feedback_id) DO UPDATE SET key_id = excluded.key_id,"
            " reviewed_at = excluded.reviewed_at, answerable = excluded.answerable, answers = excluded.answers,"
            " sources = excluded.sources, note = excluded.note",
            (
                feedback_id,
                key_id,
                records.now_iso(),
                review.answerable,
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
        return [
            records.feedback_item(row) for row in self._query(sql + " ORDER BY r.reviewed_at, f.id", params)
        ]

    def audit_entries(self, query: AuditQuery) -> list[dict[str, Any]]:
        sql, params = self._where("SELECT id, at, key_id, action, detail FROM audit", query.conditions())
        rows = self._query(sql + " ORDER BY id DESC LIMIT ?", [*params, query.limit])
        return [{**row, "at": records.as_time(row["at"])} for row in rows]
