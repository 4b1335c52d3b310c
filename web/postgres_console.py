"""The admin console's store on PostgreSQL (`web.store.ConsoleStore`, migration 0004_console), shared by every
replica: a session signed in through one replica is valid on all of them, a key's last use and a feedback
review are seen by all.

It reads back as the SQLite store (web/console_db.py) does: times as ISO strings to the second (UTC), review
answers and sources as lists. Session expiry is the database server's clock (epoch seconds), so replicas
whose clocks differ agree on when a session lapsed. Each method is one transaction on the state store's pool;
the SQL both stores share is `web.console_sql.ConsoleSql`'s.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg.rows import dict_row

from troly.postgres.connection import PostgresClient
from web import console_records as records
from web.console_records import Session
from web.console_sql import ConsoleSql
from web.db import hash_token, iso

_NOW = "extract(epoch FROM clock_timestamp())"


def _placeholders(sql: str) -> str:
    """The shared SQL's `?` placeholders as psycopg's `%s` (the console's SQL holds no other `?` or `%`)."""
    return sql.replace("?", "%s")


class PostgresConsole(ConsoleSql):
    def __init__(self, client: PostgresClient) -> None:
        self._client = client

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._client.connection() as conn:
            conn.execute(_placeholders(sql), params)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._client.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(_placeholders(sql), params).fetchall()

    def _day(self, day: str) -> datetime:
        return datetime.fromisoformat(day).replace(tzinfo=UTC)

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
        rows = self._query(
            "SELECT s.key_id, s.csrf, s.expires_at, k.name FROM admin_sessions s JOIN api_keys k "
            f"ON k.id = s.key_id WHERE s.token_hash = %s AND s.expires_at >= {_NOW} "
            "AND k.revoked_at IS NULL AND k.admin",
            (hash_token(token),),
        )
        return records.session_of(rows[0]) if rows else None

    # Daily figures for the health page

    def daily_answers(self, count: int) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT created_at, coalesce((timings->>'total')::float8, 0) AS total FROM answers "
            "WHERE created_at >= %s",
            (self._day(records.days(count)[0]),),
        )
        return records.answer_figures([(str(iso(r["created_at"])), float(r["total"])) for r in rows], count)

    def daily_feedback(self, count: int) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, rating, count(*) AS n "
            "FROM feedback WHERE created_at >= %s GROUP BY day, rating",
            (self._day(records.days(count)[0]),),
        )
        return records.feedback_figures([(str(r["day"]), str(r["rating"]), int(r["n"])) for r in rows], count)
