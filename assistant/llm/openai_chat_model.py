"""A chat model behind an OpenAI-compatible server (vLLM's `vllm serve`, or a gateway in front of several).

Streams `POST {base_url}/chat/completions` (server-sent events) with httpx. A server that is full answers
429 or 503: that, a refused connection, or no piece within `timeout_s` is an OpenAiChatError at once, which
the API turns into 503 with Retry-After; a request never waits on a backend without a deadline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from assistant.llm.base import ChatMessage, ChatModelError, ModelInfo
from troly.errors import TrolyError
from troly.settings import OpenAiSettings


class OpenAiChatError(ChatModelError, TrolyError):
    code = "openai"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        TrolyError.__init__(self, message, code=code)


@contextmanager
def _errors(base_url: str, model: str) -> Iterator[None]:
    try:
        yield
    except httpx.TimeoutException:
        raise OpenAiChatError(
            f"Máy chủ mô hình {base_url} không trả lời kịp thời hạn; hãy thử lại sau "
            "(hoặc tăng TROLY_OPENAI__TIMEOUT_S).",
            code="llm_timeout",
        ) from None
    except httpx.ConnectError:
        raise OpenAiChatError(
            f"Không kết nối được máy chủ mô hình tại {base_url}. Hãy kiểm tra máy chủ (vllm serve) và "
            "TROLY_OPENAI__BASE_URL.",
            code="llm_unreachable",
        ) from None
    except httpx.HTTPError as exc:
        raise OpenAiChatError(f"Lỗi kết nối tới máy chủ mô hình {base_url}: {exc}", code="llm_http") from None


def _raise_for(response: httpx.Response, base_url: str, model: str) -> None:
    if response.status_code < 400:
        return
    response.read()
    try:
        detail = str(response.json().get("error", {}).get("message", "")) or response.text
    except (ValueError, AttributeError):
        detail = response.text
    if response.status_code in (429, 503):
        raise OpenAiChatError(
            f"Máy chủ mô hình {base_url} đang quá tải (HTTP {response.status_code}); hãy thử lại sau.",
            code="llm_busy",
        )
    if response.status_code == 404:
        raise OpenAiChatError(
            f"Máy chủ mô hình {base_url} không có mô hình '{model}' (TROLY_OPENAI__CHAT_MODEL): {detail[:200]}",
            code="llm_model_missing",
        )
    raise OpenAiChatError(
        f"Máy chủ mô hình {base_url} báo lỗi (HTTP {response.status_code}): {detail[:200]}", code="llm_http"
    )


class OpenAiChatModel:
    def __init__(self, settings: OpenAiSettings, *, client: httpx.Client | None = None) -> None:
        self._settings = settings
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._client = client or httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/", timeout=settings.timeout_s, headers=headers
        )

    @property
    def in_process(self) -> bool:
        """A model server: it may still refuse a request the queue admitted."""
        return False

    @property
    def name(self) -> str:
        return self._settings.chat_model

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        body: dict[str, Any] = {
            "model": self.name,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stop:
            body["stop"] = list(stop)
        base = self._settings.base_url
        with _errors(base, self.name), self._client.stream("POST", "chat/completions", json=body) as response:
            _raise_for(response, base, self.name)
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                piece = _delta(data, base)
                if piece:
                    yield piece

    def info(self) -> ModelInfo:
        base = self._settings.base_url
        try:
            with _errors(base, self.name):
                response = self._client.get("models")
                _raise_for(response, base, self.name)
                names = [str(m.get("id", "")) for m in response.json().get("data", [])]
        except (OpenAiChatError, ValueError) as exc:
            detail = exc.message if isinstance(exc, OpenAiChatError) else "trả lời /models không hợp lệ"
            return ModelInfo(backend="openai", name=self.name, location=base, ready=False, detail=detail)
        present = self.name in names
        detail = "" if present else f"máy chủ không phục vụ mô hình này (có: {', '.join(names)[:200]})"
        return ModelInfo(backend="openai", name=self.name, location=base, ready=present, detail=detail)


def _delta(data: str, base_url: str) -> str:
    try:
        event = json.loads(data)
    except ValueError:
        raise OpenAiChatError(
            f"Máy chủ mô hình {base_url} gửi dữ liệu không hợp lệ.", code="llm_http"
        ) from None
    if "error" in event:
        message = event["error"].get("message", "") if isinstance(event["error"], dict) else event["error"]
        raise OpenAiChatError(f"Máy chủ mô hình {base_url} báo lỗi: {message}", code="llm_http")
    choices = event.get("choices") or []
    if not choices:
        return ""
    return str((choices[0].get("delta") or {}).get("content") or "")
