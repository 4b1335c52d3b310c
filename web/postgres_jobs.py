"""The ingest job queue and its lease on PostgreSQL (migration 0003_jobs), for `web.postgres_store`.

The rows read back as the SQLite store's (web/db.py) do: times as ISO strings to the second, `files` as
JSON text, so `web.jobs.JobRecord` and the worker cannot tell the stores apart. Each method is one
transaction. The lease is taken and renewed against the database server's clock (`clock_timestamp()`), so
replicas whose clocks differ agree on when it lapsed; a replica that dies stops renewing it, and after
`jobs.lease_s` another replica's worker takes the queue and settles the job it left.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.rows import dict_row

from troly.postgres.connection import PostgresClient
from web.db import JOB_FIELDS, iso

_TIMES = ("created_at", "started_at", "updated_at", "finished_at")
_COLUMNS = (
    "seq, id, key_id, state, files::text AS files, estimate_s, rate, error, cancel_requested, attempts, "
    "worker, created_at, started_at, updated_at, finished_at"
)


def _job(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {**row, **{name: iso(row[name]) for name in _TIMES}}


class PostgresJobs:
    """`web.store.JobStore` on PostgreSQL (less `audit`, which the state store has)."""

    def __init__(self, client: PostgresClient) -> None:
        self._client = client

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[dict[str, Any]]:
        with self._client.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(sql, params).fetchall()
        return [job for job in map(_job, rows) if job is not None]

    def insert_job(self, job_id: str, key_id: int | None, state: str, files: str, estimate_s: float) -> None:
        finished = "now()" if state not in ("queued", "running") else "NULL"
        with self._client.connection() as conn:
            conn.execute(
                "INSERT INTO ingest_jobs (id, key_id, state, files, estimate_s, created_at, updated_at, "
                f"finished_at) VALUES (%s, %s, %s, %s, %s, now(), now(), {finished})",
                (job_id, key_id, state, files, estimate_s),
            )

    def get_job(self, job_id: str) -> dict[str, Any] | None:
        rows = self._rows(f"SELECT {_COLUMNS} FROM ingest_jobs WHERE id = %s", (job_id,))
        return rows[0] if rows else None

    def list_jobs(self, states: Sequence[str] = (), limit: int = 100) -> list[dict[str, Any]]:
        if not states:
            return self._rows(f"SELECT {_COLUMNS} FROM ingest_jobs ORDER BY seq DESC LIMIT %s", (limit,))
        return self._rows(
            f"SELECT {_COLUMNS} FROM ingest_jobs WHERE state = ANY(%s) ORDER BY seq LIMIT %s",
            (list(states), limit),
        )

    def claim_job(self, worker: str) -> dict[str, Any] | None:
        rows = self._rows(
            "UPDATE ingest_jobs SET state = 'running', worker = %s, started_at = now(), updated_at = now(), "
            "attempts = attempts + 1 WHERE seq = (SELECT seq FROM ingest_jobs WHERE state = 'queued' "
            f"ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING {_COLUMNS}",
            (worker,),
        )
        return rows[0] if rows else None

    def update_job(self, job_id: str, *, running_as: str | None = None, **fields: Any) -> bool:
        unknown = set(fields) - JOB_FIELDS
        if unknown:
            raise ValueError(f"not job columns: {sorted(unknown)}")
        if "cancel_requested" in fields:
            fields["cancel_requested"] = bool(fields["cancel_requested"])
        sets = [f"{name} = %({name})s" for name in fields]
        if "updated_at" not in fields:
            sets.append("updated_at = now()")
        guard = "" if running_as is None else " AND worker = %(_running_as)s"
        with self._client.connection() as conn:
            cur = conn.execute(
                f"UPDATE ingest_jobs SET {', '.join(sets)} WHERE id = %(_id)s{guard}",
                {**fields, "_id": job_id, "_running_as": running_as},
            )
            return cur.rowcount > 0

    def cancel_job(self, job_id: str) -> str | None:
        with self._client.connection() as conn:
            conn.execute(
                "UPDATE ingest_jobs SET state = 'cancelled', finished_at = now(), updated_at = now() "
                "WHERE id = %s AND state = 'queued'",
                (job_id,),
            )
            conn.execute(
                "UPDATE ingest_jobs SET cancel_requested = true, updated_at = now() "
                "WHERE id = %s AND state = 'running'",
                (job_id,),
            )
            row = conn.execute("SELECT state FROM ingest_jobs WHERE id = %s", (job_id,)).fetchone()
        return None if row is None else str(row[0])

    def last_job_rate(self) -> float | None:
        with self._client.connection() as conn:
            row = conn.execute(
                "SELECT rate FROM ingest_jobs WHERE rate IS NOT NULL ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return None if row is None else float(row[0])

    def hold_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        with self._client.connection() as conn:
            row = conn.execute(
                "INSERT INTO leases (name, holder, expires_at) "
                "VALUES (%s, %s, clock_timestamp() + make_interval(secs => %s)) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
                "WHERE leases.holder = excluded.holder OR leases.expires_at < clock_timestamp() "
                "RETURNING holder",
                (name, holder, ttl_s),
            ).fetchone()
        return row is not None

    def release_lease(self, name: str, holder: str) -> None:
        with self._client.connection() as conn:
            conn.execute("DELETE FROM leases WHERE name = %s AND holder = %s", (name, holder))
