"""Alembic migrations of troly's PostgreSQL schema (state and index), run by `troly db upgrade`."""
