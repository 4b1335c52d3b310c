"""Liveness and readiness probes (no auth). On the default single-machine store both run on the event loop
itself: they never wait for a server thread, a lock or the database, so they answer while uploads, deletes
and answers keep everything else busy. With a shared PostgreSQL, readiness asks the database (a replica that
lost it must say so): that round trip runs on a server thread, never on the event loop."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from web.auth import ServicesDep
from web.schemas import Health
from web.services import Services

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(services: ServicesDep) -> JSONResponse:
    """200 once warm-up has read the index and loaded the model; 503 with the reason (`detail`) while it
    runs or when it failed (a failed warm-up is tried again, in the background, at most every
    `retry_warm_up_s`). `documents` is the number of indexed documents (0: ready, but empty); `llm` names the
    generation backend this replica sends questions to (llamacpp in-process, or the Ollama/vLLM server)."""
    services.retry_failed_warm_up()
    if services.db.shared:
        checks, detail, documents = await run_in_threadpool(_probe, services)
    else:
        checks, detail, documents = _probe(services)
    ready = all(checks.values())
    body = Health(status="ok" if ready else "not_ready", checks=checks, detail=detail)
    payload = {**body.model_dump(), "documents": documents, "llm": services.llm_backend()}
    return JSONResponse(payload, status_code=200 if ready else 503)


def _probe(services: Services) -> tuple[dict[str, bool], str, int | None]:
    checks = services.readiness()
    documents = services.documents_count()  # the live manifest's count: no lock, no generation loaded
    return checks, services.readiness_detail(documents, checks), documents
