"""The state store on PostgreSQL, shared by every replica (TROLY_DATABASE__URL=postgresql://...).

The same records and answers as the SQLite store (web/db.py), so the API cannot tell them apart: ids are the
same kind, times the same ISO strings. Each method is one transaction on a pooled connection: a connection lost
mid-request rolls back (no answer without its messages) and surfaces as DatabaseUnavailableError (503). Rate
limits are a sliding minute counted in PostgreSQL (`troly_rate_hit`, one round trip), so a key's limit and an
address's failed authentications hold across replicas; the write lock around index writes (a job's final
write, a delete) is an advisory lock; the ingest job queue and its lease are tables (web/postgres_jobs.py).
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any, Literal

from assistant.llm.base import ChatMessage
from troly.errors import TrolyError
from troly.postgres.connection import AdvisoryLock, PostgresClient
from troly.records import Answer
from troly.settings import DatabaseSettings
from web.db import KEY_PREFIX, ApiKey, hash_token, iso, new_token
from web.postgres_jobs import PostgresJobs
from web.ratelimit import WINDOW_S

UPLOADS_LOCK = "troly:uploads"


class PostgresRateLimiter:
    """`web.store.RateLimit` counted in PostgreSQL: every replica sees the same minute."""

    def __init__(self, client: PostgresClient, per_minute: int) -> None:
        self._client = client
        self._limit = per_minute

    def check(self, key: str) -> int | None:
        with self._client.connection() as conn:
            row = conn.execute("SELECT troly_rate_hit(%s, %s, %s)", (key, self._limit, WINDOW_S)).fetchone()
        wait = None if row is None else row[0]
        return None if wait is None else max(1, math.ceil(float(wait)))


class PostgresStore(PostgresJobs):
    """`web.store.StateStore` on PostgreSQL; the ingest jobs and their lease come from `PostgresJobs`."""

    shared = True

    def __init__(self, settings: DatabaseSettings) -> None:
        super().__init__(PostgresClient(settings, name="state"))

    @property
    def client(self) -> PostgresClient:
        """The pool, for the stores kept beside this one in the same database (web/postgres_console.py)."""
        return self._client

    def close(self) -> None:
        self._client.close()

    def ping(self) -> None:
        with self._client.connection() as conn:
            conn.execute("SELECT 1")

    def rate_limiter(self, per_minute: int) -> PostgresRateLimiter:
        return PostgresRateLimiter(self._client, per_minute)

    def write_lock(self, timeout_s: float) -> AdvisoryLock:
        message = f"Một máy chủ khác đang cập nhật tài liệu; đã chờ {timeout_s:.0f} giây. Hãy thử lại sau."
        return self._client.lock(UPLOADS_LOCK, timeout_s=timeout_s, busy_message=message)

    # API keys

    def create_key(self, name: str, *, admin: bool = False) -> tuple[ApiKey, str]:
        name = name.strip()
        if not name:
            raise TrolyError("Tên khóa không được để trống.", code="invalid_key_name")
        token = new_token()
        hint = token[: len(KEY_PREFIX) + 4] + "…"
        with self._client.connection() as conn:
            row = conn.execute(
                "INSERT INTO api_keys (name, token_hash, hint, admin, created_at) "
                "VALUES (%s, %s, %s, %s, date_trunc('second', now())) RETURNING id, created_at",
                (name, hash_token(token), hint, admin),
            ).fetchone()
        assert row is not None
        created = iso(row[1])
        assert created is not None
        return ApiKey(id=row[0], name=name, hint=hint, admin=admin, created_at=created), token

    def find_key(self, token: str) -> ApiKey | None:
        with self._client.connection() as conn:
            row = conn.execute(
                "SELECT id, name, hint, admin, created_at, revoked_at FROM api_keys "
                "WHERE token_hash = %s AND revoked_at IS NULL",
                (hash_token(token),),
            ).fetchone()
        return None if row is None else _key(row)

    def list_keys(self) -> list[ApiKey]:
        with self._client.connection() as conn:
            rows = conn.execute(
                "SELECT id, name, hint, admin, created_at, revoked_at FROM api_keys ORDER BY id"
            ).fetchall()
        return [_key(row) for row in rows]

    def revoke_key(self, key_id: int) -> bool:
        with self._client.connection() as conn:
            cur = conn.execute(
                "UPDATE api_keys SET revoked_at = date_trunc('second', now()) "
                "WHERE id = %s AND revoked_at IS NULL",
                (key_id,),
            )
            return cur.rowcount > 0

    # Conversations and answers

    def create_conversation(self, key_id: int | None) -> str:
        conversation_id = uuid.uuid4().hex
        with self._client.connection() as conn:
            conn.execute(
                "INSERT INTO conversations (id, key_id, created_at) VALUES (%s, %s, now())",
                (conversation_id, key_id),
            )
        return conversation_id

    def conversation_owner(self, conversation_id: str) -> tuple[bool, int | None]:
        with self._client.connection() as conn:
            row = conn.execute(
                "SELECT key_id FROM conversations WHERE id = %s", (conversation_id,)
            ).fetchone()
        return (True, row[0]) if row is not None else (False, None)

    def history(self, conversation_id: str, max_messages: int) -> list[ChatMessage]:
        if max_messages <= 0:
            return []
        with self._client.connection() as conn:
            rows = conn.execute(
                "SELECT role, content FROM messages WHERE conversation_id = %s ORDER BY id DESC LIMIT %s",
                (conversation_id, max_messages),
            ).fetchall()
        return [ChatMessage(role=role, content=content) for role, content in reversed(rows)]

    def save_answer(self, answer: Answer, *, conversation_id: str | None, key_id: int | None) -> None:
        """The answer and its two messages in one transaction: all of them, or none."""
        citations = json.dumps([c.model_dump() for c in answer.citations], ensure_ascii=False)
        with self._client.connection() as conn:
            conn.execute(
                "INSERT INTO answers (id, conversation_id, key_id, question, text, refused, citations, "
                "unsupported, timings, model, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
                (
                    answer.id,
                    conversation_id,
                    key_id,
                    answer.question,
                    answer.text,
                    answer.refused,
                    citations,
                    json.dumps(answer.unsupported, ensure_ascii=False),
                    json.dumps(answer.timings_ms),
                    answer.model,
                ),
            )
            if conversation_id is not None:
                conn.execute(
                    "INSERT INTO messages (conversation_id, role, content, created_at) "
                    "VALUES (%s, 'user', %s, now()), (%s, 'assistant', %s, now())",
                    (conversation_id, answer.question, conversation_id, answer.text),
                )

    def answer_exists(self, answer_id: str) -> bool:
        with self._client.connection() as conn:
            return conn.execute("SELECT 1 FROM answers WHERE id = %s", (answer_id,)).fetchone() is not None

    def answer_owner(self, answer_id: str) -> tuple[bool, int | None]:
        with self._client.connection() as conn:
            row = conn.execute("SELECT key_id FROM answers WHERE id = %s", (answer_id,)).fetchone()
        return (True, row[0]) if row is not None else (False, None)

    def add_feedback(
        self, answer_id: str, rating: Literal["up", "down"], comment: str | None, *, key_id: int | None
    ) -> int:
        with self._client.connection() as conn:
            row = conn.execute(
                "INSERT INTO feedback (answer_id, key_id, rating, comment, created_at) "
                "VALUES (%s, %s, %s, %s, now()) RETURNING id",
                (answer_id, key_id, rating, comment),
            ).fetchone()
        assert row is not None
        return int(row[0])

    # Audit

    def audit(self, key_id: int | None, action: str, detail: str) -> None:
        with self._client.connection() as conn:
            conn.execute(
                "INSERT INTO audit (at, key_id, action, detail) VALUES (date_trunc('second', now()), %s, %s, %s)",
                (key_id, action, detail),
            )

    def audit_log(self, limit: int = 100, action: str | None = None) -> list[dict[str, Any]]:
        where = "" if action is None else "WHERE action = %(action)s"
        with self._client.connection() as conn:
            rows = conn.execute(
                f"SELECT at, key_id, action, detail FROM audit {where} ORDER BY id DESC LIMIT %(limit)s",
                {"action": action, "limit": limit},
            ).fetchall()
        return [
            {"at": iso(at), "key_id": key_id, "action": act, "detail": detail}
            for at, key_id, act, detail in rows
        ]


def _key(row: tuple[Any, ...]) -> ApiKey:
    key_id, name, hint, admin, created_at, revoked_at = row
    created = iso(created_at)
    assert created is not None
    return ApiKey(
        id=key_id, name=name, hint=hint, admin=bool(admin), created_at=created, revoked_at=iso(revoked_at)
    )
