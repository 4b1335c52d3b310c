"""Several replicas on one PostgreSQL, each a real uvicorn server with its own home, sharing the state store,
the pgvector index, the ingest job queue and an uploads folder; and how a replica behaves when PostgreSQL is
down or goes away."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from index.library import Library
from tests.index.helpers import HashingEmbedder
from tests.ingest.commitment_texts import LANG_SON
from tests.pg import embedded_server
from tests.web.conftest import accepted, eventually, wait_for_job
from tests.web.fakes import FakePipeline
from troly.postgres import schema
from troly.postgres.embedded import EmbeddedPostgres
from troly.settings import (
    ChunkSettings,
    DatabaseSettings,
    IndexSettings,
    JobSettings,
    ServerSettings,
    Settings,
)
from web.app import create_app
from web.console_auth import COOKIE, CSRF_HEADER
from web.postgres_store import PostgresStore
from web.server import serve_in_background
from web.services import Services


def replica_settings(home: Path, url: str, uploads: Path, **server: object) -> Settings:
    return Settings(
        home=home,
        database=DatabaseSettings(url=url, connect_timeout_s=1),
        index=IndexSettings(backend="postgres", poll_s=0.2),
        server=ServerSettings(uploads_dir=uploads, **server),  # type: ignore[arg-type]
        chunking=ChunkSettings(target_words=30, max_words=60, overlap_words=0),
        jobs=JobSettings(poll_s=0.05, lease_s=3.0),
    )


@contextmanager
def replica(settings: Settings, embedder: HashingEmbedder | None = None) -> Iterator[tuple[str, Services]]:
    library = Library.open(settings, embedder=embedder or HashingEmbedder())
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


def _upload(url: str, token: str, name: str, text: bytes) -> str:
    """POST one file; the id of the job it became."""
    response = httpx.post(
        f"{url}/v1/documents", files=[("files", (name, text))], headers=_bearer(token), timeout=30
    )
    return accepted(response)


def _job(url: str, token: str, job_id: str) -> dict[str, Any]:
    """The job, once ended, as replica `url` reports it."""
    return wait_for_job(lambda: httpx.get(f"{url}/v1/jobs/{job_id}", headers=_bearer(token), timeout=30), 60)


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
        # The admin console's session is in PostgreSQL: signed in through A, it is valid on B, and so is
        # its CSRF token; the key's use recorded by A is B's key list's "last used".
        signed_in = httpx.post(f"{a}/admin/api/session", json={"key": admin})
        assert signed_in.status_code == 200, signed_in.text
        csrf = signed_in.json()["csrf"]
        cookie = {"Cookie": f"{COOKIE}={signed_in.cookies[COOKIE]}"}
        on_b = httpx.get(f"{b}/admin/api/session", headers=cookie)
        assert on_b.status_code == 200 and on_b.json()["csrf"] == csrf
        keys = httpx.get(f"{b}/admin/api/keys", headers=cookie).json()["keys"]
        assert [k["last_used_at"] is not None for k in keys] == [True]
        made = httpx.post(
            f"{b}/admin/api/keys", json={"name": "điện thoại"}, headers={**cookie, CSRF_HEADER: csrf}
        )
        assert made.status_code == 201, made.text
        assert {e["action"] for e in a_services.db.audit_log(100)} >= {"signin", "key_create"}
        assert (
            httpx.delete(f"{a}/admin/api/session", headers={**cookie, CSRF_HEADER: csrf}).status_code == 204
        )
        assert httpx.get(f"{b}/admin/api/session", headers=cookie).status_code == 401

        text = "Phường An Khánh tiếp nhận hồ sơ khai sinh trực tuyến từ tháng 5.".encode()
        started = time.monotonic()
        job_id = _upload(a, admin, "an-khanh.txt", text)

        def found_on_b() -> bool:
            hits = httpx.get(f"{b}/v1/search", params={"q": "An Khánh khai sinh"}, headers=_bearer(admin))
            return bool(hits.json()["results"]) and hits.json()["results"][0]["source"] == "an-khanh.txt"

        _wait_for(found_on_b, 5.0)
        assert time.monotonic() - started < 5.0  # from the upload's request, through the job, to B's search
        done = _job(b, admin, job_id)  # the job as the other replica sees it
        assert done["state"] == "completed" and done["files"][0]["status"] == "added"
        assert (shared / "an-khanh.txt").read_bytes() == text

        deleted = httpx.delete(f"{b}/v1/documents/an-khanh.txt", headers=_bearer(admin))
        assert deleted.status_code == 200 and not (shared / "an-khanh.txt").exists()
        _wait_for(
            lambda: httpx.get(f"{a}/v1/documents", headers=_bearer(admin)).json()["documents"] == [], 5.0
        )


def test_a_follow_up_set_through_one_replica_is_shown_by_another(tmp_path: Path, pg_url: str) -> None:
    settings = [replica_settings(tmp_path / n, pg_url, tmp_path / "up") for n in "ab"]
    with replica(settings[0]) as (a, a_services), replica(settings[1]) as (b, _):
        _, admin = a_services.db.create_key("quản trị", admin=True)
        text = "Lạng Sơn và VNPT ký thỏa thuận\n\nNgày đăng: 12/03/2024\n\n" + LANG_SON
        assert _job(a, admin, _upload(a, admin, "lang-son.txt", text.encode()))["state"] == "completed"

        def agreements_on(url: str) -> list[dict[str, Any]]:
            found = httpx.get(f"{url}/v1/agreements", headers=_bearer(admin), timeout=30)
            return list(found.json()["agreements"])

        def row_on(url: str) -> dict[str, Any]:
            rows = agreements_on(url)[0]["commitments"]
            return next(c for c in rows if "phủ sóng 5G" in c["citation"]["quote"])

        commitment = row_on(a)["id"]
        body = {"state": "dang trien khai", "note": "Đã lắp 40 trạm", "date": "2025-01-15"}
        set_on_a = httpx.put(f"{a}/v1/commitments/{commitment}/status", json=body, headers=_bearer(admin))
        assert set_on_a.status_code == 200, set_on_a.text
        _wait_for(lambda: bool(agreements_on(b)), 5.0)  # B has read the new generation
        assert row_on(b)["status"] == set_on_a.json()
        done = {"state": "hoàn thành", "date": "2025-06-30"}
        assert (
            httpx.put(
                f"{b}/v1/commitments/{commitment}/status", json=done, headers=_bearer(admin)
            ).status_code
            == 200
        )
        history = httpx.get(f"{a}/v1/commitments/{commitment}/status", headers=_bearer(admin)).json()[
            "history"
        ]
        assert [h["state"] for h in history] == ["hoàn thành", "đang triển khai"]


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


def test_failed_authentications_are_limited_across_replicas(tmp_path: Path, pg_url: str) -> None:
    settings = [
        replica_settings(tmp_path / n, pg_url, tmp_path / "up", auth_failures_per_minute=3) for n in "ab"
    ]
    with replica(settings[0]) as (a, _), replica(settings[1]) as (b, _):
        guesses = [_status(f"{(a, b)[i % 2]}/v1/search", f"troly_guess{i}") for i in range(5)]
        assert guesses == [401, 401, 401, 429, 429]  # the address's minute is one, whichever replica it asks


def _holder(pg_url: str) -> str | None:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SELECT holder FROM leases WHERE name = 'ingest-worker'").fetchone()
    return None if row is None else str(row[0])


def test_a_job_sent_to_one_replica_runs_once_and_the_queue_passes_on_when_its_holder_stops(
    tmp_path: Path, pg_url: str
) -> None:
    """The jobs, their progress and the lease live in PostgreSQL: one worker at a time holds the queue, a job
    sent to either replica is run once, by the holder, and its result is seen through both; when the holder
    stops, the other replica's worker takes the queue."""
    shared = tmp_path / "shared-uploads"
    embedders = {"a": HashingEmbedder(), "b": HashingEmbedder()}
    settings = {n: replica_settings(tmp_path / n, pg_url, shared) for n in "ab"}
    with (
        replica(settings["a"], embedders["a"]) as (a, a_services),
        replica(settings["b"], embedders["b"]) as (b, b_services),
    ):
        workers = {"a": a_services.worker, "b": b_services.worker}
        urls = {"a": a, "b": b}
        assert eventually(lambda: any(w.holds_lease for w in workers.values()))
        assert sum(w.holds_lease for w in workers.values()) == 1
        held = next(n for n, w in workers.items() if w.holds_lease)
        other = "b" if held == "a" else "a"
        assert _holder(pg_url) == workers[held].holder
        _, admin = a_services.db.create_key("quản trị", admin=True)
        before = {n: e.texts_embedded for n, e in embedders.items()}

        text = "Xã Mỹ Khánh nhận hồ sơ đăng ký kết hôn vào sáng thứ Ba và thứ Năm hằng tuần.".encode()
        job_id = _upload(urls[other], admin, "my-khanh.txt", text)  # to the replica without the queue
        done = _job(urls[other], admin, job_id)
        assert done["state"] == "completed" and done["files"][0]["status"] == "added", done
        assert embedders[held].texts_embedded > before[held]
        assert embedders[other].texts_embedded == before[other]  # run by the holder only
        row = a_services.db.get_job(job_id)
        assert row is not None and row["attempts"] == 1 and row["worker"] == workers[held].holder
        ingests = [e for e in b_services.db.audit_log(100, "ingest") if job_id in e["detail"]]
        assert len(ingests) == 1 and "my-khanh.txt:added" in ingests[0]["detail"]

        def found(url: str, query: str, source: str) -> bool:
            hits = httpx.get(f"{url}/v1/search", params={"q": query}, headers=_bearer(admin)).json()[
                "results"
            ]
            return bool(hits) and hits[0]["source"] == source

        _wait_for(lambda: found(urls[other], "Mỹ Khánh kết hôn", "my-khanh.txt"), 5.0)
        services = {"a": a_services, "b": b_services}
        profile = (
            services[other].library.get().profile("my-khanh.txt")
        )  # made by the job, read from PostgreSQL
        assert profile is not None and profile.doc_id == "my-khanh.txt" and profile.text_sha256
        assert services[other].library.get().document_count() == 1

        assert workers[held].stop()  # its replica stops: the lease is given up
        assert eventually(lambda: workers[other].holds_lease, 15)
        assert _holder(pg_url) == workers[other].holder
        later = _upload(
            urls[held], admin, "tan-phu.txt", "Phường Tân Phú cấp bản sao trích lục hộ tịch.".encode()
        )
        assert _job(urls[held], admin, later)["state"] == "completed"
        row = b_services.db.get_job(later)
        assert row is not None and row["worker"] == workers[other].holder

        def documents() -> set[str]:
            listed = httpx.get(f"{urls[held]}/v1/documents", headers=_bearer(admin)).json()["documents"]
            return {d["id"] for d in listed}

        _wait_for(lambda: documents() == {"my-khanh.txt", "tan-phu.txt"}, 5.0)
        assert not any((shared / ".jobs").iterdir())  # staged files go when their job ends


