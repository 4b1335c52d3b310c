"""Documents: list (any key), upload (admin: an ingest job, answered 202) and delete (admin)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from troly.errors import TrolyError
from web.admission import admit_upload
from web.auth import AdminDep, CallerDep, ServicesDep
from web.errors import not_found
from web.routers.jobs import view_of
from web.schemas import DeleteResponse, DocumentList, DocumentOut, JobOut
from web.services import Services

router = APIRouter(prefix="/v1/documents", tags=["documents"])

_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "Tệp quá lớn, quá nhiều tệp, hoặc quá nhiều đoạn / quá lâu để nạp (nêu giới hạn)."},
    503: {"description": "Hàng đợi nạp tài liệu đầy (job_queue_full), có Retry-After."},
}


@router.get("", response_model=DocumentList)
def list_documents(caller: CallerDep, services: ServicesDep) -> DocumentList:
    library = services.library.get()
    counts = Counter(chunk.doc_id for chunk in library.chunks())
    profiles = {p.doc_id: p for p in library.profiles()}
    return DocumentList(
        documents=[
            DocumentOut(
                id=d.id,
                title=d.title,
                date=d.date,
                content_hash=d.content_hash,
                chunks=counts[d.id],
                subjects=[s.name for s in profile.subjects] if (profile := profiles.get(d.id)) else [],
            )
            for d in library.documents()
        ]
    )


@router.post("", status_code=202, response_model=JobOut, responses=_UPLOAD_ERRORS)
async def upload_documents(
    files: Annotated[list[UploadFile], File(description="Một hoặc nhiều tệp txt/md/html/pdf/docx.")],
    admin: AdminDep,
    services: ServicesDep,
) -> JSONResponse:
    """Accepted as an ingest job, answered at once (202, `Location: /v1/jobs/{id}`): follow it with
    GET /v1/jobs/{id}. Every file is checked and its chunks counted first: an upload over a limit (files,
    size, chunks, estimated time) is refused and nothing is stored. A file that cannot be read is reported
    failed in the job; one whose ingest fails leaves the previous version, on disk and in the index."""
    job = await admit_upload(services, admin, files)
    view = await run_in_threadpool(view_of, services, job)
    return JSONResponse(view.model_dump(), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"})


@router.delete(
    "/{doc_id:path}", response_model=DeleteResponse, responses={503: {"description": "index_busy"}}
)
async def delete_document(doc_id: str, admin: AdminDep, services: ServicesDep) -> DeleteResponse:
    """Waits (without holding a server thread) while an upload's final write runs; 503 after
    `server.write_wait_s`."""
    async with services.writing():
        await run_in_threadpool(_remove, services, doc_id)
    await run_in_threadpool(services.db.audit, admin.key_id, "delete", doc_id)
    return DeleteResponse(id=doc_id, deleted=True)


def _remove(services: Services, doc_id: str) -> None:
    try:
        services.library.get().remove(doc_id)
    except TrolyError as exc:
        if exc.code != "not_found":
            raise
        raise not_found("document_not_found", f"Không tìm thấy tài liệu {doc_id}.") from exc
    uploads = services.uploads_dir.resolve()
    stored = (uploads / doc_id).resolve()
    # Only a file directly in uploads/: a crafted id ('../x') deletes nothing else.
    if stored.parent == uploads and stored.is_file():
        stored.unlink()
