"""GET /v1/search: ranked passages without the LLM; runs beside generation, not in its queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from web.auth import CallerDep, ServicesDep
from web.errors import too_large
from web.schemas import SearchResponse, SearchResult

router = APIRouter(prefix="/v1", tags=["search"])


@router.get("/search", response_model=SearchResponse)
def search(
    caller: CallerDep,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, description="Truy vấn tiếng Việt.")],
    k: Annotated[int | None, Query(ge=1, le=50, description="Mặc định: retrieval.k.")] = None,
) -> SearchResponse:
    limit = services.settings.server.max_question_chars
    if len(q) > limit:
        raise too_large("question_too_long", f"Truy vấn quá dài (tối đa {limit} ký tự).")
    hits = services.library.get().search(q, k)
    return SearchResponse(query=q, results=[SearchResult.of(hit) for hit in hits])
