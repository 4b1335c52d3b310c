"""One model: generation requests beyond the queue get 503 with Retry-After; search is not queued."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from assistant.events import AnswerEvent, TokenEvent

from .conftest import ServerFactory, eventually
from .fakes import FakeLibrary, FakePipeline
from .sse_client import sse_events


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
    # The generation thread frees its slot just after the last event reaches the client.
    assert eventually(lambda: server.services.queue.pending == 0)
    assert ask().status_code == 200


class EndlessPipeline:
    """Streams tokens until the server stops asking: shows that a client leaving frees the model."""

    def __init__(self) -> None:
        self.produced = 0
        self.closed = threading.Event()

    def stream(
        self, question: str, history: Any = (), *, k: Any = None, filters: Any = None, options: Any = None
    ) -> Iterator[AnswerEvent]:
        try:
            while True:
                self.produced += 1
                yield TokenEvent(text="chữ ")
                time.sleep(0.01)
        finally:
            self.closed.set()


def test_a_client_leaving_mid_stream_stops_generation_and_frees_the_slot(
    server_factory: ServerFactory,
) -> None:
    pipeline = EndlessPipeline()
    server = server_factory(pipeline=pipeline, queue_size=1)
    with httpx.stream(
        "POST", f"{server.url}/v1/ask/stream", json={"question": "Huế ký với ai?"}, headers=server.auth()
    ) as response:
        first = next(sse_events(response))
        assert first == ("token", {"text": "chữ "})
    assert pipeline.closed.wait(timeout=10), "generation kept running after the client left"
    deadline = time.monotonic() + 10
    while server.services.queue.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.services.queue.pending == 0
    produced = pipeline.produced
    time.sleep(0.2)
    assert pipeline.produced == produced
