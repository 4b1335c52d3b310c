"""Sliding-window rate limit (requests per minute) per key or per client address, in memory: one server
process per home. Keys without a hit in the last minute are dropped now and then, so addresses that come
and go (failed logins from many hosts) do not grow the table without end."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0
_SWEEP_EVERY = 1000  # checks between two sweeps of idle keys


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._checks = 0

    def check(self, key: str) -> int | None:
        """Record one request for `key`; None when allowed, else the seconds to wait (Retry-After)."""
        now = self._clock()
        with self._lock:
            self._checks += 1
            if self._checks % _SWEEP_EVERY == 0:
                self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= WINDOW_S:
                hits.popleft()
            if len(hits) >= self._limit:
                return max(1, math.ceil(WINDOW_S - (now - hits[0])))
            hits.append(now)
            return None

    def _sweep(self, now: float) -> None:
        idle = [key for key, hits in self._hits.items() if not hits or now - hits[-1] >= WINDOW_S]
        for key in idle:
            del self._hits[key]

    def __len__(self) -> int:
        return len(self._hits)
