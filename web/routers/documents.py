"""Documents: list (any key), upload and delete (admin key). Writes are serialised by `write_lock`."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from starlette.concurrency import run_in_threadpool

from troly.errors import TrolyError
from troly.records import IngestOutcome
from web.auth import AdminDep, CallerDep, ServicesDep
from web.errors import ApiError, not_found
from web.schemas import DeleteResponse, DocumentList, DocumentOut, UploadResponse, UploadResult
from web.services import Services
from web.uploads import Installed, StagedUpload, discard_all, install, stage_upload

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/documents", tags=["documents"])


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


@router.post("", response_model=UploadResponse, responses={413: {"description": "Tệp quá lớn."}})
async def upload_documents(
    files: Annotated[list[UploadFile], File(description="Một hoặc nhiều tệp txt/md/html/pdf/docx.")],
    admin: AdminDep,
    services: ServicesDep,
) -> UploadResponse:
    """All files are staged first: a request that fails part-way (413, bad name) changes nothing.
    A file whose ingest fails leaves the previous version, on disk and in the index, as it was."""
    if not files:
        raise ApiError(422, "no_files", "Chưa có tệp nào được gửi lên.")
    max_bytes = services.settings.server.max_upload_mb << 20
    staged: list[StagedUpload] = []
    try:
        for upload in files:
            staged.append(await stage_upload(upload, services.uploads_dir, max_bytes))
        duplicates = sorted(name for name, n in Counter(s.name for s in staged).items() if n > 1)
        if duplicates:
            raise ApiError(
                422,
                "duplicate_filename",
                f"Có nhiều tệp cùng tên trong một lần tải lên: {', '.join(duplicates)}.",
            )
        ingested = await run_in_threadpool(_install_and_ingest, services, staged)
    finally:
        discard_all(staged)  # staging files not moved into place (all of them when anything failed)
    results = [
        UploadResult(
            filename=filename,
            source=outcome.source,
            status=outcome.status,
            chunks=outcome.chunks,
            reason=outcome.reason,
        )
        for filename, outcome in ingested
    ]
    services.db.audit(admin.key_id, "upload", ", ".join(f"{r.source}:{r.status}" for r in results))
    return UploadResponse(results=results)


def _install_and_ingest(services: Services, staged: list[StagedUpload]) -> list[tuple[str, IngestOutcome]]:
    """Under the write lock: move the staged files onto their names, ingest them, and put back the previous
    file (or remove the new one) for every file the ingest did not take, so that uploads/ keeps exactly
    the files behind the indexed versions (what `troly index rebuild` reads)."""
    with services.write_lock:
        installed: list[Installed] = []
        try:
            for upload in staged:
                installed.append(install(upload, services.uploads_dir))
            report = services.library.get().ingest([i.target for i in installed])
        except BaseException:
            _rollback(installed)
            raise
        outcomes = {outcome.source: outcome for outcome in report.outcomes}
        results = []
        for item in installed:
            outcome = outcomes.get(item.target.name) or IngestOutcome(
                source=item.target.name, status="failed", reason="Không nhận được kết quả nạp cho tệp này."
            )
            if outcome.status == "failed":
                _rollback([item])
            else:
                item.commit()
            results.append((item.staged.filename, outcome))
    return results


def _rollback(installed: list[Installed]) -> None:
    for item in reversed(installed):
        try:
            item.rollback()
        except OSError as exc:  # keep going: the others can still be put back
            log.error("could not restore %s after a failed upload: %s", item.target, exc)


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
