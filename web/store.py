"""The state store seam: API keys, conversations, answers, feedback, the audit log, rate-limit counters, and
the ingest job queue with its lease (web/jobs.py, web/ingest_worker.py).

`Database` (web/db.py, SQLite under <home>) is the default, for one server process; `PostgresStore`
(web/postgres_store.py) is shared by every replica on TROLY_DATABASE__URL=postgresql://... `open_store`
picks one from the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Literal, Protocol

from assistant.llm.base import ChatMessage
from troly.records import Answer
from troly.settings import Settings
from web.db import ApiKey


class RateLimit(Protocol):
    def check(self, key: str) -> int | None:
        """Record one request for `key`; None when allowed, else the seconds to wait (Retry-After)."""
        ...


class WriteLock(Protocol):
    """One writer at a time, like `threading.Lock` (which is the single-process one): `with`, or `acquire`
    (False when not taken within `timeout` seconds; at once with blocking=False) and `release`."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool: ...

    def release(self) -> None: ...

    def __enter__(self) -> bool: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None: ...


class JobStore(Protocol):
    """The ingest jobs and the lease that lets one worker at a time run them, among the processes sharing
    the store. Rows are dicts of the `ingest_jobs` columns (times as ISO strings, `files` as JSON text)."""

    def insert_job(
        self, job_id: str, key_id: int | None, state: str, files: str, estimate_s: float
    ) -> None: ...

    def get_job(self, job_id: str) -> dict[str, Any] | None: ...

    def list_jobs(self, states: Sequence[str] = (), limit: int = 100) -> list[dict[str, Any]]:
        """Jobs in these states in queue order (oldest first); with no states, the newest `limit` first."""
        ...

    def claim_job(self, worker: str) -> dict[str, Any] | None:
        """The oldest queued job, now running for `worker`; None when the queue is empty."""
        ...

    def update_job(self, job_id: str, *, running_as: str | None = None, **fields: Any) -> bool:
        """Set job columns; with `running_as`, only while that worker runs the job. False when no row changed."""
        ...

    def cancel_job(self, job_id: str) -> str | None:
        """Cancel a queued job, flag a running one; the state afterwards, None for an unknown job."""
        ...

    def last_job_rate(self) -> float | None: ...

    def hold_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take or renew the lease `name`; True when `holder` holds it for `ttl_s` more seconds."""
        ...

    def release_lease(self, name: str, holder: str) -> None: ...

    def audit(self, key_id: int | None, action: str, detail: str) -> None: ...


class StateStore(JobStore, Protocol):
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

    def write_lock(self, timeout_s: float) -> WriteLock:
        """The lock held around an index write of the API (a job's final write, a delete: files in the uploads
        folder and the ingest), by every process using this store; `with` waits at most `timeout_s`."""
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

    def answer_owner(self, answer_id: str) -> tuple[bool, int | None]: ...

    def add_feedback(
        self, answer_id: str, rating: Literal["up", "down"], comment: str | None, *, key_id: int | None
    ) -> int: ...

    def audit_log(self, limit: int = 100, action: str | None = None) -> list[dict[str, Any]]: ...


def open_store(settings: Settings) -> StateStore:
    """PostgreSQL when `database.url` names it, else the SQLite file under the home."""
    if settings.database.is_postgres:
        from web.postgres_store import PostgresStore

        return PostgresStore(settings.database)
    from web.db import Database

    return Database(settings.db_path)
