"""Several replicas on one PostgreSQL, each a real uvicorn server with its own home, sharing the state store,
the pgvector index and an uploads folder; and how a replica behaves when PostgreSQL is down or goes away."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from index.library import Library
from tests.index.helpers import HashingEmbedder
from tests.pg import embedded_server
from tests.web.fakes import FakePipeline
from troly.postgres import schema
from troly.postgres.embedded import EmbeddedPostgres
from troly.settings import ChunkSettings, DatabaseSettings, IndexSettings, ServerSettings, Settings
from web.app import create_app
from web.server import serve_in_background
from web.services import Services


def replica_settings(home: Path, url: str, uploads: Path, **server: object) -> Settings:
    return Settings(
        home=home,
        database=DatabaseSettings(url=url, connect_timeout_s=1),
        index=IndexSettings(backend="postgres", poll_s=0.2),
        server=ServerSettings(uploads_dir=uploads, **server),  # type: ignore[arg-type]
        chunking=ChunkSettings(target_words=30, max_words=60, overlap_words=0),
    )


@contextmanager
def replica(settings: Settings) -> Iterator[tuple[str, Services]]:
    library = Library.open(settings, embedder=HashingEmbedder())
    services = Services.create(settings, library=library, pipeline=FakePipeline(library))  # type: ignore[arg-type]
    services.retry_warm_up_s = 0.3
    try:
        with serve_in_background(create_app(settings, services)) as url:
            yield url, services
    finally:
        services.close()
        library.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _status(url: str, token: str | None = None) -> int:
    """The status of a GET, 0 when the request itself failed (a busy machine may be slow to answer)."""
    headers = _bearer(token) if token else {}
    try:
        return httpx.get(url, params={"q": "x"}, headers=headers, timeout=30).status_code
    except httpx.TransportError:
        return 0


def _wait_for(check: object, timeout_s: float) -> float:
    """Seconds until `check()` is true; fails after `timeout_s`."""
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - started < timeout_s, "timed out"
        time.sleep(0.05)
    return time.monotonic() - started


def test_replicas_share_keys_uploads_and_the_index(tmp_path: Path, pg_url: str) -> None:
    shared = tmp_path / "shared-uploads"
    a_settings = replica_settings(tmp_path / "a", pg_url, shared, rate_limit_per_minute=1000)
    b_settings = replica_settings(tmp_path / "b", pg_url, shared, rate_limit_per_minute=1000)
    with replica(a_settings) as (a, a_services), replica(b_settings) as (b, _):
        _, admin = a_services.db.create_key("quản trị", admin=True)  # as `troly keys create` on replica A
        assert httpx.get(f"{b}/v1/documents", headers=_bearer(admin)).status_code == 200

        text = "Phường An Khánh tiếp nhận hồ sơ khai sinh trực tuyến từ tháng 5.".encode()
        uploaded = httpx.post(
            f"{a}/v1/documents", files=[("files", ("an-khanh.txt", text))], headers=_bearer(admin), timeout=30
        )
        assert uploaded.status_code == 200 and uploaded.json()["results"][0]["status"] == "added"
        assert (shared / "an-khanh.txt").read_bytes() == text

        def found_on_b() -> bool:
            hits = httpx.get(f"{b}/v1/search", params={"q": "An Khánh khai sinh"}, headers=_bearer(admin))
            return bool(hits.json()["results"]) and hits.json()["results"][0]["source"] == "an-khanh.txt"

        assert _wait_for(found_on_b, 5.0) < 5.0

        deleted = httpx.delete(f"{b}/v1/documents/an-khanh.txt", headers=_bearer(admin))
        assert deleted.status_code == 200 and not (shared / "an-khanh.txt").exists()
        _wait_for(
            lambda: httpx.get(f"{a}/v1/documents", headers=_bearer(admin)).json()["documents"] == [], 5.0
        )


def test_a_rate_limit_holds_across_replicas(tmp_path: Path, pg_url: str) -> None:
    settings = [
        replica_settings(tmp_path / n, pg_url, tmp_path / "up", rate_limit_per_minute=4) for n in "ab"
    ]
    with replica(settings[0]) as (a, a_services), replica(settings[1]) as (b, _):
        _, user = a_services.db.create_key("điện thoại")
        statuses = [
            httpx.get(f"{(a, b)[i % 2]}/v1/search", params={"q": "hồ sơ"}, headers=_bearer(user))
            for i in range(5)
        ]
        assert [r.status_code for r in statuses] == [200, 200, 200, 200, 429]
        assert 1 <= int(statuses[-1].headers["retry-after"]) <= 60
        assert statuses[-1].json()["error"]["code"] == "rate_limited"


@pytest.fixture(scope="module")
def own_pg() -> Iterator[EmbeddedPostgres]:
    """A server of this module's own, to stop and kill without disturbing the other tests."""
    with embedded_server() as server:
        schema.upgrade(server.url)
        yield server


def test_postgres_down_at_start_then_lost_mid_run(tmp_path: Path, own_pg: EmbeddedPostgres) -> None:
    url = own_pg.url
    own_pg.stop()
    with replica(replica_settings(tmp_path / "a", url, tmp_path / "uploads")) as (a, services):
        assert services.warmed.wait(30)
        ready = httpx.get(f"{a}/readyz", timeout=30)
        assert ready.status_code == 503 and ready.json()["checks"]["database"] is False
        assert "PostgreSQL" in ready.json()["detail"] and ready.json()["llm"]["backend"] == "llamacpp"
        down = httpx.get(f"{a}/v1/search", params={"q": "x"}, headers=_bearer("troly_x"), timeout=30)
        assert down.status_code == 503 and down.headers["retry-after"]
        assert down.json()["error"]["code"] == "database_unavailable"

        own_pg.start()
        _wait_for(lambda: _status(f"{a}/readyz") == 200, 60.0)
        _, token = services.db.create_key("app")
        assert _status(f"{a}/v1/search", token) == 200

        own_pg.kill()  # as a crash of the database server: every connection dies at once
        lost = httpx.get(f"{a}/v1/search", params={"q": "x"}, headers=_bearer(token), timeout=30)
        assert lost.status_code == 503 and lost.headers["retry-after"]
        assert _status(f"{a}/readyz") == 503
        own_pg.start()
        _wait_for(lambda: _status(f"{a}/v1/search", token) == 200, 60.0)
        assert _status(f"{a}/readyz") == 200


def _serve(settings_env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TROLY_HOME": str(tmp_path), **settings_env}
    return subprocess.run(
        [sys.executable, "-c", "from troly.cli import main; main()", "serve", "--port", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_a_schema_older_or_newer_than_its_code(tmp_path: Path, pg_blank_url: str) -> None:
    from alembic import command

    env = {"TROLY_DATABASE__URL": pg_blank_url}
    never = _serve(env, tmp_path)
    assert never.returncode == 2 and "troly db upgrade" in never.stderr
    command.upgrade(schema._config(pg_blank_url), "0001_state")
    older = _serve(env, tmp_path)
    assert (
        older.returncode == 2
        and "lược đồ cũ 0001_state" in older.stderr
        and "troly db upgrade" in older.stderr
    )
    schema.upgrade(pg_blank_url)
    with psycopg.connect(pg_blank_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_a_newer_troly'")
    newer = _serve(env, tmp_path)
    assert newer.returncode == 2 and "mới hơn bản troly này" in newer.stderr
    with pytest.raises(Exception, match="mới hơn"):
        schema.upgrade(pg_blank_url)  # an older troly never downgrades a newer schema
