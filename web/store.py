"""The state store seam: API keys, conversations, answers, feedback, the audit log, rate-limit counters, and
the ingest job queue with its lease (web/jobs.py, web/ingest_worker.py); and beside it the admin console's
store (sessions, key use, feedback reviews: `ConsoleStore`).

`Database` (web/db.py, SQLite under <home>) is the default, for one server process; `PostgresStore`
(web/postgres_store.py) is shared by every replica on TROLY_DATABASE__URL=postgresql://... `open_store`
picks one from the settings; `open_console` gives the console's store on the same database (web/console_db.py,
web/postgres_console.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Literal, Protocol

from assistant.llm.base import ChatMessage
from troly.records import Answer
from troly.settings import Settings
from web.console_records import AuditQuery, FeedbackItem, Review, Session
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


class ConsoleStore(Protocol):
    """What the admin console (/admin, `troly feedback export`) keeps beside the state store, in the same
    database: sign-in sessions, each key's last use, feedback reviews; and its reads of the inbox, the audit
    log and the daily figures. Times are ISO strings (UTC, to the second); dates (`since`, `until`) are ISO
    dates, inclusive."""

    def create_session(self, key_id: int, ttl_s: float) -> tuple[str, Session]:
        """A new session for this key, valid `ttl_s` seconds: its token (for the cookie) and the session."""
        ...

    def find_session(self, token: str) -> Session | None:
        """The live session of this token, while its key is still an active admin key."""
        ...

    def end_session(self, token: str) -> None: ...

    def touch_key(self, key_id: int) -> None:
        """Record that the key was used now (`Services.key_used` calls it at most once a minute per key)."""
        ...

    def last_used(self) -> dict[int, str]: ...

    def feedback_items(
        self, *, since: str | None = None, until: str | None = None, limit: int = 500
    ) -> list[FeedbackItem]:
        """Feedback with its question, answer and review, thumbs-down first, newest first within each."""
        ...

    def feedback_exists(self, feedback_id: int) -> bool: ...

    def save_review(self, feedback_id: int, key_id: int | None, review: Review) -> None:
        """Record (or replace) the review of this feedback."""
        ...

    def reviewed_items(self, since: str | None = None) -> list[FeedbackItem]:
        """Reviewed feedback, oldest review first; `since` bounds the review's date."""
        ...

    def audit_entries(self, query: AuditQuery) -> list[dict[str, Any]]:
        """The audit entries `query` selects, newest first (each: id, at, key_id, action, detail)."""
        ...

    def daily_answers(self, count: int) -> list[dict[str, Any]]:
        """Per day of the last `count` (UTC, oldest first): answers given and their p50 total latency (ms)."""
        ...

    def daily_feedback(self, count: int) -> list[dict[str, Any]]:
        """Per day of the last `count` (UTC, oldest first): thumbs up and down."""
        ...


def open_console(store: StateStore) -> ConsoleStore:
    """The console's store in the same database as `store` (and, on SQLite, through its connection)."""
    from web.db import Database

    if isinstance(store, Database):
        from web.console_db import SqliteConsole

        return SqliteConsole(store)
    from web.postgres_console import PostgresConsole
    from web.postgres_store import PostgresStore

    if isinstance(store, PostgresStore):
        return PostgresConsole(store.client)
    raise TypeError(f"no console store for {type(store).__name__}")
