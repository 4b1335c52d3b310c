"""POST /v1/chat/completions, OpenAI-compatible so existing clients and SDKs work unchanged.

The last user message is the question, earlier user/assistant messages its history; system messages
are ignored (troly has its own prompt). `max_tokens` (or `max_completion_tokens`) and `temperature` apply to
this answer's generation; the checks after it are the same. Citations travel in an extra top-level
`citations` field; when streaming, in the last chunk, which also carries `answer_id` for /v1/feedback.
`usage` is approximate: prompt words and streamed pieces, not the model's tokenizer counts.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from assistant.events import AnswerEvent, DoneEvent, ErrorEvent
from assistant.llm.base import ChatMessage
from assistant.pipeline import GenerationOptions
from web.answering import AskFlow, Question
from web.auth import CallerDep, ServicesDep
from web.errors import ApiError
from web.schemas import ChatChoice, ChatChoiceMessage, ChatCompletion, ChatCompletionRequest, Usage
from web.sse import SSE_HEADERS, SSE_MEDIA_TYPE, sse_frame

router = APIRouter(prefix="/v1", tags=["openai"])


def _messages(body: ChatCompletionRequest) -> list[ChatMessage]:
    return [
        ChatMessage(role=m.role, content=m.text())
        for m in body.messages
        if m.role in ("system", "user", "assistant")
    ]


@router.post(
    "/chat/completions", response_model=ChatCompletion, responses={200: {"content": {SSE_MEDIA_TYPE: {}}}}
)
async def chat_completions(
    body: ChatCompletionRequest, caller: CallerDep, services: ServicesDep
) -> ChatCompletion | StreamingResponse:
    flow = AskFlow(services)
    messages = _messages(body)
    question = flow.stateless(caller, messages)
    limit = body.max_completion_tokens or body.max_tokens
    job = flow.submit(question, options=GenerationOptions(max_tokens=limit, temperature=body.temperature))
    if body.stream:
        chunks = _chunks(flow, question, await flow.opened(job), body.model)
        return StreamingResponse(chunks, media_type=SSE_MEDIA_TYPE, headers=SSE_HEADERS)
    response, pieces = await flow.answer(question, job)
    prompt_words = sum(len(m.content.split()) for m in messages)
    return ChatCompletion(
        id=f"chatcmpl-{response.answer_id}",
        created=int(time.time()),
        model=body.model,
        choices=[ChatChoice(message=ChatChoiceMessage(content=response.answer))],
        usage=Usage(prompt_tokens=prompt_words, completion_tokens=pieces, total_tokens=prompt_words + pieces),
        citations=response.citations,
    )


async def _chunks(
    flow: AskFlow, question: Question, events: AsyncIterator[AnswerEvent], model: str
) -> AsyncIterator[bytes]:
    base: dict[str, Any] = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return sse_frame({**base, "choices": [choice], **extra})

    # The role chunk goes out at once; the content only when verified. The model's raw tokens are not
    # forwarded: an OpenAI client cannot take text back, and verification may drop sentences or refuse.
    yield chunk({"role": "assistant", "content": ""})
    try:
        async for event in events:
            if isinstance(event, DoneEvent):
                body = await run_in_threadpool(flow.record, question, event.answer)
                yield chunk({"content": body.answer})
                citations = [c.model_dump() for c in body.citations]
                yield chunk({}, "stop", citations=citations, answer_id=body.answer_id)
                break
            if isinstance(event, ErrorEvent):
                yield sse_frame({"error": {"code": event.code, "message": event.message}})
                break
    except ApiError as exc:
        yield sse_frame({"error": {"code": exc.code, "message": exc.message}})
    yield sse_frame("[DONE]")
