"""Events of one answer. The CLI, the JSON endpoint and SSE all consume this one stream."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from troly.records import Answer, Citation, EvidencePassage, SearchHit


class RetrievedEvent(BaseModel):
    type: Literal["retrieved"] = "retrieved"
    hits: list[SearchHit]


class EvidenceEvent(BaseModel):
    """The best evidence passage, as soon as the plan has it: before the model's first sentence."""

    type: Literal["evidence"] = "evidence"
    passage: EvidencePassage


class AcceptedEvent(BaseModel):
    """The model has taken the request (at once for a model in this process, with its first piece for a
    model server): a failure after this is told in the stream, so a streamed response may start here."""

    type: Literal["accepted"] = "accepted"


class TokenEvent(BaseModel):
    type: Literal["token"] = "token"
    text: str


class CitationsEvent(BaseModel):
    type: Literal["citations"] = "citations"
    citations: list[Citation]


class DoneEvent(BaseModel):
    """Last event: `answer.text` is final and may differ from the joined tokens (citations added, refusal)."""

    type: Literal["done"] = "done"
    answer: Answer


class ErrorEvent(BaseModel):
    type: Literal["error"] = "error"
    code: str
    message: str


AnswerEvent = (
    RetrievedEvent | EvidenceEvent | AcceptedEvent | TokenEvent | CitationsEvent | DoneEvent | ErrorEvent
)
