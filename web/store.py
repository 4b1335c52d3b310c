"""The state store seam: API keys, conversations, answers, feedback, the audit log and rate-limit counters.

`Database` (web/db.py, SQLite under <home>) is the default, for one server process; `PostgresStore`
(web/postgres_store.py) is shared by every replica on TROLY_DATABASE__URL=postgresql://... `open_store`
picks one from the settings.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

from assistant.llm.base import ChatMessage
from troly.records import Answer
from troly.settings import Settings
from web.db import ApiKey


class RateLimit(Protocol):
    def check(self, key: str) -> int | None:
        """Record one request for `key`; None when allowed, else the seconds to wait (Retry-After)."""
        ...


class StateStore(Protocol):
    @property
    def shared(self) -> bool:
        """True when several processes (replicas) share this store, so readiness checks it."""
        ...

    def close(self) -> None: ...

    def ping(self) -> None:
        """Raise (DatabaseUnavailableError, SchemaMismatchError) unless the store can be used now."""
        ...

    def rate_limiter(self, per_minute: int) -> RateLimit:
        """The per-minute limit as every process using this store sees it."""
        ...

    def write_lock(self, timeout_s: float) -> AbstractContextManager[Any]:
        """A reusable lock held around an upload or a delete (files in the uploads folder and the ingest),
        by every process using this store."""
        ...

    def create_key(self, name: str, *, admin: bool = False) -> tuple[ApiKey, str]: ...

    def find_key(self, token: str) -> ApiKey | None: ...

    def list_keys(self) -> list[ApiKey]: ...

    def revoke_key(self, key_id: int) -> bool: ...

    def create_conversation(self, key_id: int | None) -> str: ...

    def conversation_owner(self, conversation_id: str) -> tuple[bool, int | None]: ...

    def history(self, conversation_id: str, max_messages: int) -> list[ChatMessage]: ...

    def save_answer(self, answer: Answer, *, conversation_id: str | None, key_id: int | None) -> None: ...

    def answer_exists(self, answer_id: str) -> bool: ...

    def add_feedback(
        self, answer_id: str, rating: Literal["up", "down"], comment: str | None, *, key_id: int | None
    ) -> int: ...

    def audit(self, key_id: int | None, action: str, detail: str) -> None: ...

    def audit_log(self, limit: int = 100, action: str | None = None) -> list[dict[str, Any]]: ...


def open_store(settings: Settings) -> StateStore:
    """PostgreSQL when `database.url` names it, else the SQLite file under the home."""
    if settings.database.is_postgres:
        from web.postgres_store import PostgresStore

        return PostgresStore(settings.database)
    from web.db import Database

    return Database(settings.db_path)
