"""The follow-ups of commitments on PostgreSQL (migration 0005_followups), shared by every replica.

The same rows as `web.followups.SqliteFollowUps` read back the same way: `date` as 'YYYY-MM-DD', `updated_at`
as an ISO time in UTC to the microsecond. A state set on one replica is the one every replica shows next: the
newest row of a commitment is its state, by the serial id. The time a state was set is the database
server's clock, so replicas whose clocks differ still order a commitment's states as they were set.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from psycopg.rows import dict_row

from troly.postgres.connection import PostgresClient
from troly.records import FollowUpState
from troly.settings import DatabaseSettings
from web.followups import COLUMNS, FollowUp


def _follow_up(row: dict[str, Any]) -> FollowUp:
    return FollowUp.model_validate(
        {
            **row,
            "date": row["date"].isoformat(),
            "updated_at": row["updated_at"].astimezone(UTC).isoformat(timespec="microseconds"),
        }
    )


class PostgresFollowUps:
    """`web.followups.FollowUpStore` in the database every replica shares; each method is one transaction."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self._client = PostgresClient(settings, name="followups")

    def close(self) -> None:
        self._client.close()

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[FollowUp]:
        with self._client.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(sql, params).fetchall()
        return [_follow_up(row) for row in rows]

    def add(
        self,
        *,
        commitment_id: str,
        agreement_id: str,
        source: str,
        quote: str,
        state: FollowUpState,
        note: str,
        date: str,
        key_id: int | None,
        by: str | None,
    ) -> FollowUp:
        rows = self._rows(
            "INSERT INTO commitment_followups (commitment_id, agreement_id, source, quote, state, note, on_date, "
            "key_id, by_name, created_at) VALUES (%(commitment_id)s, %(agreement_id)s, %(source)s, %(quote)s, "
            f"%(state)s, %(note)s, %(date)s, %(key_id)s, %(by)s, now()) RETURNING {COLUMNS}",
            {
                "commitment_id": commitment_id,
                "agreement_id": agreement_id,
                "source": source,
                "quote": quote,
                "state": state,
                "note": note,
                "date": date,
                "key_id": key_id,
                "by": by,
            },
        )
        return rows[0]

    def latest(self, commitment_id: str) -> FollowUp | None:
        rows = self._rows(
            f"SELECT {COLUMNS} FROM commitment_followups WHERE commitment_id = %s ORDER BY id DESC LIMIT 1",
            (commitment_id,),
        )
        return rows[0] if rows else None

    def history(self, commitment_id: str) -> list[FollowUp]:
        return self._rows(
            f"SELECT {COLUMNS} FROM commitment_followups WHERE commitment_id = %s ORDER BY id DESC",
            (commitment_id,),
        )

    def all_latest(self) -> list[FollowUp]:
        return self._rows(
            f"SELECT {COLUMNS} FROM commitment_followups JOIN (SELECT max(id) AS last FROM commitment_followups "
            "GROUP BY commitment_id) AS latest ON id = last ORDER BY id"
        )
