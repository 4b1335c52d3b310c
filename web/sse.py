"""Server-Sent Events framing: every stream (answers, OpenAI chunks) goes through `sse_frame`."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

SSE_MEDIA_TYPE = "text/event-stream"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse_frame(data: BaseModel | dict[str, Any] | str, event: str | None = None) -> bytes:
    """One SSE message. Strings are sent verbatim (OpenAI's `[DONE]`); the rest as one-line JSON.

    JSON keeps non-ASCII as is (Vietnamese stays readable) and never contains a raw newline, so a
    single `data:` line is always enough.
    """
    if isinstance(data, BaseModel):
        payload = data.model_dump_json()
    elif isinstance(data, dict):
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    else:
        payload = data
    lines = [f"event: {event}"] if event else []
    lines.extend(f"data: {line}" for line in payload.split("\n"))
    return ("\n".join(lines) + "\n\n").encode("utf-8")
