"""`troly serve` as a user runs it: a subprocess that binds the port, answers /healthz, writes an access log
without query strings, and stops on SIGTERM."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_troly_serve_starts_and_answers_health(tmp_path: Path) -> None:
    from web.db import Database

    db = Database(tmp_path / "troly.sqlite3")
    _, key = db.create_key("kiểm tra")
    db.close()
    port = _free_port()
    # An unreachable Ollama keeps the test from loading a real LLM (readiness then reports it).
    env = {
        **os.environ,
        "TROLY_HOME": str(tmp_path),
        "TROLY_LLM__BACKEND": "ollama",
        "TROLY_OLLAMA__HOST": "http://127.0.0.1:9",
    }
    code = "from troly.cli import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[0].decode()
                assert time.monotonic() < deadline, "troly serve did not start"
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        unauthenticated = httpx.get(f"http://127.0.0.1:{port}/v1/documents")
        assert unauthenticated.status_code == 401
        assert (tmp_path / "troly.sqlite3").is_file()
        search = httpx.get(
            f"http://127.0.0.1:{port}/v1/search",
            params={"q": "số căn cước 079123456789"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert search.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=20)
    log = process.communicate()[0].decode()
    assert '"GET /v1/search HTTP/1.1" 200' in log and '"GET /healthz HTTP/1.1" 200' in log, log
    assert "079123456789" not in log and "?q=" not in log and key not in log
