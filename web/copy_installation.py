"""`troly db copy --to URL`: an installation on one machine moved into an empty PostgreSQL database.

The SQLite state (web/db.py, with the admin console's sessions, key use and reviews of web/console_db.py,
and the commitments' follow-ups of web/followups.py: the whole history in its order, so each commitment keeps
its current state): every row of every table, ids kept (audit entries and feedback name their key and answer
by id), in one transaction, the sequences continuing after the copied ids; the ingest jobs too (their lease
is not state: the first replica's worker takes it). The index: its live generation (index/copy_index.py).
The uploaded files: to the shared folder replicas will read, with the staged files of the jobs that have not
finished.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Collection
from pathlib import Path
from typing import Any

from troly.errors import TrolyError
from troly.settings import Settings
from web.uploads import JOBS_FOLDER

# Table -> columns, in an order that satisfies the foreign keys; which columns hold booleans and JSON.
TABLES: dict[str, tuple[str, ...]] = {
    "api_keys": ("id", "name", "token_hash", "hint", "admin", "created_at", "revoked_at"),
    "conversations": ("id", "key_id", "created_at"),
    "messages": ("id", "conversation_id", "role", "content", "created_at"),
    "answers": (
        "id", "conversation_id", "key_id", "question", "text", "refused", "citations", "unsupported",
        "timings", "model", "created_at",
    ),
    "feedback": ("id", "answer_id", "key_id", "rating", "comment", "created_at"),
    "audit": ("id", "at", "key_id", "action", "detail"),
    "ingest_jobs": (
        "seq", "id", "key_id", "state", "files", "estimate_s", "rate", "error", "cancel_requested", "attempts",
        "worker", "created_at", "started_at", "updated_at", "finished_at",
    ),
    "admin_sessions": ("token_hash", "key_id", "csrf", "created_at", "expires_at"),
    "key_usage": ("key_id", "last_used_at"),
    "feedback_reviews": ("feedback_id", "key_id", "reviewed_at", "answerable", "answers", "sources", "note"),
    "commitment_followups": (
        "id", "commitment_id", "agreement_id", "source", "quote", "state", "note", "on_date", "key_id",
        "by_name", "created_at",
    ),
}  # fmt: skip
_BOOLEANS = {"admin", "refused", "cancel_requested", "answerable"}
# Table -> its serial column, whose sequence continues after the copied ids.
_SERIAL = {
    "api_keys": "id", "messages": "id", "feedback": "id", "audit": "id", "ingest_jobs": "seq",
    "commitment_followups": "id",
}  # fmt: skip


def _rows(source: sqlite3.Connection, table: str) -> list[tuple[Any, ...]]:
    columns = TABLES[table]
    if (
        source.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
        is None
    ):
        return []  # a store made before that table existed (ingest_jobs came with upload jobs, the console's
        # tables when a server first ran with the console, commitment_followups with the tracker)
    rows = source.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid").fetchall()
    flags = [c in _BOOLEANS for c in columns]
    return [
        tuple(bool(v) if flag and v is not None else v for v, flag in zip(row, flags, strict=True))
        for row in rows
    ]


def copy_state(sqlite_path: Path, conn: Any) -> dict[str, int]:
    """Copy every table of the SQLite file into `conn` (a psycopg connection, in its transaction); the
    number of rows per table. Refuses a target that already holds any row."""
    if not sqlite_path.is_file():
        return {table: 0 for table in TABLES}
    for table in TABLES:
        if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
            raise TrolyError(
                f"Cơ sở dữ liệu đích đã có dữ liệu (bảng {table}); troly db copy chỉ chép vào cơ sở dữ liệu trống.",
                code="target_not_empty",
            )
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    counts: dict[str, int] = {}
    try:
        for table, columns in TABLES.items():
            rows = _rows(source, table)
            with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            counts[table] = len(rows)
    finally:
        source.close()
    for table, serial in _SERIAL.items():
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{serial}'), coalesce(max({serial}), 0) + 1, false) "
            f"FROM {table}"
        )
    return counts


def copy_uploads(old: Path, new: Path, jobs: Collection[str] = ()) -> int:
    """Copy the uploaded files (not the hidden staging and backup files) to the shared folder, keeping their
    times, so that the index sees them as the files it recorded; and the staged files of the unfinished
    `jobs`, so that they run on the replicas. Refuses to overwrite a different file."""
    if not old.is_dir() or old.resolve() == new.resolve():
        return 0
    copied = 0
    for path in sorted(old.rglob("*")):
        relative = path.relative_to(old)
        if not path.is_file() or not _copied(relative, jobs):
            continue
        target = new / relative
        if target.exists() and target.read_bytes() != path.read_bytes():
            raise TrolyError(
                f"Thư mục {new} đã có tệp {relative} khác với bản ở {old}.", code="target_not_empty"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied += 1
    return copied


def _copied(relative: Path, jobs: Collection[str]) -> bool:
    parts = relative.parts
    if len(parts) == 3 and parts[0] == JOBS_FOLDER and parts[1] in jobs:
        return True
    return not any(part.startswith(".") for part in parts)


def unfinished_jobs(sqlite_path: Path) -> list[str]:
    """Ids of the queued and running jobs of a SQLite store (their staged files are still needed)."""
    if not sqlite_path.is_file():
        return []
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        return [
            row[0]
            for row in source.execute(
                "SELECT id FROM ingest_jobs WHERE state IN ('queued', 'running')"
            ).fetchall()
        ]
    except sqlite3.OperationalError:  # no ingest_jobs table: a store made before upload jobs
        return []
    finally:
        source.close()


def copy_installation(settings: Settings, target_url: str, uploads_dir: Path | None = None) -> dict[str, int]:
    """Move an installation (SQLite state, files-backend index, uploads) into an empty PostgreSQL database,
    upgrading its schema first; the counts copied. The source is only read. When the state cannot be copied,
    the copied index is dropped again, so a failed copy can simply be run again."""
    import psycopg

    from index.copy_index import copy_index
    from troly.postgres import schema
    from troly.postgres.connection import conninfo, unavailable

    schema.upgrade(target_url)
    target = settings.model_copy(
        update={
            "database": settings.database.model_copy(update={"url": target_url}),
            "index": settings.index.model_copy(update={"backend": "postgres"}),
        }
    )
    try:
        with psycopg.connect(conninfo(target_url)) as conn:
            for table in (*TABLES, "index_generations"):
                if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                    raise TrolyError(
                        f"Cơ sở dữ liệu đích đã có dữ liệu (bảng {table}); troly db copy chỉ chép vào "
                        "cơ sở dữ liệu trống.",
                        code="target_not_empty",
                    )
        counts: dict[str, int] = {}
        moved = None
        if uploads_dir is not None:
            counts["uploads"] = copy_uploads(
                settings.uploads_dir, uploads_dir, unfinished_jobs(settings.db_path)
            )
            moved = (settings.uploads_dir, uploads_dir)
        counts.update(copy_index(settings, target, moved))
        try:
            with psycopg.connect(conninfo(target_url)) as conn:
                counts.update(copy_state(settings.db_path, conn))
        except BaseException:
            with psycopg.connect(conninfo(target_url)) as conn:
                conn.execute("DELETE FROM index_current")
                conn.execute("DELETE FROM index_generations")
                conn.execute("DELETE FROM index_vectors")
            raise
    except psycopg.OperationalError as exc:
        raise unavailable(target_url, exc) from exc
    return counts
