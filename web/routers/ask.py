"""POST /v1/ask (JSON) and POST /v1/ask/stream (SSE)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from web.answering import AskFlow
from web.auth import CallerDep, ServicesDep
from web.schemas import AskRequest, AskResponse
from web.sse import SSE_HEADERS, SSE_MEDIA_TYPE

router = APIRouter(prefix="/v1", tags=["ask"])

_BUSY: dict[int | str, dict[str, Any]] = {503: {"description": "Hàng đợi đầy (queue_full), có Retry-After."}}


@router.post("/ask", response_model=AskResponse, responses=_BUSY)
async def ask(body: AskRequest, caller: CallerDep, services: ServicesDep) -> AskResponse:
    flow = AskFlow(services)
    question = flow.prepare(caller, body.question, body.conversation_id)
    response, _ = await flow.answer(question, flow.submit(question, k=body.k, filters=body.filters))
    return response


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {SSE_MEDIA_TYPE: {}}}, **_BUSY},
)
async def ask_stream(body: AskRequest, caller: CallerDep, services: ServicesDep) -> StreamingResponse:
    flow = AskFlow(services)
    question = flow.prepare(caller, body.question, body.conversation_id)
    job = flow.submit(question, k=body.k, filters=body.filters)
    events = await flow.opened(job)
    return StreamingResponse(flow.sse(question, events), media_type=SSE_MEDIA_TYPE, headers=SSE_HEADERS)
