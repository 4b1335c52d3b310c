"""/v1/chat/completions with the official `openai` client against the loopback server."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveServer

openai = pytest.importorskip("openai")


def _client(server: LiveServer) -> Any:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=server.user_key, max_retries=0)


def test_chat_completion_shape(server: LiveServer) -> None:
    completion = _client(server).chat.completions.create(
        model="troly",
        messages=[
            {"role": "system", "content": "Bạn là trợ lý."},
            {"role": "user", "content": "Thừa Thiên Huế ký với ai?"},
        ],
    )
    assert completion.object == "chat.completion"
    content = completion.choices[0].message.content
    assert content is not None and "VNPT" in content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens > 0
    extra = completion.model_extra or {}
    assert extra["citations"][0]["source"] == "hue.txt"


def test_chat_completion_stream(server: LiveServer) -> None:
    stream = _client(server).chat.completions.create(
        model="troly", messages=[{"role": "user", "content": "Quảng Trị ký với ai?"}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "Viettel" in text
    assert text.endswith("[1]")
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"][0]["source"] == "quang-tri.txt"


def test_bad_key_raises_authentication_error(server: LiveServer) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="troly_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="troly", messages=[{"role": "user", "content": "Huế?"}])
