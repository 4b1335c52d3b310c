"""Backend failures reach the client as stable codes and Vietnamese messages, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from assistant.events import AnswerEvent, TokenEvent
from assistant.llm.base import ChatMessage, ChatModelError

from .conftest import ServerFactory, eventually
from .sse_client import sse_events


class FailingPipeline:
    """Streams one token, then the model backend fails (as Ollama going away mid-answer)."""

    def stream(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        *,
        k: int | None = None,
        filters: Any = None,
        options: Any = None,
    ) -> Iterator[AnswerEvent]:
        yield TokenEvent(text="Theo ")
        raise ChatModelError("connection refused")


def test_model_failure_is_503_json_and_an_sse_error_event(server_factory: ServerFactory) -> None:
    server = server_factory(pipeline=FailingPipeline())
    response = httpx.post(f"{server.url}/v1/ask", json={"question": "Huế ký với ai?"}, headers=server.auth())
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "llm_error"
    assert response.headers["retry-after"]
    assert "Traceback" not in error["message"]

    with httpx.stream(
        "POST", f"{server.url}/v1/ask/stream", json={"question": "Huế ký với ai?"}, headers=server.auth()
    ) as stream:
        events = list(sse_events(stream))
    assert [name for name, _ in events] == ["token", "error"]
    assert events[-1][1]["code"] == "llm_error"
    # The generation thread frees its slot just after the last event reaches the client.
    assert eventually(lambda: server.services.queue.pending == 0)


def test_empty_question_and_unknown_route_are_json(server_factory: ServerFactory) -> None:
    server = server_factory()
    empty = httpx.post(f"{server.url}/v1/ask", json={"question": "   "}, headers=server.auth())
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "empty_question"
    missing = httpx.get(f"{server.url}/v1/khong-co", headers=server.auth())
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    bad_json = httpx.post(
        f"{server.url}/v1/ask", content=b"{", headers={**server.auth(), "Content-Type": "application/json"}
    )
    assert bad_json.status_code == 422
    assert bad_json.json()["error"]["code"] == "invalid_request"


def test_busy_and_broken_backends_are_503_with_retry_after() -> None:
    from troly.errors import TrolyError
    from web.errors import error_response

    for code in ("index_busy", "index_corrupt", "model_corrupt", "llm_failed", "embedder_mismatch"):
        response = error_response(TrolyError("bận", code=code))
        assert response.status_code == 503, code
        assert response.headers["retry-after"] == "10"
    assert error_response(TrolyError("sai", code="empty_question")).status_code == 422
    assert error_response(TrolyError("sai", code="bad_filter")).status_code == 400
