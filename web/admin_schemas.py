"""Bodies of the admin console's routes (/admin/api/...)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, field_validator

from web.console_records import FeedbackItem

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SignIn(BaseModel):
    key: str = Field(min_length=1, max_length=200)


class SessionOut(BaseModel):
    name: str
    key_id: int
    csrf: str
    expires_at: float = Field(description="Unix time at which the session ends.")


class ConsoleDocument(BaseModel):
    id: str = Field(description="Mã tài liệu, cũng là nguồn (source) trong trích dẫn.")
    title: str
    date: str | None
    file_type: str = ""
    size: int | None = Field(default=None, description="Kích thước tệp (byte) khi tệp còn trên máy chủ.")
    chunks: int
    subjects: list[str] = Field(default_factory=list)


class ConsoleDocuments(BaseModel):
    generation: int | None = Field(description="Thế hệ chỉ mục đang dùng (tăng sau mỗi lần ghi).")
    documents: list[ConsoleDocument]


class FeedbackList(BaseModel):
    items: list[FeedbackItem]


class ReviewIn(BaseModel):
    """The reviewer's verdict: the right answer(s) and source(s), or that the documents hold no answer."""

    answerable: bool
    answers: list[str] = Field(default_factory=list, max_length=20)
    sources: list[str] = Field(default_factory=list, max_length=20)
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("answers", "sources")
    @classmethod
    def _strip(cls, values: list[str]) -> list[str]:
        return [v.strip() for v in values if v.strip()]


class ExportOut(BaseModel):
    count: int
    filename: str
    content: str = Field(description="The QA file (JSONL, EVAL-FORMAT.md).")


class KeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    admin: bool = False


class KeyOut(BaseModel):
    id: int
    name: str
    hint: str
    admin: bool
    created_at: str
    revoked_at: str | None
    last_used_at: str | None


class CreatedKey(KeyOut):
    token: str = Field(description="Shown once: only its hash is stored.")


class KeyList(BaseModel):
    keys: list[KeyOut]


class AuditList(BaseModel):
    entries: list[dict[str, Any]]


class HealthOut(BaseModel):
    model: dict[str, Any]
    embedder: dict[str, Any]
    index: dict[str, Any]
    queue: dict[str, int]
    answers_per_day: list[dict[str, Any]]
    feedback_per_day: list[dict[str, Any]]
