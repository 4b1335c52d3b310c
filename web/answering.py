"""Asking a question over HTTP: check it, load the conversation, queue the generation, record the answer.

The JSON endpoint, the SSE endpoint and the OpenAI-compatible endpoint all go through `AskFlow`.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from assistant.events import (
    AcceptedEvent,
    AnswerEvent,
    CitationsEvent,
    DoneEvent,
    ErrorEvent,
    EvidenceEvent,
    TokenEvent,
)
from assistant.llm.base import ChatMessage, ChatModelError
from ingest.vietnamese import strip_invisible
from troly.errors import TrolyError
from troly.records import Answer
from web.auth import Principal
from web.errors import ApiError, not_found, too_large
from web.queue import Job
from web.schemas import AskFilters, AskResponse, CitationsData, ErrorData, EvidenceData, TokenData
from web.services import Services
from web.sse import sse_frame

if TYPE_CHECKING:
    from assistant.pipeline import GenerationOptions
    from index.library import SearchFilters

log = logging.getLogger(__name__)

_INTERNAL = "Lỗi hệ thống khi tạo câu trả lời. Vui lòng thử lại sau."
_INTERRUPTED = "Câu trả lời bị gián đoạn. Vui lòng thử lại."
# Codes from other stages: "try again later" (503), "the question is wrong" (422); others are 500.
_RETRY_LATER = {
    "model_not_ready",
    "llm_error",
    "index_corrupt",
    "index_busy",
    "not_ready",
    "queue_full",
    "stale_index",
    "database_unavailable",
    "schema_mismatch",
}
_BAD_QUESTION = {"bad_question", "empty_question"}


@dataclass(frozen=True)
class Question:
    text: str
    history: tuple[ChatMessage, ...]
    conversation_id: str | None
    principal: Principal


def check_question(text: str, limit: int, noun: str = "Câu hỏi") -> str:
    """The question as it is answered or searched: NFC, without invisible characters (zero-width spaces,
    joiners, BOM, bidi marks), trimmed. 422 `empty_question` when nothing is left, 413 when over `limit`."""
    text = strip_invisible(unicodedata.normalize("NFC", text)).strip()
    if not text:
        raise ApiError(422, "empty_question", f"{noun} không được để trống.")
    if len(text) > limit:
        raise too_large("question_too_long", f"{noun} quá dài (tối đa {limit} ký tự).")
    return text


def error_from_event(event: ErrorEvent) -> ApiError:
    if event.code in _RETRY_LATER:
        return ApiError(503, event.code, event.message, headers={"Retry-After": "10"})
    return ApiError(422 if event.code in _BAD_QUESTION else 500, event.code, event.message)


def _search_filters(filters: AskFilters | None) -> SearchFilters | None:
    if filters is None:
        return None
    from index.library import SearchFilters  # the index stage is loaded lazily, with the library

    return SearchFilters(**filters.model_dump())


class AskFlow:
    def __init__(self, services: Services) -> None:
        self._services = services

    def check_question(self, text: str) -> str:
        return check_question(text, self._services.settings.server.max_question_chars)

    def prepare(self, principal: Principal, text: str, conversation_id: str | None) -> Question:
        """A checked question with the history of its conversation (a new conversation when None)."""
        text = self.check_question(text)
        db = self._services.db
        if conversation_id is None:
            return Question(text, (), db.create_conversation(principal.key_id), principal)
        exists, owner = db.conversation_owner(conversation_id)
        # Another key's conversation is reported as missing: its content must not leak.
        if not exists or (owner != principal.key_id and self._services.settings.server.require_auth):
            raise not_found("conversation_not_found", "Không tìm thấy hội thoại này.")
        turns = self._services.settings.answer.history_turns
        return Question(text, tuple(db.history(conversation_id, 2 * turns)), conversation_id, principal)

    def stateless(self, principal: Principal, messages: Sequence[ChatMessage]) -> Question:
        """A question whose history travels with the request (OpenAI style): nothing stored but the answer."""
        if not messages or messages[-1].role != "user":
            raise ApiError(
                422, "invalid_request", "Tin nhắn cuối cùng phải là câu hỏi của người dùng (role=user)."
            )
        text = self.check_question(messages[-1].content)
        turns = self._services.settings.answer.history_turns
        history = [m for m in messages[:-1] if m.role in ("user", "assistant")]
        return Question(text, tuple(history[-2 * turns :] if turns else ()), None, principal)

    def submit(
        self,
        question: Question,
        *,
        k: int | None = None,
        filters: AskFilters | None = None,
        options: GenerationOptions | None = None,
    ) -> Job[AnswerEvent]:
        """Queue the generation; raises ApiError 503 when the queue is full."""
        services = self._services
        search_filters = _search_filters(filters)

        def produce() -> Iterator[AnswerEvent]:
            try:
                pipeline = services.pipeline.get()
                yield from pipeline.stream(
                    question.text, question.history, k=k, filters=search_filters, options=options
                )
            except ChatModelError as exc:  # before TrolyError: every backend failure is one stable API code
                yield ErrorEvent(code="llm_error", message=f"Mô hình ngôn ngữ gặp lỗi: {exc.message}")
            except TrolyError as exc:
                yield ErrorEvent(code=exc.code, message=exc.message)
            except Exception:
                log.exception("answer generation failed")
                yield ErrorEvent(
                    code="internal", message="Lỗi hệ thống khi tạo câu trả lời. Vui lòng thử lại sau."
                )

        return services.queue.submit(produce)

    def record(self, question: Question, answer: Answer) -> AskResponse:
        db = self._services.db
        db.save_answer(answer, conversation_id=question.conversation_id, key_id=question.principal.key_id)
        db.audit(question.principal.key_id, "ask", question.text)
        return AskResponse.of(answer, question.conversation_id)

    async def answer(self, question: Question, job: Job[AnswerEvent]) -> tuple[AskResponse, int]:
        """Drain the job: the recorded response and the number of streamed tokens."""
        tokens = 0
        async for event in job.events():
            if isinstance(event, TokenEvent):
                tokens += 1
            elif isinstance(event, DoneEvent):
                return await run_in_threadpool(self.record, question, event.answer), tokens
            elif isinstance(event, ErrorEvent):
                raise error_from_event(event)
        raise ApiError(500, "internal", _INTERRUPTED)

    async def opened(self, job: Job[AnswerEvent]) -> AsyncIterator[AnswerEvent]:
        """The job's events, once its HTTP status is known. An error before the model has taken the request
        (a full or unreachable model server, say) is raised as an ApiError, so that a streamed response
        carries its status (503 with Retry-After) instead of a 200 stream holding only an error. The
        evidence passage is held until then: at once with the model in this process (AcceptedEvent comes
        right after it), with the first piece of a model server's reply otherwise."""
        events = job.events()
        first: AnswerEvent | None = None
        held: list[AnswerEvent] = []
        async for event in events:
            if isinstance(event, EvidenceEvent):
                held.append(event)
            elif isinstance(event, AcceptedEvent | TokenEvent | CitationsEvent | DoneEvent | ErrorEvent):
                first = event
                break
        if isinstance(first, ErrorEvent):
            await events.aclose()
            raise error_from_event(first)
        if first is not None and not isinstance(first, AcceptedEvent):
            held.append(first)
        return _prepend(held, events)

    async def sse(self, question: Question, events: AsyncIterator[AnswerEvent]) -> AsyncIterator[bytes]:
        """The answer as SSE: evidence (when the plan has a passage), token*, citations, then done (the
        /v1/ask body) or error."""
        try:
            async for event in events:
                if isinstance(event, EvidenceEvent):
                    yield sse_frame(EvidenceData(passage=event.passage), "evidence")
                elif isinstance(event, TokenEvent):
                    yield sse_frame(TokenData(text=event.text), "token")
                elif isinstance(event, CitationsEvent):
                    yield sse_frame(CitationsData(citations=event.citations), "citations")
                elif isinstance(event, DoneEvent):
                    body = await run_in_threadpool(self.record, question, event.answer)
                    yield sse_frame(body, "done")
                    return
                elif isinstance(event, ErrorEvent):
                    yield sse_frame(ErrorData(code=event.code, message=event.message), "error")
                    return
        except ApiError as exc:
            yield sse_frame(ErrorData(code=exc.code, message=exc.message), "error")
            return
        yield sse_frame(
            ErrorData(code="internal", message="Câu trả lời bị gián đoạn. Vui lòng thử lại."), "error"
        )


async def _prepend(first: list[AnswerEvent], rest: AsyncIterator[AnswerEvent]) -> AsyncIterator[AnswerEvent]:
    for event in first:
        yield event
    async for event in rest:
        yield event
