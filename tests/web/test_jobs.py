"""Uploads as ingest jobs over a real HTTP server and the real Library (index files under a temporary home);
the embedder is the hashing stand-in with a gate, so a job can be held mid-embedding (wiring only: the
real model's path is tests/web/test_real_library.py)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.base import EmbedKind, Vectors
from index.library import Library
from tests.index.helpers import HashingEmbedder
from troly.settings import ChunkSettings, JobSettings, ServerSettings, Settings
from web.db import Database

from .conftest import LiveServer, accepted, eventually, live_server
from .fakes import FakeLibrary, FakePipeline

NOTICE = (
    "Thông báo của xã Phú Mậu về lịch tiếp công dân\n\n"
    "Chủ tịch Ủy ban nhân dân xã Phú Mậu tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở xã. "
    "Công dân mang theo căn cước và giấy tờ liên quan đến nội dung cần trình bày."
)


def bulletin(i: int, paragraphs: int = 6) -> bytes:
    body = [f"Bản tin số {i} của xã Hương Thủy"]
    for p in range(paragraphs):
        body.append(
            f"Đợt {p + 1}: xã Hương Thủy hướng dẫn {100 + 7 * i + p} hộ dân nộp hồ sơ trực tuyến (bản tin {i}). "
            "Cán bộ một cửa hỗ trợ người cao tuổi tại nhà văn hóa thôn vào cuối tuần."
        )
    return "\n\n".join(body).encode()


class GatedEmbedder(HashingEmbedder):
    """Passages wait for `gate` (set: no wait); `batches` counts the passage batches embedded."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()
        self.batches = 0

    def embed(self, texts: Sequence[str], kind: EmbedKind = "passage") -> Vectors:
        if kind == "passage":
            self.waiting.set()
            assert self.gate.wait(60), "the gate was never opened"
            self.batches += 1
        return super().embed(texts, kind)


def job_settings(home: Path, **jobs: Any) -> Settings:
    return Settings(
        home=home,
        chunking=ChunkSettings(target_words=20, max_words=40, overlap_words=0),
        server=ServerSettings(rate_limit_per_minute=100_000),
        jobs=JobSettings(**{"batch_size": 1, "poll_s": 0.05, "lease_s": 3.0, **jobs}),
    )


@pytest.fixture
def embedder() -> GatedEmbedder:
    return GatedEmbedder()


@pytest.fixture
def pipeline() -> FakePipeline:
    return FakePipeline(FakeLibrary())


@pytest.fixture
def server(tmp_path: Path, embedder: GatedEmbedder, pipeline: FakePipeline) -> Iterator[LiveServer]:
    settings = job_settings(tmp_path / "home")
    with live_server(settings, Library.open(settings, embedder=embedder), pipeline) as live:
        yield live


