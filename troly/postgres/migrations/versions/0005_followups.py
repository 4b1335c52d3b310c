"""Follow-ups of commitments: the tracker's states, notes and dates (web/followups.py), shared by every replica.

The same columns as the SQLite store's `commitment_followups`: one row per state set, the newest of a
commitment (by `id`) its current state; `on_date` is the date the state holds from, `created_at` when it was
set. `key_id` names the key that set it without a foreign key, as the audit log does: a follow-up outlives
its key.

Revision ID: 0005_followups
"""

from __future__ import annotations

from alembic import op

revision = "0005_followups"
down_revision = "0004_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE commitment_followups (
            id BIGSERIAL PRIMARY KEY,
            commitment_id TEXT NOT NULL,
            agreement_id TEXT NOT NULL,
            source TEXT NOT NULL,
            quote TEXT NOT NULL,
            state TEXT NOT NULL,
            note TEXT NOT NULL,
            on_date DATE NOT NULL,
            key_id BIGINT,
            by_name TEXT,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX commitment_followups_by_commitment ON commitment_followups(commitment_id, id);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE commitment_followups;")
