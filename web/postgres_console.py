"""The admin console's store on PostgreSQL (`web.store.ConsoleStore`, migration 0004_console), shared by every
replica: a session signed in through one replica is valid on all of them, a key's last use and a feedback
review are seen by all.

It reads back as the SQLite store (web/console_db.py) does: times as ISO strings to the second (UTC), review
answers and sources as lists. Session expiry is the database server's clock (epoch seconds), so replicas
whose clocks differ agree on when a session lapsed. Each method is one transaction on the state store's pool.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from troly.postgres.connection import PostgresClient
from web import console_records as records
from web.console_records import AuditQuery, FeedbackItem, Review, Session
from web.db import hash_token, iso

_NOW = "extract(epoch FROM clock_timestamp())"


def _moment(day: str) -> datetime:
    """The start (UTC) of an ISO date, as the SQLite store compares its ISO strings."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


class PostgresConsole:
    def __init__(self, client: PostgresClient) -> None:
        self._client = client

    def _rows(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._client.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, params).fetchall()

    def _where(self, sql: str, conditions: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
        where = "".join(" AND " + condition.format("%s") for condition, _ in conditions)
        values = [_moment(v) if records.is_bound(c) else v for c, v in conditions]
        return sql + " WHERE true" + where, values

    # Sessions: only the token's sha256 is stored; the CSRF token is sent to the page, never in a cookie.

    def create_session(self, key_id: int, ttl_s: float) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        with self._client.connection() as conn:
            conn.execute(f"DELETE FROM admin_sessions WHERE expires_at < {_NOW}")
            row = conn.execute(
                "INSERT INTO admin_sessions (token_hash, key_id, csrf, created_at, expires_at) "
                f"VALUES (%s, %s, %s, date_trunc('second', now()), {_NOW} + %s) RETURNING expires_at, "
                "(SELECT name FROM api_keys WHERE id = %s)",
                (hash_token(token), key_id, csrf, ttl_s, key_id),
            ).fetchone()
        assert row is not None
        return token, Session(key_id, str(row[1]), csrf, float(row[0]))

    def find_session(self, token: str) -> Session | None:
        rows = self._rows(
            "SELECT s.key_id, s.csrf, s.expires_at, k.name FROM admin_sessions s JOIN api_keys k "
            f"ON k.id = s.key_id WHERE s.token_hash = %s AND s.expires_at >= {_NOW} "
            "AND k.revoked_at IS NULL AND k.admin",
            (hash_token(token),),
        )
        return records.session_of(rows[0]) if rows else None

    def end_session(self, token: str) -> None:
        with self._client.connection() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE token_hash = %s", (hash_token(token),))

    # Key use

    def touch_key(self, key_id: int) -> None:
        with self._client.connection() as conn:
            conn.execute(
                "INSERT INTO key_usage (key_id, last_used_at) VALUES (%s, date_trunc('second', now())) "
                "ON CONFLICT (key_id) DO UPDATE SET last_used_at = excluded.last_used_at",
                (key_id,),
            )

    def last_used(self) -> dict[int, str]:
        rows = self._rows("SELECT key_id, last_used_at FROM key_usage")
        return {int(row["key_id"]): str(iso(row["last_used_at"])) for row in rows}

    # Feedback inbox and reviews

    def feedback_items(
        self, *, since: str | None = None, until: str | None = None, limit: int = 500
    ) -> list[FeedbackItem]:
        sql, params = self._where(
            records.FEEDBACK_SELECT + " LEFT JOIN feedback_reviews r ON r.feedback_id = f.id",
            records.day_bounds("f.created_at", since, until),
        )
        rows = self._rows(sql + " ORDER BY f.rating = 'up', f.id DESC LIMIT %s", [*params, limit])
        return [records.feedback_item(row) for row in rows]

    def feedback_exists(self, feedback_id: int) -> bool:
        return bool(self._rows("SELECT 1 FROM feedback WHERE id = %s", (feedback_id,)))

    def save_review(self, feedback_id: int, key_id: int | None, review: Review) -> None:
        with self._client.connection() as conn:
            conn.execute(
                "INSERT INTO feedback_reviews (feedback_id, key_id, reviewed_at, answerable, answers, sources, "
                "note) VALUES (%s, %s, date_trunc('second', now()), %s, %s, %s, %s) ON CONFLICT (feedback_id) "
                "DO UPDATE SET key_id = excluded.key_id, reviewed_at = excluded.reviewed_at, "
                "answerable = excluded.answerable, answers = excluded.answers, sources = excluded.sources, "
                "note = excluded.note",
                (
                    feedback_id,
                    key_id,
                    review.answerable,
                    Jsonb(review.answers),
                    Jsonb(review.sources),
                    review.note,
                ),
            )

    def reviewed_items(self, since: str | None = None) -> list[FeedbackItem]:
        sql, params = self._where(
            records.FEEDBACK_SELECT + " JOIN feedback_reviews r ON r.feedback_id = f.id",
            records.day_bounds("r.reviewed_at", since, None),
        )
        return [
            records.feedback_item(row) for row in self._rows(sql + " ORDER BY r.reviewed_at, f.id", params)
        ]

    # Audit log, filtered

    def audit_entries(self, query: AuditQuery) -> list[dict[str, Any]]:
        sql, params = self._where("SELECT id, at, key_id, action, detail FROM audit", query.conditions())
        rows = self._rows(sql + " ORDER BY id DESC LIMIT %s", [*params, query.limit])
        return [{**row, "at": iso(row["at"])} for row in rows]

    # Daily figures for the health page

    def daily_answers(self, count: int) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT created_at, coalesce((timings->>'total')::float8, 0) AS total FROM answers "
            "WHERE created_at >= %s",
            (_moment(records.days(count)[0]),),
        )
        return records.answer_figures([(str(iso(r["created_at"])), float(r["total"])) for r in rows], count)

    def daily_feedback(self, count: int) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, rating, count(*) AS n "
            "FROM feedback WHERE created_at >= %s GROUP BY day, rating",
            (_moment(records.days(count)[0]),),
        )
        return records.feedback_figures([(str(r["day"]), str(r["rating"]), int(r["n"])) for r in rows], count)
