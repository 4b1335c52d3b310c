"""Liveness and readiness probes (no auth)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from web.auth import ServicesDep
from web.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(services: ServicesDep) -> JSONResponse:
    checks = services.readiness()
    ready = all(checks.values())
    body = Health(
        status="ok" if ready else "not_ready", checks=checks, detail="" if ready else services.startup_error
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
