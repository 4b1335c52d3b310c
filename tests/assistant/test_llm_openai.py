"""OpenAiChatModel (vLLM and other OpenAI-compatible servers) against a real loopback HTTP server."""

from __future__ import annotations

import time

import pytest

from assistant.llm.base import ChatModelError, complete
from assistant.llm.openai_chat_model import OpenAiChatError, OpenAiChatModel
from tests.assistant.test_llm_ollama import QUESTION
from tests.fakes.ollama_server import FakeOllama
from troly.settings import OpenAiSettings


def _model(
    server: FakeOllama, *, chat_model: str = "qwen2.5:7b-instruct", timeout_s: float = 5.0
) -> OpenAiChatModel:
    return OpenAiChatModel(
        OpenAiSettings(base_url=f"{server.url}/v1", chat_model=chat_model, timeout_s=timeout_s, api_key="k")
    )


def test_stream_yields_pieces_and_sends_the_request(ollama_server: FakeOllama) -> None:
    ollama_server.enqueue("Cần tờ khai và giấy chứng sinh.")
    pieces = list(_model(ollama_server).stream(QUESTION, max_tokens=64, temperature=0.2, stop=["\n\n"]))
    assert len(pieces) > 1 and "".join(pieces) == "Cần tờ khai và giấy chứng sinh."
    endpoint, body = ollama_server.requests[-1]
    assert endpoint == "POST /v1/chat/completions"
    assert body["stream"] is True and body["max_tokens"] == 64 and body["stop"] == ["\n\n"]
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert complete(_model(ollama_server), QUESTION, max_tokens=2) == "Bạn hỏi: "


@pytest.mark.parametrize("status", [429, 503])
def test_a_full_server_is_llm_busy_at_once(ollama_server: FakeOllama, status: int) -> None:
    ollama_server.fail_next(status, "server busy, please try again")
    started = time.monotonic()
    with pytest.raises(OpenAiChatError) as info:
        list(_model(ollama_server).stream(QUESTION, max_tokens=8))
    assert info.value.code == "llm_busy" and "quá tải" in info.value.message
    assert isinstance(info.value, ChatModelError) and time.monotonic() - started < 2


def test_a_server_that_never_answers_times_out(ollama_server: FakeOllama) -> None:
    ollama_server.delay_s = 2.0
    started = time.monotonic()
    with pytest.raises(OpenAiChatError) as info:
        list(_model(ollama_server, timeout_s=0.5).stream(QUESTION, max_tokens=8))
    assert info.value.code == "llm_timeout" and time.monotonic() - started < 1.9


def test_unknown_model_and_unreachable_server(ollama_server: FakeOllama) -> None:
    with pytest.raises(OpenAiChatError) as missing:
        list(_model(ollama_server, chat_model="khong-co").stream(QUESTION, max_tokens=8))
    assert missing.value.code == "llm_model_missing"
    down = OpenAiChatModel(OpenAiSettings(base_url="http://127.0.0.1:9/v1", timeout_s=1))
    with pytest.raises(OpenAiChatError) as unreachable:
        list(down.stream(QUESTION, max_tokens=8))
    assert unreachable.value.code == "llm_unreachable"
    assert not down.info().ready


def test_info_lists_the_model(ollama_server: FakeOllama) -> None:
    info = _model(ollama_server).info()
    assert info.ready and info.backend == "openai" and info.location.endswith("/v1")
    assert not _model(ollama_server, chat_model="khac").info().ready
