"""GET /v1/search: ranked passages without the LLM; runs beside generation, not in its queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from web.answering import check_question
from web.auth import CallerDep, ServicesDep
from web.schemas import SearchResponse, SearchResult

router = APIRouter(prefix="/v1", tags=["search"])


@router.get("/search", response_model=SearchResponse)
def search(
    caller: CallerDep,
    services: ServicesDep,
    q: Annotated[str, Query(description="Truy vấn tiếng Việt.")] = "",
    k: Annotated[int | None, Query(ge=1, le=50, description="Mặc định: retrieval.k.")] = None,
) -> SearchResponse:
    """An empty query (or one of invisible characters only) is 422 `empty_question`, as for /v1/ask."""
    query = check_question(q, services.settings.server.max_question_chars, "Truy vấn")
    hits = services.library.get().search(query, k)
    return SearchResponse(query=query, results=[SearchResult.of(hit) for hit in hits])
