"""One model: generation requests beyond the queue get 503 with Retry-After; search is not queued."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from .conftest import ServerFactory
from .fakes import FakeLibrary, FakePipeline


def test_full_queue_is_503_with_retry_after_and_search_still_runs(
    server_factory: ServerFactory, fake_library: FakeLibrary
) -> None:
    gate = threading.Event()
    pipeline = FakePipeline(fake_library, gate=gate)
    server = server_factory(pipeline=pipeline, queue_size=1)

    def ask() -> httpx.Response:
        return httpx.post(
            f"{server.url}/v1/ask", json={"question": "Huế ký với ai?"}, headers=server.auth(), timeout=30
        )

    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(ask)
        assert pipeline.started.acquire(timeout=10)  # the first is generating
        waiting = pool.submit(ask)
        while server.services.queue.pending < 2:  # the second is admitted and waits
            threading.Event().wait(0.01)
        refused = ask()
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "queue_full"
        assert int(refused.headers["retry-after"]) >= 1
        search = httpx.get(f"{server.url}/v1/search", params={"q": "Huế"}, headers=server.auth())
        assert search.status_code == 200
        gate.set()
        assert running.result().status_code == 200
        assert waiting.result().status_code == 200
    assert server.services.queue.pending == 0
    assert ask().status_code == 200
