"""Replicas in front of Ollama or vLLM servers: /readyz names the backend; a full or silent model server is a
503 with Retry-After on every endpoint, streaming included, never a hang. The real answer pipeline over a
real index, the real HTTP chat clients, a loopback server speaking both APIs (tests/fakes/ollama_server.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.llm.factory import build_chat_model
from index.library import Library
from tests.fakes.ollama_server import FakeOllama
from tests.index.helpers import HashingEmbedder, settings_for, write_corpus
from troly.settings import OllamaSettings, OpenAiSettings, Settings
from web.app import create_app
from web.server import serve_in_background
from web.services import Services

QUESTION = {"question": "Cần Thơ xếp hạng thứ mấy về chuyển đổi số?"}


def _released(services: Services) -> bool:
    """The generation slot comes back once the worker has finished, just after the 503 was sent."""
    deadline = time.monotonic() + 5
    while services.queue.pending and time.monotonic() < deadline:
        time.sleep(0.02)
    return services.queue.pending == 0


@pytest.fixture(params=["ollama", "openai"])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path, ollama_server: FakeOllama) -> Settings:
    settings = settings_for(tmp_path / "home")
    llm = settings.llm.model_copy(update={"backend": request.param})
    return settings.model_copy(
        update={
            "llm": llm,
            "ollama": OllamaSettings(host=ollama_server.url, timeout_s=1.0),
            "openai": OpenAiSettings(
                base_url=f"{ollama_server.url}/v1", chat_model="qwen2.5:7b-instruct", timeout_s=1.0
            ),
            "server": settings.server.model_copy(update={"require_auth": False}),
        }
    )


@pytest.fixture
def served(backend_settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Services]]:
    library = Library.open(backend_settings, embedder=HashingEmbedder())
    library.ingest([write_corpus(tmp_path / "corpus")])
    model = build_chat_model(backend_settings)
    services = Services.create(backend_settings, library=library, model=model)
    try:
        with serve_in_background(create_app(backend_settings, services)) as url:
            assert services.warmed.wait(30)
            yield url, services
    finally:
        services.close()


def test_readyz_names_the_model_server(served: tuple[str, Services], backend_settings: Settings) -> None:
    url, _ = served
    ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == 200, ready.json()
    llm = ready.json()["llm"]
    assert llm["backend"] == backend_settings.llm.backend and llm["model"] == "qwen2.5:7b-instruct"
    assert llm["location"].startswith("http://127.0.0.1:")


def test_a_full_model_server_is_503_with_retry_after(
    served: tuple[str, Services], ollama_server: FakeOllama
) -> None:
    url, services = served
    ollama_server.enqueue("Năm 2024, Cần Thơ xếp hạng thứ 12 [1].")
    assert httpx.post(f"{url}/v1/ask", json=QUESTION, timeout=30).status_code == 200
    chat = {"messages": [{"role": "user", "content": QUESTION["question"]}]}
    requests = [
        ("/v1/ask", QUESTION),
        ("/v1/ask/stream", QUESTION),
        ("/v1/chat/completions", chat),
        ("/v1/chat/completions", {**chat, "stream": True}),
    ]
    for path, body in requests:
        ollama_server.fail_next(503, "server busy, please try again. maximum pending requests exceeded")
        busy = httpx.post(f"{url}{path}", json=body, timeout=30)
        assert busy.status_code == 503, (path, body)
        assert int(busy.headers["retry-after"]) >= 1 and busy.json()["error"]["code"] == "llm_error"
    assert _released(services)


def test_a_silent_model_server_is_503_within_its_timeout(
    served: tuple[str, Services], ollama_server: FakeOllama
) -> None:
    url, services = served
    ollama_server.delay_s = 5.0
    started = time.monotonic()
    silent = httpx.post(f"{url}/v1/ask/stream", json=QUESTION, timeout=30)
    assert silent.status_code == 503 and silent.headers["retry-after"]
    assert time.monotonic() - started < 4.0  # the 1 s timeout, not the server's 5 s
    ollama_server.delay_s = 0.0
    assert _released(services)
