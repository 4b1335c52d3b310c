"""Request and response bodies of the HTTP API (they make /openapi.json)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from troly.records import Answer, Citation, DocumentProfile, EvidencePassage, SearchHit

SNIPPET_CHARS = 300


class AskFilters(BaseModel):
    """Restrict the evidence: documents whose id starts with `source_prefix`, dated within [from, to]."""

    model_config = ConfigDict(extra="forbid")

    source_prefix: str | None = Field(default=None, description="Ví dụ: 'thong-bao/'.")
    date_from: str | None = Field(default=None, description="ISO, ví dụ '2023' hoặc '2023-06-01'.")
    date_to: str | None = None


class AskRequest(BaseModel):
    question: str = Field(min_length=1, description="Câu hỏi tiếng Việt.")
    conversation_id: str | None = Field(default=None, description="Tiếp tục một hội thoại để hỏi tiếp.")
    k: int | None = Field(default=None, ge=1, le=50, description="Số đoạn trích dùng làm bằng chứng.")
    filters: AskFilters | None = None


class AskResponse(BaseModel):
    answer_id: str
    answer: str
    refused: bool
    citations: list[Citation]
    conversation_id: str | None
    timings: dict[str, float]
    unsupported: list[str]
    model: str = ""
    format: Literal["text", "list"] = Field(
        default="text",
        description="'list': `answer` is a lead line then one item a line, each starting with '- ' (render as a list).",
    )
    evidence: EvidencePassage | None = Field(
        default=None,
        description="Đoạn tài liệu liên quan nhất, gửi trước câu trả lời (sự kiện SSE `evidence`); null khi "
        "câu hỏi bị từ chối trước khi mô hình chạy.",
    )

    @classmethod
    def of(cls, answer: Answer, conversation_id: str | None) -> AskResponse:
        return cls(
            answer_id=answer.id,
            answer=answer.text,
            refused=answer.refused,
            citations=answer.citations,
            conversation_id=conversation_id,
            timings=answer.timings_ms,
            unsupported=answer.unsupported,
            model=answer.model,
            format=answer.format,
            evidence=answer.evidence,
        )


class EvidenceData(BaseModel):
    passage: EvidencePassage


class TokenData(BaseModel):
    text: str


class CitationsData(BaseModel):
    citations: list[Citation]


class ErrorData(BaseModel):
    code: str
    message: str


class SearchResult(BaseModel):
    rank: int
    source: str
    chunk_id: str
    title: str
    date: str | None
    score: float
    snippet: str
    start: int
    end: int

    @classmethod
    def of(cls, hit: SearchHit) -> SearchResult:
        chunk = hit.chunk
        text = chunk.text
        snippet = text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rstrip() + "…"
        return cls(
            rank=hit.rank,
            source=chunk.doc_id,
            chunk_id=chunk.id,
            title=chunk.title,
            date=chunk.date,
            score=hit.score,
            snippet=snippet,
            start=chunk.start,
            end=chunk.end,
        )


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]


class DocumentOut(BaseModel):
    id: str
    title: str
    date: str | None
    content_hash: str
    chunks: int
    subjects: list[str] = Field(
        default_factory=list, description="Chủ thể tài liệu nói về (bên ký, địa phương, văn bản luật)."
    )


class DocumentDetail(DocumentOut):
    profile: DocumentProfile = Field(
        description="Hồ sơ tài liệu: chủ thể, địa danh, người và chức danh, thỏa thuận, các đơn vị (khoản, "
        "điểm, đoạn) với vị trí ký tự trong văn bản."
    )


class DocumentList(BaseModel):
    documents: list[DocumentOut]


JobState = Literal["queued", "running", "completed", "failed", "cancelled"]
JobFileStatus = Literal[
    "queued", "loading", "embedding", "writing", "added", "updated", "skipped", "failed", "cancelled"
]


class JobFile(BaseModel):
    filename: str = Field(description="Tên tệp như người dùng gửi lên.")
    source: str = Field(description="Mã tài liệu (tên tệp đã làm sạch) dùng trong trích dẫn và khi xóa.")
    status: JobFileStatus = Field(
        description="queued → loading → embedding → writing, rồi added/updated/skipped/failed (hoặc cancelled)."
    )
    bytes: int = 0
    chunks_total: int = Field(default=0, description="Số đoạn của tệp (đếm khi nhận tệp).")
    chunks_done: int = Field(default=0, description="Số đoạn đã có vector.")
    reason: str | None = Field(default=None, description="Lý do khi tệp không nạp được, hoặc ghi chú.")


class JobOut(BaseModel):
    """An ingest job: an upload being added to the index in the background, one job at a time, in order."""

    id: str
    state: JobState = Field(
        description="queued (chờ), running, completed (xem kết quả từng tệp), failed (lỗi cả việc), cancelled."
    )
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    position: int | None = Field(default=None, description="Số việc đứng trước việc này trong hàng đợi.")
    cancel_requested: bool = False
    chunks_total: int = 0
    chunks_done: int = 0
    eta_s: float | None = Field(
        default=None,
        description="Ước tính số giây còn lại để tạo vector (kể cả các việc xếp trước); null khi đã xong.",
    )
    error: str | None = None
    files: list[JobFile]


class JobList(BaseModel):
    jobs: list[JobOut]


class DeleteResponse(BaseModel):
    id: str
    deleted: bool


class FeedbackRequest(BaseModel):
    answer_id: str = Field(min_length=1)
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=2000)


class FeedbackResponse(BaseModel):
    id: int
    answer_id: str


class Health(BaseModel):
    status: Literal["ok", "not_ready"]
    checks: dict[str, bool] = Field(default_factory=dict)
    detail: str = ""
    documents: int | None = None


# OpenAI-compatible chat completions


class OpenAIMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(part.get("text", "")) for part in self.content if part.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    model: str = "troly"
    messages: list[OpenAIMessage] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=4096)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)


class ChatChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: ChatChoiceMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    citations: list[Citation] = Field(default_factory=list)