def test_a_job_left_running_by_a_dead_replica_is_run_again_by_the_next_holder(
    tmp_path: Path, pg_url: str
) -> None:
    """A replica killed mid-job neither renews its lease nor finishes its job: once the lease lapses, another
    replica's worker takes the queue, settles the job and runs it again; the generation it publishes has it."""
    shared = tmp_path / "shared-uploads"
    store = PostgresStore(DatabaseSettings(url=pg_url))
    try:
        text = "Phường Hưng Lợi hướng dẫn thủ tục chứng thực chữ ký tại bộ phận một cửa.".encode()
        folder = shared / ".jobs" / "dead0job"
        folder.mkdir(parents=True)
        (folder / "00000").write_bytes(text)
        files = [{"filename": "hung-loi.txt", "source": "hung-loi.txt", "status": "embedding", "bytes": len(text),
                  "chunks_total": 1, "staged": "00000", "sha256": hashlib.sha256(text).hexdigest()}]  # fmt: skip
        store.insert_job("dead0job", None, "queued", json.dumps(files), 1.0)
        assert store.hold_lease("ingest-worker", "dead-replica", 2.0)
        assert store.claim_job("dead-replica") is not None  # then the replica died: no renewal, no end
        with replica(replica_settings(tmp_path / "b", pg_url, shared)) as (b, services):
            started = time.monotonic()
            assert eventually(lambda: services.worker.holds_lease, 15)
            assert time.monotonic() - started > 0.5  # not before the dead one's lease lapsed
            _, admin = store.create_key("quản trị", admin=True)
            done = _job(b, admin, "dead0job")
            assert done["state"] == "completed" and done["files"][0]["status"] == "added", done
            row = store.get_job("dead0job")
            assert row is not None and row["attempts"] == 2 and row["worker"] == services.worker.holder
            hits = httpx.get(f"{b}/v1/search", params={"q": "Hưng Lợi chứng thực"}, headers=_bearer(admin))
            assert hits.json()["results"][0]["source"] == "hung-loi.txt"  # this replica published it itself
            assert eventually(lambda: not folder.exists())
    finally:
        store.close()


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

        assert eventually(lambda: services.worker.holds_lease, 15)  # the job queue, once the database is up

        own_pg.kill()  # as a crash of the database server: every connection dies at once
        lost = httpx.get(f"{a}/v1/search", params={"q": "x"}, headers=_bearer(token), timeout=30)
        assert lost.status_code == 503 and lost.headers["retry-after"]
        assert _status(f"{a}/readyz") == 503
        # Not renewed for jobs.lease_s: another replica may hold the queue by now, so this one lets it go.
        assert eventually(lambda: not services.worker.holds_lease, 15)
        own_pg.start()
        _wait_for(lambda: _status(f"{a}/v1/search", token) == 200, 60.0)
        assert _status(f"{a}/readyz") == 200
        assert eventually(lambda: services.worker.holds_lease, 30)


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
