"""State: API keys, conversations and messages, answers, feedback, audit, rate-limit hits.

The same tables as the SQLite store (web/db.py), with PostgreSQL types; `troly_rate_hit` is the sliding
one-minute window every replica shares (one call, one round trip, serialised per key).

Revision ID: 0001_state
"""

from __future__ import annotations

from alembic import op

revision = "0001_state"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE api_keys (
            id BIGSERIAL PRIMARY KEY,
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            hint TEXT NOT NULL,
            admin BOOLEAN NOT NULL DEFAULT false,
            created_at TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
        );
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            key_id BIGINT,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE messages (
            id BIGSERIAL PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
        CREATE TABLE answers (
            id TEXT PRIMARY KEY,
            conversation_id TEXT,
            key_id BIGINT,
            question TEXT NOT NULL,
            text TEXT NOT NULL,
            refused BOOLEAN NOT NULL,
            citations JSONB NOT NULL,
            unsupported JSONB NOT NULL,
            timings JSONB NOT NULL,
            model TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE feedback (
            id BIGSERIAL PRIMARY KEY,
            answer_id TEXT NOT NULL REFERENCES answers(id),
            key_id BIGINT,
            rating TEXT NOT NULL,
            comment TEXT,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE audit (
            id BIGSERIAL PRIMARY KEY,
            at TIMESTAMPTZ NOT NULL,
            key_id BIGINT,
            action TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX audit_by_action ON audit(action, id);
        CREATE TABLE rate_limit_hits (
            key TEXT NOT NULL,
            at DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX rate_limit_hits_by_key ON rate_limit_hits(key, at);

        -- Seconds to wait when `key` already made `hits` requests in the last `window_s` (NULL: allowed, and
        -- this request is counted). The server's clock, so replicas with skewed clocks agree.
        CREATE FUNCTION troly_rate_hit(p_key TEXT, p_limit INTEGER, p_window DOUBLE PRECISION)
        RETURNS DOUBLE PRECISION LANGUAGE plpgsql AS $$
        DECLARE
            now_s DOUBLE PRECISION := extract(epoch FROM clock_timestamp());
            hits INTEGER;
            oldest DOUBLE PRECISION;
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtextextended('troly:rate:' || p_key, 0));
            DELETE FROM rate_limit_hits WHERE key = p_key AND at <= now_s - p_window;
            SELECT count(*), min(at) INTO hits, oldest FROM rate_limit_hits WHERE key = p_key;
            IF hits >= p_limit THEN
                RETURN p_window - (now_s - oldest);
            END IF;
            INSERT INTO rate_limit_hits(key, at) VALUES (p_key, now_s);
            RETURN NULL;
        END
        $$;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP FUNCTION troly_rate_hit(TEXT, INTEGER, DOUBLE PRECISION);
        DROP TABLE rate_limit_hits, audit, feedback, answers, messages, conversations, api_keys;
        """
    )
