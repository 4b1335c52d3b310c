"""Follow-up of commitments: an admin's state, note and date for a commitment, kept as a history.

A seam of its own (`FollowUpStore`, four methods: `add`, `latest`, `history`, `all_latest`): `SqliteFollowUps`
keeps it in the server's SQLite file beside `web/db.py`'s tables, in a table with numbered migrations
(`MIGRATIONS`, applied once each and recorded in `followup_migrations`); `PostgresFollowUps`
(web/postgres_followups.py, migration 0005_followups) in the database every replica shares.
`open_followups` picks the one the settings' database names, as `web.store.open_store` does. A row keeps
the commitment's id, its document and the quote it was set on: the id is made from the document and the
quote (`ingest.commitments.commitment_id`), so the status stays with the commitment across re-ingests while
the quote is unchanged, and a status whose commitment is gone is known for what it was said about.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from troly.errors import TrolyError
from troly.records import FollowUpState
from troly.settings import Settings

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE commitment_followups (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        commitment_id TEXT NOT NULL,
        agreement_id TEXT NOT NULL,
        source TEXT NOT NULL,
        quote TEXT NOT NULL,
        state TEXT NOT NULL,
        note TEXT NOT NULL,
        on_date TEXT NOT NULL,
        key_id INTEGER,
        by_name TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX commitment_followups_by_commitment ON commitment_followups(commitment_id, id);
    """,
)


class FollowUpEntry(BaseModel):
    """A state to record on a commitment."""

    commitment_id: str
    agreement_id: str
    source: str
    quote: str = Field(description="The commitment's quote when the state was set.")
    state: FollowUpState
    note: str = ""
    date: str = Field(description="The date the state holds from, ISO 'YYYY-MM-DD'.")
    by: str | None = Field(default=None, description="Name of the key that set it.")


class FollowUp(FollowUpEntry):
    updated_at: str


# The stored columns under the names of FollowUp's fields (the same in both stores).
COLUMNS = (
    'commitment_id, agreement_id, source, quote, state, note, on_date AS "date", by_name AS "by", '
    "created_at AS updated_at"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class FollowUpStore(Protocol):
    def add(self, entry: FollowUpEntry, *, key_id: int | None) -> FollowUp:
        """Record a new state of the commitment (the history keeps the earlier ones), set now."""
        ...

    def latest(self, commitment_id: str) -> FollowUp | None: ...

    def history(self, commitment_id: str) -> list[FollowUp]:
        """Every state set on the commitment, newest first."""
        ...

    def all_latest(self) -> list[FollowUp]:
        """The current follow-up of every commitment that has one, oldest set first."""
        ...

    def close(self) -> None: ...


class FollowUpReads(ABC):
    """The reads, the same SQL on both stores; a store says how it names a parameter and runs a query."""

    @abstractmethod
    def _param(self, name: str) -> str: ...

    @abstractmethod
    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[FollowUp]: ...

    def latest(self, commitment_id: str) -> FollowUp | None:
        rows = self.history(commitment_id, limit=1)
        return rows[0] if rows else None

    def history(self, commitment_id: str, limit: int | None = None) -> list[FollowUp]:
        last = "" if limit is None else f" LIMIT {int(limit)}"
        return self._rows(
            f"SELECT {COLUMNS} FROM commitment_followups WHERE commitment_id = {self._param('commitment_id')} "
            f"ORDER BY id DESC{last}",
            {"commitment_id": commitment_id},
        )

    def all_latest(self) -> list[FollowUp]:
        return self._rows(
            f"SELECT {COLUMNS} FROM commitment_followups JOIN (SELECT max(id) AS last FROM commitment_followups "
            "GROUP BY commitment_id) AS latest ON id = last ORDER BY id"
        )


def open_followups(settings: Settings) -> FollowUpStore:
    """PostgreSQL when `database.url` names it, else the SQLite file under the home."""
    if settings.database.is_postgres:
        from web.postgres_followups import PostgresFollowUps

        return PostgresFollowUps(settings.database)
    return SqliteFollowUps(settings.db_path)


class SqliteFollowUps(FollowUpReads):
    """`FollowUpStore` in the server's SQLite file, for one server process."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Python's implicit transactions: `with self._conn:` commits a write, or rolls it back on error.
            self._conn = sqlite3.connect(path, check_same_thread=False, timeout=10)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.row_factory = sqlite3.Row
            self._lock = threading.Lock()
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise TrolyError(f"Không mở được cơ sở dữ liệu {path}: {exc}", code="database") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _migrate(self) -> None:
        with self._lock:
            self._conn.execute("CREATE TABLE IF NOT EXISTS followup_migrations (version INTEGER PRIMARY KEY)")
            self._conn.commit()
            done = {row[0] for row in self._conn.execute("SELECT version FROM followup_migrations")}
            for version, script in enumerate(MIGRATIONS, start=1):
                if version not in done:  # each migration and its record in one transaction
                    self._conn.executescript(
                        f"BEGIN IMMEDIATE;{script};"
                        f"INSERT INTO followup_migrations(version) VALUES ({version});COMMIT;"
                    )

    def _param(self, name: str) -> str:
        return f":{name}"

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[FollowUp]:
        with self._lock:
            rows = self._conn.execute(sql, params or {}).fetchall()
        return [_follow_up(row) for row in rows]

    def add(self, entry: FollowUpEntry, *, key_id: int | None) -> FollowUp:
        follow_up = FollowUp(**entry.model_dump(), updated_at=_now())
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO commitment_followups(commitment_id, agreement_id, source, quote, state, note, "
                "on_date, key_id, by_name, created_at) VALUES (:commitment_id, :agreement_id, :source, :quote, "
                ":state, :note, :date, :key_id, :by, :updated_at)",
                {**follow_up.model_dump(), "key_id": key_id},
            )
        return follow_up


def _follow_up(row: sqlite3.Row) -> FollowUp:
    return FollowUp.model_validate(dict(row))
