"""The admin console (issue 13, web/postgres_console.py): sign-in sessions, each key's last use, feedback
reviews, shared by every replica.

The same columns as the SQLite store's (web/console_db.py). `admin_sessions.expires_at` stays epoch seconds,
compared with the database server's clock, so a session lapses at the same moment on every replica.

Revision ID: 0004_console
"""

from __future__ import annotations

from alembic import op

revision = "0004_console"
down_revision = "0003_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE admin_sessions (
            token_hash TEXT PRIMARY KEY,
            key_id BIGINT NOT NULL REFERENCES api_keys(id),
            csrf TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX admin_sessions_by_expiry ON admin_sessions(expires_at);
        CREATE TABLE key_usage (
            key_id BIGINT PRIMARY KEY REFERENCES api_keys(id),
            last_used_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE feedback_reviews (
            feedback_id BIGINT PRIMARY KEY REFERENCES feedback(id),
            key_id BIGINT,
            reviewed_at TIMESTAMPTZ NOT NULL,
            answerable BOOLEAN NOT NULL,
            answers JSONB NOT NULL,
            sources JSONB NOT NULL,
            note TEXT
        );
        CREATE INDEX feedback_reviews_by_time ON feedback_reviews(reviewed_at);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE feedback_reviews, key_usage, admin_sessions;")
