"""A stand-in for the HTTP API that speaks the widget's contract with scripted answers.

Used to develop the widget before the real app existed, and still used for the error paths the real app
only reaches under load (429, 503) and for a dropped connection. The browser tests of the happy path run
against the real `web.app.create_app`.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

STATIC_DIR = Path(__file__).resolve().parents[2] / "web" / "static"


@dataclass
class ScriptedReply:
    """One scripted answer: the streamed pieces, the final text and its citations, or an HTTP error."""

    tokens: list[str] = field(default_factory=list)
    answer: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)
    refused: bool = False
    unsupported: list[str] = field(default_factory=list)
    status: int = 200
    error_code: str = ""
    retry_after: int | None = None
    stream_error: dict[str, str] | None = None
    cut_before_done: bool = False
    delay_s: float = 0.03
    evidence: dict[str, Any] | None = None
    """The best evidence passage, sent first as an `evidence` event and in the done body."""


@dataclass
class StandInApi:
    api_key: str
    replies: deque[ScriptedReply] = field(default_factory=deque)
    questions: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    answers: int = 0
    answer_conversations: list[str] = field(default_factory=list)
    forgotten_conversations: set[str] = field(default_factory=set)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", lambda _: FileResponse(STATIC_DIR / "index.html")),
                Route("/widget.js", lambda _: FileResponse(STATIC_DIR / "widget.js")),
                Route("/v1/ask/stream", self._ask, methods=["POST"]),
                Route("/v1/feedback", self._feedback, methods=["POST"]),
            ]
        )

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    async def _ask(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, "unauthorized", "Thiếu hoặc sai khóa API.")
        body = await request.json()
        self.questions.append(body)
        if body.get("conversation_id") in self.forgotten_conversations:
            return _error(404, "conversation_not_found", "Không tìm thấy hội thoại này.")
        reply = self.replies.popleft() if self.replies else ScriptedReply(tokens=["Xin ", "chào."])
        if reply.status != 200:
            headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after else None
            return _error(reply.status, reply.error_code or "error", "Lỗi thử nghiệm.", headers)
        self.answers += 1
        answer_id = f"ans-{self.answers}"
        conversation_id = body.get("conversation_id") or f"conv-{self.answers}"
        self.answer_conversations.append(conversation_id)
        return StreamingResponse(
            self._events(reply, answer_id, conversation_id), media_type="text/event-stream"
        )

    async def _events(
        self, reply: ScriptedReply, answer_id: str, conversation_id: str
    ) -> AsyncIterator[bytes]:
        if reply.evidence is not None:
            yield _frame("evidence", {"passage": reply.evidence})
            await asyncio.sleep(reply.delay_s)
        for token in reply.tokens:
            yield _frame("token", {"text": token})
            await asyncio.sleep(reply.delay_s)
        if reply.cut_before_done:
            return
        if reply.stream_error:
            yield _frame("error", reply.stream_error)
            return
        yield _frame("citations", {"citations": reply.citations})
        done = {
            "answer_id": answer_id,
            "answer": reply.answer or "".join(reply.tokens),
            "refused": reply.refused,
            "citations": reply.citations,
            "conversation_id": conversation_id,
            "timings": {"total": 1.0},
            "unsupported": reply.unsupported,
            "evidence": reply.evidence,
        }
        yield _frame("done", done)

    async def _feedback(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, "unauthorized", "Thiếu hoặc sai khóa API.")
        body = await request.json()
        self.feedback.append(body)
        return JSONResponse({"id": len(self.feedback), "answer_id": body.get("answer_id")})


def _frame(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)
