"""A scripted ChatModel for wiring tests: replies come from a queue, every call is recorded.

model = ScriptedChatModel()
model.enqueue("Theo tài liệu [1], ...")
pipeline = AnswerPipeline(settings, library, model)
...
assert model.history[0].messages[0].role == "system"
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from assistant.llm.base import ChatMessage, ChatModelError, ModelInfo

_PIECE = re.compile(r"\s*\S+\s*|\s+")


@dataclass(frozen=True)
class ScriptedCall:
    messages: list[ChatMessage]
    max_tokens: int
    temperature: float
    stop: tuple[str, ...]


class ScriptedChatModel:
    def __init__(
        self,
        replies: Sequence[str] = (),
        *,
        name: str = "scripted",
        default: str | None = None,
        delay_s: float = 0.0,
        in_process: bool = True,
    ) -> None:
        """`delay_s` paces the pieces like a model decoding on a CPU (browser and load tests);
        `in_process=False` stands for a model server, which admits a request with its first piece."""
        self._name = name
        self._in_process = in_process
        self._delay_s = delay_s
        self._queue: deque[str | Exception] = deque(replies)
        self._default = default
        self.history: list[ScriptedCall] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def in_process(self) -> bool:
        return self._in_process

    def enqueue(self, text: str) -> None:
        self._queue.append(text)

    def discard(self) -> None:
        """Drop the replies not yet used (a test whose pipeline may or may not retry)."""
        self._queue.clear()

    def enqueue_error(self, error: Exception) -> None:
        """The next call raises `error` on its first piece, as a backend that fails mid-request."""
        self._queue.append(error)

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        self.history.append(ScriptedCall(list(messages), max_tokens, temperature, tuple(stop)))
        return self._replay(max_tokens, tuple(stop))

    def _replay(self, max_tokens: int, stop: tuple[str, ...]) -> Iterator[str]:
        if self._queue:
            reply = self._queue.popleft()
        elif self._default is not None:
            reply = self._default
        else:
            raise ChatModelError("ScriptedChatModel: no reply enqueued for this call")
        if isinstance(reply, Exception):
            raise reply
        for marker in stop:
            if marker and marker in reply:
                reply = reply[: reply.index(marker)]
        # One whitespace-delimited word stands for one token, so max_tokens truncates like a real model.
        for piece in _PIECE.findall(reply)[:max_tokens]:
            if self._delay_s:
                time.sleep(self._delay_s)
            yield piece

    def info(self) -> ModelInfo:
        return ModelInfo(backend="scripted", name=self._name, ready=True, detail=f"{len(self._queue)} queued")
