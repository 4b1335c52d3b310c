"""Ingest jobs and leases: the upload queue of issue 16 (web/jobs.py), shared by every replica.

The same columns as the SQLite store's `ingest_jobs` (web/db.py): `seq` orders the queue, `files` holds one
record per file with its progress. `leases` lets one worker at a time hold the queue; its times are the
database server's clock, so replicas whose clocks differ still agree on when a lease has lapsed.

Revision ID: 0003_jobs
"""

from __future__ import annotations

from alembic import op

revision = "0003_jobs"
down_revision = "0002_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE ingest_jobs (
            seq BIGSERIAL PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            key_id BIGINT,
            state TEXT NOT NULL,
            files JSONB NOT NULL,
            estimate_s DOUBLE PRECISION NOT NULL DEFAULT 0,
            rate DOUBLE PRECISION,
            error TEXT,
            cancel_requested BOOLEAN NOT NULL DEFAULT false,
            attempts INTEGER NOT NULL DEFAULT 0,
            worker TEXT,
            created_at TIMESTAMPTZ NOT NULL,
            started_at TIMESTAMPTZ,
            updated_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ
        );
        CREATE INDEX ingest_jobs_by_state ON ingest_jobs(state, seq);
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE leases, ingest_jobs;")
