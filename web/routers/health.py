"""Liveness and readiness probes (no auth). Both run on the event loop itself: they never wait for a server
thread, a lock or the database, so they answer while uploads, deletes and answers keep everything else busy."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from web.auth import ServicesDep
from web.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(services: ServicesDep) -> JSONResponse:
    """200 once warm-up has read the index and loaded the model; 503 with the reason (`detail`) while it
    runs or when it failed (a failed warm-up is tried again, in the background, at most every
    `retry_warm_up_s`). `documents` is the number of indexed documents (0: ready, but empty)."""
    services.retry_failed_warm_up()
    checks = services.readiness()
    ready = all(checks.values())
    documents = services.documents_count()  # the live manifest's count: two small file reads, no lock
    body = Health(
        status="ok" if ready else "not_ready", checks=checks, detail=services.readiness_detail(documents)
    )
    payload = {**body.model_dump(), "documents": documents}
    return JSONResponse(payload, status_code=200 if ready else 503)
