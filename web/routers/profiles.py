"""One document with its profile (any key): what it is about, with the offsets of every field."""

from __future__ import annotations

from fastapi import APIRouter

from web.auth import CallerDep, ServicesDep
from web.errors import not_found
from web.schemas import DocumentDetail

router = APIRouter(prefix="/v1/documents", tags=["documents"])


@router.get(
    "/{doc_id:path}", response_model=DocumentDetail, responses={404: {"description": "Không có tài liệu."}}
)
def document_detail(doc_id: str, caller: CallerDep, services: ServicesDep) -> DocumentDetail:
    library = services.library.get()
    document = library.document(doc_id)
    profile = library.profile(doc_id)
    if document is None or profile is None:
        raise not_found("not_found", f"Không có tài liệu '{doc_id}' trong chỉ mục.")
    chunks = sum(1 for c in library.chunks(doc_id))
    return DocumentDetail(
        id=document.id,
        title=document.title,
        date=document.date,
        content_hash=document.content_hash,
        chunks=chunks,
        subjects=[s.name for s in profile.subjects],
        profile=profile,
    )
