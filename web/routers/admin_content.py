"""The admin console's documents, upload jobs and feedback inbox (/admin/api/...), over the API's own handlers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from web.admin_schemas import (
    ISO_DAY,
    ConsoleDocument,
    ConsoleDocuments,
    ExportOut,
    FeedbackList,
    ReviewIn,
)
from web.auth import ServicesDep
from web.console_auth import ConsoleAdminDep
from web.console_records import Review
from web.errors import ApiError, not_found
from web.feedback_export import export_text
from web.routers import documents, jobs
from web.schemas import DeleteResponse, JobOut
from web.services import Services

router = APIRouter(prefix="/admin/api", tags=["admin"], include_in_schema=False)
Day = Annotated[str | None, Query(pattern=ISO_DAY.pattern, description="YYYY-MM-DD")]


@router.get("/documents", response_model=ConsoleDocuments)
async def list_documents(admin: ConsoleAdminDep, services: ServicesDep) -> ConsoleDocuments:
    return await run_in_threadpool(_documents, services)


def _documents(services: Services) -> ConsoleDocuments:
    library = services.library.get()
    counts = Counter(chunk.doc_id for chunk in library.chunks())
    profiles = {p.doc_id: p for p in library.profiles()}
    rows = []
    for doc in library.documents():
        profile = profiles.get(doc.id)
        rows.append(
            ConsoleDocument(
                id=doc.id,
                title=doc.title,
                date=doc.date,
                file_type=str(getattr(doc, "file_type", "")),
                size=_size(str(getattr(doc, "path", ""))),
                chunks=counts[doc.id],
                subjects=[s.name for s in profile.subjects] if profile else [],
            )
        )
    return ConsoleDocuments(generation=library.generation, documents=rows)


def _size(path: str) -> int | None:
    try:
        return Path(path).stat().st_size if path else None
    except OSError:
        return None


@router.post("/documents", status_code=202, response_model=JobOut)
async def upload(
    files: Annotated[list[UploadFile], File()], admin: ConsoleAdminDep, services: ServicesDep
) -> JSONResponse:
    return await documents.upload_documents(files, admin, services)


@router.delete("/documents/{doc_id:path}", response_model=DeleteResponse)
async def delete(doc_id: str, admin: ConsoleAdminDep, services: ServicesDep) -> DeleteResponse:
    return await documents.delete_document(doc_id, admin, services)


@router.get("/jobs/{job_id}", response_model=JobOut)
def job(job_id: str, admin: ConsoleAdminDep, services: ServicesDep) -> JobOut:
    return jobs.get_job(job_id, admin, services)


# Feedback inbox


@router.get("/feedback", response_model=FeedbackList)
def feedback(
    admin: ConsoleAdminDep,
    services: ServicesDep,
    since: Day = None,
    until: Day = None,
    document: Annotated[str | None, Query(max_length=500)] = None,
    status: Annotated[str, Query(pattern="^(all|open|reviewed)$")] = "all",
) -> FeedbackList:
    """Thumbs-down first, newest first; `document` keeps the answers citing that document."""
    items = services.console.feedback_items(since=since, until=until)
    if document:
        items = [item for item in items if document in item.sources]
    if status != "all":
        items = [item for item in items if (item.review is not None) == (status == "reviewed")]
    return FeedbackList(items=items)


@router.post("/feedback/{feedback_id}/review", response_model=FeedbackList)
def review(feedback_id: int, body: ReviewIn, admin: ConsoleAdminDep, services: ServicesDep) -> FeedbackList:
    if not services.console.feedback_exists(feedback_id):
        raise not_found("feedback_not_found", f"Không tìm thấy phản hồi #{feedback_id}.")
    if body.answerable and not body.answers:
        raise ApiError(
            422,
            "answer_required",
            "Hãy nhập câu trả lời đúng, hoặc đánh dấu câu hỏi là không có trong tài liệu.",
        )
    verdict = Review(answerable=body.answerable, answers=body.answers, sources=body.sources, note=body.note)
    services.console.save_review(feedback_id, admin.key_id, verdict)
    services.db.audit(admin.key_id, "review", f"feedback #{feedback_id}")
    items = [item for item in services.console.feedback_items() if item.id == feedback_id]
    return FeedbackList(items=items)


@router.post("/feedback/export", response_model=ExportOut)
def export(admin: ConsoleAdminDep, services: ServicesDep, since: Day = None) -> ExportOut:
    """The reviewed items as a QA file (EVAL-FORMAT.md), for `troly eval run --qa FILE`."""
    content, count = export_text(services.console, since)
    services.db.audit(admin.key_id, "export", f"{count} câu hỏi" + (f" từ {since}" if since else ""))
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return ExportOut(count=count, filename=f"phan-hoi-{stamp}.jsonl", content=content)
