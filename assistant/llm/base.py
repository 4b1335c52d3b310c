"""The ChatModel seam: one streaming call; the non-streaming result is the joined stream."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, Protocol

from pydantic import BaseModel

from troly.errors import TrolyError


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ModelInfo(BaseModel):
    backend: str
    name: str
    location: str = ""
    size_bytes: int | None = None
    ready: bool = False
    detail: str = ""


class ChatModelError(TrolyError):
    """A backend failure a user can act on (model missing, server down, timeout)."""

    code = "chat_model"


class ChatModel(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def in_process(self) -> bool:
        """True when the model runs in this process (llama.cpp): once the queue has admitted a request, only
        a defect can fail it, so an answer's stream may open before the first token. A model server
        (Ollama, vLLM) may still refuse the request: its first piece is what admits it."""
        ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]: ...

    def info(self) -> ModelInfo: ...


def complete(model: ChatModel, messages: Sequence[ChatMessage], *, max_tokens: int) -> str:
    return "".join(model.stream(messages, max_tokens=max_tokens))
