"""The bounded generation queue: one model instance answers one question at a time.

Generation is blocking CPU work, so it runs on a single worker thread; events cross to the event loop
through an asyncio queue. A job is admitted (or refused with 503) before the response starts, and the
worker releases its slot however the job ends, even when the client never reads the stream.
The thread is a daemon and `shutdown` cancels every job, so a server told to stop (SIGTERM) never waits
for an answer to be written out; `busy` tells the ingest worker to leave the cores to generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import queue
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from web.errors import ApiError, queue_full

T = TypeVar("T")

_FIRST_GUESS_S = 10.0  # expected seconds per answer before any was measured


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _End:
    pass


@dataclass
class Job(Generic[T]):
    _queue: asyncio.Queue[T | _Failed | _End]
    _cancel: threading.Event = field(default_factory=threading.Event)

    async def events(self) -> AsyncGenerator[T, None]:
        """The produced items in order; re-raises the producer's exception. Leaving early cancels it."""
        try:
            while True:
                message = await self._queue.get()
                if isinstance(message, _Failed):
                    raise message.error
                if isinstance(message, _End):
                    return
                yield message
        finally:
            self._cancel.set()


class GenerationQueue:
    def __init__(self, size: int) -> None:
        self.capacity = size + 1  # the running job plus `size` waiting
        self._pending = 0
        self._lock = threading.Lock()
        self._mean_s = _FIRST_GUESS_S
        self._work: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._cancels: set[threading.Event] = set()
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        return self._pending

    @property
    def busy(self) -> bool:
        """An answer is being generated or waits for the model."""
        return self._pending > 0

    def retry_after(self) -> int:
        return max(1, math.ceil(self._mean_s * self._pending))

    def submit(self, produce: Callable[[], Iterator[T]]) -> Job[T]:
        """Start `produce` on the generation thread; raises ApiError 503 (queue_full) when full."""
        with self._lock:
            if self._closed:
                raise ApiError(
                    503,
                    "shutting_down",
                    "Máy chủ đang dừng. Vui lòng thử lại sau.",
                    headers={"Retry-After": "10"},
                )
            if self._pending >= self.capacity:
                raise queue_full(self.retry_after())
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="troly-generate", daemon=True)
                self._thread.start()
        loop = asyncio.get_running_loop()
        job: Job[T] = Job(asyncio.Queue())
        self._cancels.add(job._cancel)

        def post(message: T | _Failed | _End) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed at shutdown: nobody is listening
                loop.call_soon_threadsafe(job._queue.put_nowait, message)

        def work() -> None:
            started = time.monotonic()
            try:
                if job._cancel.is_set():
                    return
                for item in produce():
                    post(item)
                    if job._cancel.is_set():
                        break
            except BaseException as exc:
                post(_Failed(exc))
            finally:
                self._cancels.discard(job._cancel)
                self._finished(time.monotonic() - started)
                post(_End())

        self._work.put(work)
        return job

    def _run(self) -> None:
        while (work := self._work.get()) is not None:
            work()

    def _finished(self, seconds: float) -> None:
        with self._lock:
            self._pending -= 1
            if seconds > 0:
                self._mean_s = 0.8 * self._mean_s + 0.2 * seconds

    def shutdown(self) -> None:
        """Cancel every job (the running one stops at its next token, waiting ones never start)."""
        with self._lock:
            self._closed = True
        for cancel in list(self._cancels):
            cancel.set()
        self._work.put(None)
