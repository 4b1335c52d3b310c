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
from web.console_records import (
    FeedbackItem,
    Review,
    Session,
    TouchThrottle,
    answer_figures,
    day_after,
    days,
    feedback_figures,
)
from web.db import hash_token, iso

_NOW = "extract(epoch FROM clock_timestamp())"
_FEEDBACK = (
    "SELECT f.id, f.answer_id, f.rating, f.comment, f.created_at, a.question, a.text, a.refused, a.citations,"
    " r.answerable, r.answers, r.sources, r.note, r.reviewed_at FROM feedback f JOIN answers a ON a.id = f.answer_id"
)


def _moment(day: str) -> datetime:
    """The start (UTC) of an ISO date or time, as the filters of both stores read it."""
    moment = datetime.fromisoformat(day)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class PostgresConsole:
    def __init__(self, client: PostgresClient) -> None:
        self._client = client
        self._touches = TouchThrottle()

    def _rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._client.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(sql, params).fetchall()

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
            f"ON k.id = s.key_id WHERE s.token_hash = %(hash)s AND s.expires_at >= {_NOW} "
            "AND k.revoked_at IS NULL AND k.admin",
            {"hash": hash_token(token)},
        )
        if not rows:
            return None
        row = rows[0]
        return Session(int(row["key_id"]), str(row["name"]), str(row["csrf"]), float(row["expires_at"]))

    def end_session(self, token: str) -> None:
        with self._client.connection() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE token_hash = %s", (hash_token(token),))

    # Key use

    def touch_key(self, key_id: int) -> None:
        if not self._touches.due(key_id):
            return
        with self._client.connection() as conn:
            conn.execute(
                "INSERT INTO key_usage (key_id, last_used_at) VALUES (%s, date_trunc('second', now())) "
                "ON CONFLICT (key_id) DO UPDATE SET last_used_at = excluded.last_used_at",
                (key_id,),
            )

    def last_used(self) -> dict[int, str]:
        rows = self._rows("SELECT key_id, last_used_at FROM key_usage", {})
        return {int(row["key_id"]): str(iso(row["last_used_at"])) for row in rows}

    # Feedback inbox and reviews

    def feedback_items(
        self, *, since: str | None = None, until: str | None = None, limit: int = 500
    ) -> list[FeedbackItem]:
        sql = _FEEDBACK + " LEFT JOIN feedback_reviews r ON r.feedback_id = f.id WHERE true"
        params: dict[str, Any] = {"limit": limit}
        if since:
            sql += " AND f.created_at >= %(since)s"
            params["since"] = _moment(since)
        if until:
            sql += " AND f.created_at < %(until)s"
            params["until"] = _moment(day_after(until))
        sql += " ORDER BY f.rating = 'up', f.id DESC LIMIT %(limit)s"
        return [_item(row) for row in self._rows(sql, params)]

    def feedback_exists(self, feedback_id: int) -> bool:
        return bool(self._rows("SELECT 1 FROM feedback WHERE id = %(id)s", {"id": feedback_id}))

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
        sql = _FEEDBACK + " JOIN feedback_reviews r ON r.feedback_id = f.id"
        params: dict[str, Any] = {}
        if since:
            sql += " WHERE r.reviewed_at >= %(since)s"
            params["since"] = _moment(since)
        return [_item(row) for row in self._rows(sql + " ORDER BY r.reviewed_at, f.id", params)]

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
        sql = "SELECT id, at, key_id, action, detail FROM audit WHERE true"
        params: dict[str, Any] = {"limit": limit}
        for name, clause, value in (
            ("action", " AND action = %(action)s", action),
            ("key_id", " AND key_id = %(key_id)s", key_id),
            ("since", " AND at >= %(since)s", _moment(since) if since else None),
            ("until", " AND at < %(until)s", _moment(day_after(until)) if until else None),
        ):
            if value is not None:
                sql += clause
                params[name] = value
        rows = self._rows(sql + " ORDER BY id DESC LIMIT %(limit)s", params)
        return [{**row, "at": iso(row["at"])} for row in rows]

    # Daily figures for the health page

    def daily_answers(self, count: int) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT created_at, coalesce((timings->>'total')::float8, 0) AS total FROM answers "
            "WHERE created_at >= %(first)s",
            {"first": _moment(days(count)[0])},
        )
        return answer_figures(((str(iso(row["created_at"])), float(row["total"])) for row in rows), count)

    def daily_feedback(self, count: int) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, rating, count(*) AS n "
            "FROM feedback WHERE created_at >= %(first)s GROUP BY day, rating",
            {"first": _moment(days(count)[0])},
        )
        return feedback_figures(((str(r["day"]), str(r["rating"]), int(r["n"])) for r in rows), count)


def _item(row: dict[str, Any]) -> FeedbackItem:
    review = None
    if row["reviewed_at"] is not None:
        review = Review(
            answerable=bool(row["answerable"]),
            answers=row["answers"],
            sources=row["sources"],
            note=row["note"],
            reviewed_at=str(iso(row["reviewed_at"])),
        )
    return FeedbackItem(
        id=row["id"],
        answer_id=row["answer_id"],
        rating=row["rating"],
        comment=row["comment"],
        created_at=str(iso(row["created_at"])),
        question=row["question"],
        answer=row["text"],
        refused=bool(row["refused"]),
        citations=row["citations"],
        review=review,
    )