def job(server: LiveServer, job_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/v1/jobs/{job_id}", headers=server.auth(admin=True))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def until(server: LiveServer, job_id: str, check: Any) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def probe() -> bool:
        found[:] = [job(server, job_id)]
        return bool(check(found[0]))

    assert eventually(probe, 30), found
    return found[0]


def library_of(server: LiveServer) -> Library:
    library = server.services.library.get()
    assert isinstance(library, Library)
    return library


def test_an_upload_is_a_job_answered_at_once_and_jobs_run_in_order(
    server: LiveServer, embedder: GatedEmbedder
) -> None:
    embedder.gate.clear()
    first = accepted(server.upload(("ban-tin-1.txt", bulletin(1)), ("ban-tin-2.txt", bulletin(2))))
    running = until(server, first, lambda j: j["state"] == "running" and embedder.waiting.is_set())
    assert running["files"][0]["status"] == "embedding" and running["chunks_total"] > 2
    assert running["eta_s"] > 0
    # A second upload while the first one embeds: its own job, queued behind it, answered at once.
    started = time.perf_counter()
    second = server.upload(("lich-tiep-dan.txt", NOTICE.encode()))
    answered_s = time.perf_counter() - started
    queued = second.json()
    assert second.status_code == 202 and queued["id"] != first and queued["state"] == "queued"
    assert queued["position"] == 1 and queued["files"][0]["chunks_total"] >= 1
    assert answered_s < 30  # not waiting for the first job (held on its gate until released below)
    listing = httpx.get(f"{server.url}/v1/jobs", headers=server.auth(admin=True)).json()["jobs"]
    assert [j["id"] for j in listing[:2]] == [queued["id"], first]

    embedder.gate.set()
    done_first, done_second = server.wait(first), server.wait(queued["id"])
    assert done_first["state"] == done_second["state"] == "completed"
    assert {f["status"] for f in done_first["files"]} == {"added"}
    assert all(f["chunks_done"] == f["chunks_total"] > 0 for f in done_first["files"])
    assert done_first["finished_at"] <= done_second["started_at"]
    assert done_first["eta_s"] is None
    library = library_of(server)
    assert {d.id for d in library.documents()} == {"ban-tin-1.txt", "ban-tin-2.txt", "lich-tiep-dan.txt"}
    assert library.search("lịch tiếp công dân xã Phú Mậu", k=1)[0].chunk.doc_id == "lich-tiep-dan.txt"
    audit = [(row["action"], row["detail"]) for row in server.services.db.audit_log()]
    assert ("ingest", f"job {first} completed: ban-tin-1.txt:added, ban-tin-2.txt:added") in audit
    assert any(action == "upload" and first in detail for action, detail in audit)


def test_cancelling_a_running_job_leaves_the_previous_generation_live(
    server: LiveServer, embedder: GatedEmbedder
) -> None:
    assert server.ingest(("lich-tiep-dan.txt", NOTICE.encode())) == {"lich-tiep-dan.txt": "added"}
    library = library_of(server)
    generation = library.generation
    embedder.gate.clear()
    changed = NOTICE.replace("thứ Năm", "thứ Sáu").encode() + b"\n\n" + bulletin(3)
    job_id = accepted(server.upload(("lich-tiep-dan.txt", changed), ("moi.txt", bulletin(4))))
    until(server, job_id, lambda j: j["state"] == "running" and embedder.waiting.is_set())

    cancel = httpx.delete(f"{server.url}/v1/jobs/{job_id}", headers=server.auth(admin=True))
    assert cancel.status_code == 202 and cancel.json()["cancel_requested"] is True
    embedder.gate.set()
    ended = server.wait(job_id)
    assert ended["state"] == "cancelled"
    assert {f["status"] for f in ended["files"]} == {"cancelled"}
    assert library.generation == generation and library.document("moi.txt") is None
    uploads = server.services.uploads_dir
    assert sorted(p.name for p in uploads.iterdir() if p.is_file()) == ["lich-tiep-dan.txt"]
    assert (uploads / "lich-tiep-dan.txt").read_bytes() == NOTICE.encode()
    again = httpx.delete(f"{server.url}/v1/jobs/{job_id}", headers=server.auth(admin=True))
    assert again.status_code == 409 and again.json()["error"]["code"] == "job_finished"
    missing = httpx.get(f"{server.url}/v1/jobs/khong-co", headers=server.auth(admin=True))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "job_not_found"
    actions = [row["action"] for row in server.services.db.audit_log()]
    assert actions[:2] == ["ingest", "cancel"]


def test_a_queued_job_is_cancelled_at_once_and_never_runs(
    server: LiveServer, embedder: GatedEmbedder
) -> None:
    embedder.gate.clear()
    first = accepted(server.upload(("ban-tin-1.txt", bulletin(1))))
    until(server, first, lambda j: j["state"] == "running")
    second = accepted(server.upload(("ban-tin-2.txt", bulletin(2))))
    assert (server.services.uploads_dir / ".jobs" / second).is_dir()
    cancel = httpx.delete(f"{server.url}/v1/jobs/{second}", headers=server.auth(admin=True))
    assert cancel.status_code == 202 and cancel.json()["state"] == "cancelled"
    assert cancel.json()["files"][0]["status"] == "cancelled"
    assert not (server.services.uploads_dir / ".jobs" / second).exists()
    embedder.gate.set()
    assert server.wait(first)["state"] == "completed"
    assert [d.id for d in library_of(server).documents()] == ["ban-tin-1.txt"]
    assert job(server, second)["started_at"] is None


def test_an_upload_over_the_chunk_or_time_limit_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    settings = job_settings(tmp_path / "home", max_chunks=5, chunks_per_second=0.01, max_minutes=1)
    with live_server(
        settings, Library.open(settings, embedder=HashingEmbedder()), FakePipeline(FakeLibrary())
    ) as server:
        big = server.upload(("lon.txt", bulletin(1, paragraphs=8)), ("nho.txt", NOTICE.encode()))
        assert big.status_code == 413, big.text
        error = big.json()["error"]
        assert error["code"] == "job_too_large"
        assert "vượt giới hạn 5 đoạn" in error["message"] and "TROLY_JOBS__MAX_CHUNKS" in error["message"]
        figure = int(error["message"].split(" tạo ")[1].split(" ")[0].replace(".", ""))
        assert figure > 5
        # Under the chunk limit but, at 0.01 chunks/s, over the one-minute limit.
        slow = server.upload(("nho.txt", NOTICE.encode()))
        assert slow.status_code == 413 and slow.json()["error"]["code"] == "job_too_long"
        message = slow.json()["error"]["message"]
        assert "vượt giới hạn 1 phút" in message and "0,01 đoạn mỗi giây" in message
        uploads = server.services.uploads_dir
        assert not uploads.exists() or not [p for p in uploads.rglob("*") if p.is_file()]
        assert server.services.db.list_jobs() == []
        assert [row for row in server.services.db.audit_log() if row["action"] == "upload"] == []


def test_embedding_waits_while_an_answer_is_generated(tmp_path: Path, embedder: GatedEmbedder) -> None:
    settings = job_settings(tmp_path / "home")
    answer_gate = threading.Event()
    pipeline = FakePipeline(FakeLibrary(), gate=answer_gate)
    with live_server(settings, Library.open(settings, embedder=embedder), pipeline) as server:
        embedder.gate.clear()
        job_id = accepted(server.upload(("ban-tin-1.txt", bulletin(1, paragraphs=10))))
        until(server, job_id, lambda j: j["state"] == "running" and embedder.waiting.is_set())
        asking = threading.Thread(
            target=httpx.post,
            args=(f"{server.url}/v1/ask",),
            kwargs={"json": {"question": "Hương Thủy?"}, "headers": server.auth(), "timeout": 60},
        )
        asking.start()
        assert pipeline.started.acquire(timeout=30)  # the answer is being generated
        embedder.gate.set()
        time.sleep(0.5)
        paused_at = embedder.batches
        time.sleep(0.5)
        assert embedder.batches == paused_at <= 1  # at most the batch already under way
        answer_gate.set()
        asking.join(timeout=60)
        assert server.wait(job_id)["state"] == "completed" and embedder.batches > paused_at


def test_a_stopped_server_requeues_its_job_and_the_next_one_finishes_it(tmp_path: Path) -> None:
    settings = job_settings(tmp_path / "home")
    embedder = GatedEmbedder()
    embedder.gate.clear()
    with live_server(
        settings, Library.open(settings, embedder=embedder), FakePipeline(FakeLibrary())
    ) as server:
        job_id = accepted(server.upload(("ban-tin-1.txt", bulletin(1))))
        until(server, job_id, lambda j: j["state"] == "running" and embedder.waiting.is_set())
        worker = server.services.worker
        # The batch under way ends once the server is stopping; the worker then stops before the next one.
        threading.Thread(target=lambda: worker.stopping.wait(30) and embedder.gate.set()).start()
    db = Database(settings.db_path)
    row = db.get_job(job_id)
    assert row is not None and row["state"] == "queued" and row["worker"] is None
    assert (settings.home / "uploads" / ".jobs" / job_id).is_dir()  # kept, to run again
    assert Library.open(settings, embedder=HashingEmbedder()).document("ban-tin-1.txt") is None
    db.close()
    with live_server(
        settings, Library.open(settings, embedder=HashingEmbedder()), FakePipeline(FakeLibrary())
    ) as again:
        done = again.wait(job_id)
        assert done["state"] == "completed" and done["files"][0]["status"] == "added"
        assert library_of(again).document("ban-tin-1.txt") is not None
        assert not (settings.home / "uploads" / ".jobs").exists() or not any(
            (settings.home / "uploads" / ".jobs").iterdir()
        )


def test_one_worker_at_a_time_holds_the_queue_of_a_shared_database(tmp_path: Path) -> None:
    """Two servers (replicas) on one home: jobs sent to either are run by the lease holder, one at a
    time; when it stops, the other takes the queue over."""
    settings = job_settings(tmp_path / "home")
    first_embedder, second_embedder = HashingEmbedder(), HashingEmbedder()
    with (
        live_server(
            settings, Library.open(settings, embedder=first_embedder), FakePipeline(FakeLibrary())
        ) as one,
        live_server(
            settings, Library.open(settings, embedder=second_embedder), FakePipeline(FakeLibrary())
        ) as two,
    ):
        assert eventually(lambda: one.services.worker.holds_lease or two.services.worker.holds_lease)
        assert not (one.services.worker.holds_lease and two.services.worker.holds_lease)
        holder, other = (one, two) if one.services.worker.holds_lease else (two, one)
        job_id = accepted(other.upload(("ban-tin-1.txt", bulletin(1))))  # sent to the replica without it
        assert other.wait(job_id)["state"] == "completed"
        holder_embedder = first_embedder if holder is one else second_embedder
        assert holder_embedder.texts_embedded > 0
        assert (first_embedder if holder is two else second_embedder).texts_embedded == 0
        assert holder.services.worker.stop()
        assert eventually(lambda: other.services.worker.holds_lease, 15)
        later = accepted(holder.upload(("ban-tin-2.txt", bulletin(2))))
        assert holder.wait(later)["state"] == "completed"
        names = {d.id for d in Library.open(settings, embedder=HashingEmbedder()).documents()}
        assert names == {"ban-tin-1.txt", "ban-tin-2.txt"}


def test_health_never_waits_for_index_writes_and_deletes_do_not_hold_threads(server: LiveServer) -> None:
    """While the write lock is held (a job's final write), 50 deletes and uploads arrive together: the
    probes, searches and the job API still answer; deletes then run, or are 503 index_busy after
    `write_wait_s`."""
    server.services.settings.server.write_wait_s = 3
    results: dict[str, list[int]] = {"delete": [], "upload": []}

    def delete(i: int) -> None:
        url = f"{server.url}/v1/documents/khong-co-{i}.txt"
        results["delete"].append(httpx.delete(url, headers=server.auth(admin=True), timeout=60).status_code)

    refusals: list[str] = []

    def upload(i: int) -> None:
        response = server.upload((f"ban-tin-{i}.txt", bulletin(i)))
        results["upload"].append(response.status_code)
        if response.status_code == 503:
            refusals.append(response.json()["error"]["code"])

    assert server.services.write_lock.acquire(timeout=5)
    try:
        threads = [threading.Thread(target=delete if i % 2 else upload, args=(i,)) for i in range(50)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        for path in ("/healthz", "/readyz"):
            assert httpx.get(f"{server.url}{path}", timeout=5).status_code in (200, 503)
        found = httpx.get(
            f"{server.url}/v1/search", params={"q": "Hương Thủy"}, headers=server.auth(), timeout=5
        )
        assert found.status_code == 200
        jobs = httpx.get(f"{server.url}/v1/jobs", headers=server.auth(admin=True), timeout=5)
        assert jobs.status_code == 200
    finally:
        server.services.write_lock.release()
    for thread in threads:
        thread.join(timeout=60)
    # Uploads past `jobs.max_queued` (20) are refused with 503 job_queue_full, the others queued; on a loaded
    # machine one may also wait longer than `write_wait_s` for an admission slot: 503 busy, never a hang.
    assert set(results["upload"]) <= {202, 503} and set(refusals) <= {"job_queue_full", "busy"}
    assert results["upload"].count(202) + refusals.count("busy") >= 20
    assert set(results["delete"]) <= {404, 503} and len(results["delete"]) == 25


def test_deletes_wait_for_a_running_write_then_503_with_retry_after(server: LiveServer) -> None:
    server.services.settings.server.write_wait_s = 0.5
    assert server.services.write_lock.acquire(timeout=5)
    try:
        response = httpx.delete(
            f"{server.url}/v1/documents/a.txt", headers=server.auth(admin=True), timeout=10
        )
    finally:
        server.services.write_lock.release()
    assert response.status_code == 503 and response.json()["error"]["code"] == "index_busy"
    assert response.headers["retry-after"]
    after = httpx.delete(f"{server.url}/v1/documents/a.txt", headers=server.auth(admin=True), timeout=10)
    assert after.status_code == 404


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_the_worker_thread_runs_at_a_lower_cpu_priority(server: LiveServer) -> None:
    """Searches and answers get the cores first: only the worker thread is reniced, not the server."""
    assert eventually(lambda: any(t.name == "troly-ingest" for t in threading.enumerate()))
    worker = next(t for t in threading.enumerate() if t.name == "troly-ingest")
    assert worker.native_id is not None
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    expected = min(19, base + server.services.settings.jobs.nice)
    assert eventually(lambda: os.getpriority(os.PRIO_PROCESS, worker.native_id or 0) == expected)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base
