"""Alembic's environment: one connection, the migration advisory lock taken before the version is read.

A second `troly db upgrade` (another replica's start script, say) waits for the first, then finds the schema
at head and does nothing. PostgreSQL's DDL is transactional: a failed upgrade leaves the previous schema.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from troly.postgres.connection import lock_key

MIGRATION_LOCK = "troly:migrations"

config = context.config


def run_migrations_online() -> None:
    url = config.attributes["sqlalchemy_url"]
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(MIGRATION_LOCK)})
        connection.commit()
        try:
            context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(MIGRATION_LOCK)})
            connection.commit()


run_migrations_online()
