"""Documents: list (any key), upload and delete (admin key). Writes are serialised by `write_lock`."""

from __future__ import annotations

import contextlib
from collections import Counter
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from starlette.concurrency import run_in_threadpool

from troly.errors import TrolyError
from troly.records import IngestOutcome
from web.auth import AdminDep, CallerDep, ServicesDep
from web.errors import ApiError, not_found
from web.schemas import DeleteResponse, DocumentList, DocumentOut, UploadResponse, UploadResult
from web.services import Services
from web.uploads import save_upload

router = APIRouter(prefix="/v1/documents", tags=["documents"])


@router.get("", response_model=DocumentList)
def list_documents(caller: CallerDep, services: ServicesDep) -> DocumentList:
    library = services.library.get()
    counts = Counter(chunk.doc_id for chunk in library.chunks())
    return DocumentList(
        documents=[
            DocumentOut(id=d.id, title=d.title, date=d.date, content_hash=d.content_hash, chunks=counts[d.id])
            for d in library.documents()
        ]
    )


@router.post("", response_model=UploadResponse, responses={413: {"description": "Tệp quá lớn."}})
async def upload_documents(
    files: Annotated[list[UploadFile], File(description="Một hoặc nhiều tệp txt/md/html/pdf/docx.")],
    admin: AdminDep,
    services: ServicesDep,
) -> UploadResponse:
    if not files:
        raise ApiError(422, "no_files", "Chưa có tệp nào được gửi lên.")
    max_bytes = services.settings.server.max_upload_mb << 20
    saved: list[tuple[str, Path]] = []
    for upload in files:
        saved.append((upload.filename or "", await save_upload(upload, services.uploads_dir, max_bytes)))
    outcomes = await run_in_threadpool(_ingest, services, [path for _, path in saved])
    results = []
    for filename, path in saved:
        outcome = outcomes.get(path.name) or IngestOutcome(
            source=path.name, status="failed", reason="Không nhận được kết quả nạp cho tệp này."
        )
        if outcome.status == "failed":
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # nothing of it is indexed: don't keep it for the next rebuild
        results.append(
            UploadResult(
                filename=filename,
                source=outcome.source,
                status=outcome.status,
                chunks=outcome.chunks,
                reason=outcome.reason,
            )
        )
    services.db.audit(admin.key_id, "upload", ", ".join(f"{r.source}:{r.status}" for r in results))
    return UploadResponse(results=results)


def _ingest(services: Services, paths: list[Path]) -> dict[str, IngestOutcome]:
    with services.write_lock:
        report = services.library.get().ingest(paths)
    return {outcome.source: outcome for outcome in report.outcomes}


@router.delete("/{doc_id:path}", response_model=DeleteResponse)
def delete_document(doc_id: str, admin: AdminDep, services: ServicesDep) -> DeleteResponse:
    with services.write_lock:
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
    services.db.audit(admin.key_id, "delete", doc_id)
    return DeleteResponse(id=doc_id, deleted=True)
