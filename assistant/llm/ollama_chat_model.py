"""A chat model served by Ollama (`/api/chat`, streamed), through the official `ollama` client.

Every transport or server failure becomes an `OllamaError` with a Vietnamese message a user can act on;
`ollama_errors` is shared with `index.embedders.ollama_embedder`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import ollama

from assistant.llm.base import ChatMessage, ChatModelError, ModelInfo
from troly.errors import TrolyError
from troly.settings import OllamaSettings


class OllamaError(ChatModelError, TrolyError):
    code = "ollama"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        TrolyError.__init__(self, message, code=code)


@contextmanager
def ollama_errors(host: str, model: str) -> Iterator[None]:
    """Translate what the ollama client and httpx raise into OllamaError with a stable code."""
    try:
        yield
    except ollama.ResponseError as exc:
        if exc.status_code == 404:
            raise OllamaError(
                f"Ollama tại {host} chưa có mô hình '{model}'. Hãy chạy: ollama pull {model}",
                code="ollama_model_missing",
            ) from None
        status = f" (HTTP {exc.status_code})" if exc.status_code > 0 else ""
        raise OllamaError(f"Ollama tại {host} báo lỗi{status}: {exc.error}", code="ollama_http") from None
    except httpx.TimeoutException:
        raise OllamaError(
            f"Ollama tại {host} không trả lời kịp thời hạn. Hãy thử lại hoặc tăng TROLY_OLLAMA__TIMEOUT_S.",
            code="ollama_timeout",
        ) from None
    except (ConnectionError, httpx.ConnectError):
        raise OllamaError(
            f"Không kết nối được Ollama tại {host}. Hãy kiểm tra Ollama đang chạy (ollama serve) "
            "và TROLY_OLLAMA__HOST.",
            code="ollama_unreachable",
        ) from None
    except httpx.HTTPError as exc:
        raise OllamaError(f"Lỗi kết nối tới Ollama tại {host}: {exc}", code="ollama_http") from None


def make_client(settings: OllamaSettings) -> ollama.Client:
    return ollama.Client(host=settings.host, timeout=settings.timeout_s)


def installed_models(client: ollama.Client, host: str) -> list[str]:
    """Names from `/api/tags`."""
    with ollama_errors(host, ""):
        listing = client.list()
    return [m.model for m in listing.models if m.model]


def has_model(names: Sequence[str], wanted: str) -> bool:
    """Ollama names default to the `latest` tag: 'bge-m3' and 'bge-m3:latest' are the same model."""
    full = wanted if ":" in wanted else f"{wanted}:latest"
    return wanted in names or full in names


class OllamaChatModel:
    def __init__(self, settings: OllamaSettings, *, client: ollama.Client | None = None) -> None:
        self._settings = settings
        self._client = client or make_client(settings)

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
        options: dict[str, Any] = {"num_predict": max_tokens, "temperature": temperature}
        if stop:
            options["stop"] = list(stop)
        payload = [{"role": m.role, "content": m.content} for m in messages]
        with ollama_errors(self._settings.host, self.name):
            # The client sends the request lazily, on the first next(); errors surface inside this block.
            for part in self._client.chat(model=self.name, messages=payload, stream=True, options=options):
                piece = part.message.content
                if piece:
                    yield piece

    def info(self) -> ModelInfo:
        host = self._settings.host
        try:
            names = installed_models(self._client, host)
        except OllamaError as exc:
            return ModelInfo(backend="ollama", name=self.name, location=host, ready=False, detail=exc.message)
        present = has_model(names, self.name)
        detail = "" if present else f"chưa có mô hình; chạy: ollama pull {self.name}"
        return ModelInfo(backend="ollama", name=self.name, location=host, ready=present, detail=detail)
