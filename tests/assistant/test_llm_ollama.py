"""OllamaChatModel against a real HTTP server speaking Ollama's API (tests/fakes/ollama_server.py)."""

from __future__ import annotations

import socket
import time

import httpx
import ollama
import pytest

from assistant.llm.base import ChatMessage, ChatModelError, complete
from assistant.llm.ollama_chat_model import OllamaChatModel, OllamaError
from tests.fakes import ollama_server as fake_ollama
from tests.fakes.ollama_server import FakeOllama
from troly.errors import TrolyError
from troly.settings import OllamaSettings

ollama_server = fake_ollama.ollama_server  # the shared fixture, by name

QUESTION = [
    ChatMessage(role="system", content="Bạn là trợ lý của cán bộ xã."),
    ChatMessage(role="user", content="Thủ tục đăng ký khai sinh cần giấy tờ gì?"),
]


def _model(
    server: FakeOllama, *, chat_model: str = "qwen2.5:7b-instruct", timeout_s: float = 5.0
) -> OllamaChatModel:
    return OllamaChatModel(OllamaSettings(host=server.url, chat_model=chat_model, timeout_s=timeout_s))


def test_stream_yields_pieces_in_order_and_sends_options(ollama_server: FakeOllama) -> None:
    ollama_server.enqueue("Cần tờ khai và giấy chứng sinh.")
    pieces = list(_model(ollama_server).stream(QUESTION, max_tokens=64, temperature=0.2, stop=["\n\n"]))
    assert len(pieces) > 1
    assert "".join(pieces) == "Cần tờ khai và giấy chứng sinh."
    endpoint, body = ollama_server.requests[-1]
    assert endpoint == "POST /api/chat"
    assert body["stream"] is True
    assert body["options"] == {"num_predict": 64, "temperature": 0.2, "stop": ["\n\n"]}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"] == QUESTION[1].content


def test_max_tokens_reaches_the_server(ollama_server: FakeOllama) -> None:
    ollama_server.enqueue("một hai ba bốn năm sáu")
    assert complete(_model(ollama_server), QUESTION, max_tokens=3) == "một hai ba "


def test_unknown_model_is_a_clear_error(ollama_server: FakeOllama) -> None:
    model = _model(ollama_server, chat_model="llama-khong-co")
    with pytest.raises(OllamaError) as info:
        list(model.stream(QUESTION, max_tokens=8))
    assert info.value.code == "ollama_model_missing"
    assert "ollama pull llama-khong-co" in info.value.message
    assert isinstance(info.value, ChatModelError) and isinstance(info.value, TrolyError)


def test_slow_server_times_out(ollama_server: FakeOllama) -> None:
    ollama_server.delay_s = 1.5
    started = time.perf_counter()
    with pytest.raises(OllamaError) as info:
        list(_model(ollama_server, timeout_s=0.3).stream(QUESTION, max_tokens=8))
    assert info.value.code == "ollama_timeout"
    assert "TROLY_OLLAMA__TIMEOUT_S" in info.value.message
    assert time.perf_counter() - started < 1.4


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_server_down_is_a_clear_error() -> None:
    host = f"http://127.0.0.1:{_closed_port()}"
    model = OllamaChatModel(OllamaSettings(host=host, timeout_s=2))
    with pytest.raises(OllamaError) as info:
        list(model.stream(QUESTION, max_tokens=8))
    assert info.value.code == "ollama_unreachable"
    assert host in info.value.message
    status = model.info()
    assert not status.ready and "ollama serve" in status.detail


def test_info_lists_tags(ollama_server: FakeOllama) -> None:
    present = _model(ollama_server).info()
    assert present.ready and present.backend == "ollama" and present.location == ollama_server.url
    absent = _model(ollama_server, chat_model="mistral").info()
    assert not absent.ready and "ollama pull mistral" in absent.detail
    assert ("GET /api/tags", {}) in ollama_server.requests


def test_latest_tag_is_implied(ollama_server: FakeOllama) -> None:
    ollama_server.models.append("qwen2.5:latest")
    assert _model(ollama_server, chat_model="qwen2.5").info().ready


def test_fake_server_also_answers_non_streaming_and_version(ollama_server: FakeOllama) -> None:
    # Other engineers' tests (the HTTP API) rely on these endpoints of the shared fake.
    client = ollama.Client(host=ollama_server.url, timeout=5)
    ollama_server.enqueue("Một câu trả lời trọn vẹn.")
    reply = client.chat(
        model="qwen2.5:7b-instruct", messages=[{"role": "user", "content": "?"}], stream=False
    )
    assert reply.message.content == "Một câu trả lời trọn vẹn." and reply.done_reason == "stop"
    assert httpx.get(f"{ollama_server.url}/api/version", timeout=5).json() == {"version": "0.0.0-fake"}


def test_server_errors_keep_the_reason(ollama_server: FakeOllama) -> None:
    ollama_server.fail_next(500, "llama runner process has terminated")
    with pytest.raises(OllamaError) as info:
        list(_model(ollama_server).stream(QUESTION, max_tokens=8))
    assert info.value.code == "ollama_http"
    assert "HTTP 500" in info.value.message and "runner process has terminated" in info.value.message


def test_error_in_the_middle_of_a_stream(ollama_server: FakeOllama) -> None:
    ollama_server.enqueue("một hai ba bốn năm sáu")
    ollama_server.fail_next(0, "hết bộ nhớ")
    received: list[str] = []
    with pytest.raises(OllamaError) as info:
        received.extend(_model(ollama_server).stream(QUESTION, max_tokens=64))
    assert info.value.code == "ollama_http" and "hết bộ nhớ" in info.value.message
    assert received == ["một ", "hai ", "ba "]
