"""SQLite store of API keys (hashed), conversations, answers, feedback, the audit log, and the ingest job
queue with the lease that lets one worker at a time run it (web/jobs.py).

One connection shared behind a lock: writes are tiny and WAL lets other processes (`troly keys`) read
while the server writes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from assistant.llm.base import ChatMessage
from troly.errors import TrolyError
from troly.records import Answer
from web.ratelimit import RateLimiter

KEY_PREFIX = "troly_"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    admin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    key_id INTEGER,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    conversation_id TEXT,
    key_id INTEGER,
    question TEXT NOT NULL,
    text TEXT NOT NULL,
    refused INTEGER NOT NULL,
    citations TEXT NOT NULL,
    unsupported TEXT NOT NULL,
    timings TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL REFERENCES answers(id),
    key_id INTEGER,
    rating TEXT NOT NULL,
    comment TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    key_id INTEGER,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    key_id INTEGER,
    state TEXT NOT NULL,
    files TEXT NOT NULL,
    estimate_s REAL NOT NULL DEFAULT 0,
    rate REAL,
    error TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    updated_at TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS ingest_jobs_by_state ON ingest_jobs(state, seq);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""
# Columns of ingest_jobs a worker updates (update_job builds its SET clause from these names only).
JOB_FIELDS = frozenset(
    {
        "state",
        "files",
        "rate",
        "error",
        "cancel_requested",
        "attempts",
        "worker",
        "started_at",
        "updated_at",
        "finished_at",
    }
)


class ApiKey(BaseModel):
    id: int
    name: str
    hint: str
    admin: bool
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def iso(value: datetime | None) -> str | None:
    """A time as this store writes it (UTC, to the second): what every state store returns."""
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


class Database:
    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise TrolyError(f"Không mở được cơ sở dữ liệu {path}: {exc}", code="database") from exc
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # For the store seam (web/store.py): one process, so the limiter and the write lock are in memory.

    shared = False

    def ping(self) -> None:
        """The file was opened when the store was made; nothing can have gone away since."""

    def rate_limiter(self, per_minute: int) -> RateLimiter:
        return RateLimiter(per_minute)

    def write_lock(self, timeout_s: float) -> threading.Lock:
        return threading.Lock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    # For the stores kept beside this one on the same file (web/console_db.py): its lock and transactions.

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """The connection inside one write transaction (committed at the end of `with`, rolled back on error)."""
        return self._tx()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._query(sql, params)

    # API keys

    def create_key(self, name: str, *, admin: bool = False) -> tuple[ApiKey, str]:
        """A new key and its token; only the token's sha256 is stored, so the token is shown once."""
        name = name.strip()
        if not name:
            raise TrolyError("Tên khóa không được để trống.", code="invalid_key_name")
        token = new_token()
        created = _now()
        hint = token[: len(KEY_PREFIX) + 4] + "…"
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO api_keys(name, token_hash, hint, admin, created_at) VALUES (?, ?, ?, ?, ?)",
                (name, hash_token(token), hint, int(admin), created),
            )
        key_id = cur.lastrowid
        assert key_id is not None
        return ApiKey(id=key_id, name=name, hint=hint, admin=admin, created_at=created), token

    def find_key(self, token: str) -> ApiKey | None:
        """The active key with this token, or None."""
        rows = self._query(
            "SELECT * FROM api_keys WHERE token_hash = ? AND revoked_at IS NULL", (hash_token(token),)
        )
        return _key(rows[0]) if rows else None

    def list_keys(self) -> list[ApiKey]:
        return [_key(row) for row in self._query("SELECT * FROM api_keys ORDER BY id")]

    def revoke_key(self, key_id: int) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (_now(), key_id)
            )
        return cur.rowcount > 0

    # Conversations and answers

    def create_conversation(self, key_id: int | None) -> str:
        conversation_id = uuid.uuid4().hex
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO conversations(id, key_id, created_at) VALUES (?, ?, ?)",
                (conversation_id, key_id, _now()),
            )
        return conversation_id

    def conversation_owner(self, conversation_id: str) -> tuple[bool, int | None]:
        """(exists, key id that created it)."""
        rows = self._query("SELECT key_id FROM conversations WHERE id = ?", (conversation_id,))
        return (True, rows[0]["key_id"]) if rows else (False, None)

    def history(self, conversation_id: str, max_messages: int) -> list[ChatMessage]:
        if max_messages <= 0:
            return []
        rows = self._query(
            "SELECT role, content FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?",
            (conversation_id, max_messages),
        )
        return [ChatMessage(role=row["role"], content=row["content"]) for row in reversed(rows)]

    def save_answer(self, answer: Answer, *, conversation_id: str | None, key_id: int | None) -> None:
        now = _now()
        citations = json.dumps([c.model_dump() for c in answer.citations], ensure_ascii=False)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO answers(id, conversation_id, key_id, question, text, refused, citations,"
                " unsupported, timings, model, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer.id,
                    conversation_id,
                    key_id,
                    answer.question,
                    answer.text,
                    int(answer.refused),
                    citations,
                    json.dumps(answer.unsupported, ensure_ascii=False),
                    json.dumps(answer.timings_ms),
                    answer.model,
                    now,
                ),
            )
            if conversation_id is not None:
                conn.executemany(
                    "INSERT INTO messages(conversation_id, role, content, created_at) VALUES (?, ?, ?, ?)",
                    [
                        (conversation_id, "user", answer.question, now),
                        (conversation_id, "assistant", answer.text, now),
                    ],
                )

    def answer_exists(self, answer_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM answers WHERE id = ?", (answer_id,)))

    def answer_owner(self, answer_id: str) -> tuple[bool, int | None]:
        """(exists, key id that asked)."""
        rows = self._query("SELECT key_id FROM answers WHERE id = ?", (answer_id,))
        return (True, rows[0]["key_id"]) if rows else (False, None)

    def add_feedback(
        self, answer_id: str, rating: Literal["up", "down"], comment: str | None, *, key_id: int | None
    ) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO feedback(answer_id, key_id, rating, comment, created_at) VALUES (?, ?, ?, ?, ?)",
                (answer_id, key_id, rating, comment, _now()),
            )
        feedback_id = cur.lastrowid
        assert feedback_id is not None
        return feedback_id

    # Audit: who asked or changed what, and when. Never the key itself nor document text.

    def audit(self, key_id: int | None, action: str, detail: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO audit(at, key_id, action, detail) VALUES (?, ?, ?, ?)",
                (_now(), key_id, action, detail),
            )

    def audit_log(self, limit: int = 100, action: str | None = None) -> list[dict[str, Any]]:
        """The newest `limit` entries, newest first; only those of `action` when given."""
        if action is None:
            rows = self._query(
                "SELECT at, key_id, action, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)
            )
        else:
            rows = self._query(
                "SELECT at, key_id, action, detail FROM audit WHERE action = ? ORDER BY id DESC LIMIT ?",
                (action, limit),
            )
        return [dict(row) for row in rows]

    # Ingest jobs: `seq` orders the queue; `files` is the JSON list of per-file records (web/jobs.py).

    def insert_job(self, job_id: str, key_id: int | None, state: str, files: str, estimate_s: float) -> None:
        now = _now()
        finished = now if state not in ("queued", "running") else None
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO ingest_jobs(id, key_id, state, files, estimate_s, created_at, updated_at,"
                " finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, key_id, state, files, estimate_s, now, now, finished),
            )

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM ingest_jobs WHERE id = ?", (job_id,))
        return dict(rows[0]) if rows else None

    def list_jobs(self, states: Sequence[str] = (), limit: int = 100) -> list[dict[str, Any]]:
        """Jobs in these states in queue order (oldest first); with no states, the newest `limit` first."""
        if not states:
            rows = self._query("SELECT * FROM ingest_jobs ORDER BY seq DESC LIMIT ?", (limit,))
        else:
            marks = ", ".join("?" for _ in states)
            rows = self._query(
                f"SELECT * FROM ingest_jobs WHERE state IN ({marks}) ORDER BY seq LIMIT ?", (*states, limit)
            )
        return [dict(row) for row in rows]

    def claim_job(self, worker: str) -> dict[str, Any] | None:
        """The oldest queued job, now running for `worker`; None when the queue is empty."""
        now = _now()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT id FROM ingest_jobs WHERE state = 'queued' ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE ingest_jobs SET state = 'running', worker = ?, started_at = ?, updated_at = ?,"
                " attempts = attempts + 1 WHERE id = ? AND state = 'queued'",
                (worker, now, now, row["id"]),
            )
            claimed = conn.execute("SELECT * FROM ingest_jobs WHERE id = ?", (row["id"],)).fetchone()
        return dict(claimed)

    def update_job(self, job_id: str, *, running_as: str | None = None, **fields: Any) -> bool:
        """Set `fields` (columns of `JOB_FIELDS`); with `running_as`, only while that worker runs the job.
        False when no row was changed."""
        unknown = set(fields) - JOB_FIELDS
        if unknown:
            raise ValueError(f"not job columns: {sorted(unknown)}")
        fields.setdefault("updated_at", _now())
        sets = ", ".join(f"{name} = ?" for name in fields)
        guard, params = ("", [job_id]) if running_as is None else (" AND worker = ?", [job_id, running_as])
        with self._tx() as conn:
            cur = conn.execute(
                f"UPDATE ingest_jobs SET {sets} WHERE id = ?{guard}", [*fields.values(), *params]
            )
        return cur.rowcount > 0

    def cancel_job(self, job_id: str) -> str | None:
        """A queued job is cancelled at once; a running one is asked to stop (its worker finishes it).
        Returns the job's state afterwards, None for an unknown job."""
        now = _now()
        with self._tx() as conn:
            conn.execute(
                "UPDATE ingest_jobs SET state = 'cancelled', finished_at = ?, updated_at = ?"
                " WHERE id = ? AND state = 'queued'",
                (now, now, job_id),
            )
            conn.execute(
                "UPDATE ingest_jobs SET cancel_requested = 1, updated_at = ? WHERE id = ? AND state = 'running'",
                (now, job_id),
            )
            row = conn.execute("SELECT state FROM ingest_jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else str(row["state"])

    def last_job_rate(self) -> float | None:
        """Embedding speed (chunks/s) the most recent job measured."""
        rows = self._query("SELECT rate FROM ingest_jobs WHERE rate IS NOT NULL ORDER BY seq DESC LIMIT 1")
        return float(rows[0]["rate"]) if rows else None

    # Leases: one holder at a time among the processes sharing this database (the ingest worker's queue).

    def hold_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take the lease, or renew it when `holder` has it; True when `holder` holds it for `ttl_s` more
        seconds. Another holder's lease is taken only once it has expired."""
        now = time.time()
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO leases(name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE"
                " SET holder = excluded.holder, expires_at = excluded.expires_at"
                " WHERE leases.holder = excluded.holder OR leases.expires_at < ?",
                (name, holder, now + ttl_s, now),
            )
            row = conn.execute("SELECT holder FROM leases WHERE name = ?", (name,)).fetchone()
        return row is not None and row["holder"] == holder

    def release_lease(self, name: str, holder: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))


def _key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        hint=row["hint"],
        admin=bool(row["admin"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
