"""The follow-ups of commitments on PostgreSQL (migration 0005_followups), shared by every replica.

The same rows as `web.followups.SqliteFollowUps` read back the same way: `date` as 'YYYY-MM-DD', `updated_at`
as an ISO time in UTC to the microsecond. A state set on one replica is the one every replica shows next: the
newest row of a commitment is its state, by the serial id. The time a state was set is the database
server's clock, so replicas whose clocks differ still order a commitment's states as they were set.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from psycopg.rows import dict_row

from troly.postgres.connection import PostgresClient
from troly.settings import DatabaseSettings
from web.followups import COLUMNS, FollowUp, FollowUpEntry, FollowUpReads


def _follow_up(row: dict[str, Any]) -> FollowUp:
    return FollowUp.model_validate(
        {
            **row,
            "date": row["date"].isoformat(),
            "updated_at": row["updated_at"].astimezone(UTC).isoformat(timespec="microseconds"),
        }
    )


class PostgresFollowUps(FollowUpReads):
    """`web.followups.FollowUpStore` in the database every replica shares; each method is one transaction."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self._client = PostgresClient(settings, name="followups")

    def close(self) -> None:
        self._client.close()

    def _param(self, name: str) -> str:
        return f"%({name})s"

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[FollowUp]:
        with self._client.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(sql, params or {}).fetchall()
        return [_follow_up(row) for row in rows]

    def add(self, entry: FollowUpEntry, *, key_id: int | None) -> FollowUp:
        rows = self._rows(
            "INSERT INTO commitment_followups (commitment_id, agreement_id, source, quote, state, note, on_date, "
            "key_id, by_name, created_at) VALUES (%(commitment_id)s, %(agreement_id)s, %(source)s, %(quote)s, "
            f"%(state)s, %(note)s, %(date)s, %(key_id)s, %(by)s, now()) RETURNING {COLUMNS}",
            {**entry.model_dump(), "key_id": key_id},
        )
        return rows[0]
