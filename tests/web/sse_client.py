"""A minimal SSE parser for tests: (event, data) pairs from a streamed httpx response."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx


def sse_events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    event, data = "message", list[str]()
    for line in response.iter_lines():
        if line == "":
            if data:
                payload = "\n".join(data)
                yield event, payload if payload == "[DONE]" else json.loads(payload)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:") :].strip())
