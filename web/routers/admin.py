"""The admin console: its page (/admin), sign-in, keys, the audit log and the health figures.

The console's routes live under /admin/api and take the session cookie (web/console_auth.py), never a
bearer key; what they do is what the API does, through the same services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from troly.errors import TrolyError
from web.admin_schemas import (
    ISO_DAY,
    AuditList,
    CreatedKey,
    HealthOut,
    KeyIn,
    KeyList,
    KeyOut,
    SessionOut,
    SignIn,
)
from web.auth import ServicesDep
from web.console_auth import ConsoleAdminDep, SessionDep, sign_in, sign_out
from web.console_records import AuditQuery
from web.db import ApiKey
from web.errors import ApiError, not_found
from web.services import Services

PAGE = Path(__file__).resolve().parents[1] / "static" / "admin" / "index.html"
HEALTH_DAYS = 14
# Only the console's own files run: a text that did turn into markup still could not load or run a script.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; object-src 'none';"
    " base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
}

router = APIRouter(prefix="/admin", tags=["admin"], include_in_schema=False)
Day = Annotated[str | None, Query(pattern=ISO_DAY.pattern, description="YYYY-MM-DD")]


@router.get("")
@router.get("/")
def page() -> FileResponse:
    # The page holds no data: everything it shows comes from /admin/api after sign-in.
    return FileResponse(PAGE, headers=PAGE_HEADERS)


@router.post("/api/session", response_model=SessionOut)
def open_session(body: SignIn, request: Request, response: Response, services: ServicesDep) -> SessionOut:
    session = sign_in(request, response, services, body.key)
    return SessionOut(
        name=session.key_name, key_id=session.key_id, csrf=session.csrf, expires_at=session.expires_at
    )


@router.get("/api/session", response_model=SessionOut)
def read_session(session: SessionDep) -> SessionOut:
    return SessionOut(
        name=session.key_name, key_id=session.key_id, csrf=session.csrf, expires_at=session.expires_at
    )


@router.delete("/api/session", status_code=204)
def close_session(
    session: SessionDep, request: Request, response: Response, services: ServicesDep
) -> Response:
    sign_out(request, response, services)
    services.db.audit(session.key_id, "signout", session.key_name)
    response.status_code = 204
    return response


# Keys


def _key_out(key: ApiKey, last_used: dict[int, str]) -> KeyOut:
    return KeyOut(**key.model_dump(), last_used_at=last_used.get(key.id))


@router.get("/api/keys", response_model=KeyList)
def list_keys(admin: ConsoleAdminDep, services: ServicesDep) -> KeyList:
    last_used = services.console.last_used()
    return KeyList(keys=[_key_out(key, last_used) for key in reversed(services.db.list_keys())])


@router.post("/api/keys", response_model=CreatedKey, status_code=201)
def create_key(body: KeyIn, admin: ConsoleAdminDep, services: ServicesDep) -> CreatedKey:
    try:
        key, token = services.db.create_key(body.name, admin=body.admin)
    except TrolyError as exc:
        raise ApiError(422, exc.code, exc.message) from exc
    role = "admin" if key.admin else "user"
    services.db.audit(admin.key_id, "key_create", f"#{key.id} {role}")
    return CreatedKey(**_key_out(key, {}).model_dump(), token=token)


@router.delete("/api/keys/{key_id}", response_model=KeyOut)
def revoke_key(key_id: int, admin: ConsoleAdminDep, services: ServicesDep) -> KeyOut:
    if not services.db.revoke_key(key_id):
        raise not_found("key_not_found", f"Không có khóa đang hoạt động với mã #{key_id}.")
    services.db.audit(admin.key_id, "key_revoke", f"#{key_id}")
    key = next(k for k in services.db.list_keys() if k.id == key_id)
    return _key_out(key, services.console.last_used())


# Audit log


@router.get("/api/audit", response_model=AuditList)
def audit_log(
    admin: ConsoleAdminDep,
    services: ServicesDep,
    action: Annotated[str | None, Query(max_length=40)] = None,
    key_id: int | None = None,
    since: Day = None,
    until: Day = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> AuditList:
    query = AuditQuery(action=action or None, key_id=key_id, since=since, until=until, limit=limit)
    entries = services.console.audit_entries(query)
    return AuditList(entries=entries)


# Health


@router.get("/api/health", response_model=HealthOut)
async def health(admin: ConsoleAdminDep, services: ServicesDep) -> HealthOut:
    return await run_in_threadpool(_health, services)


def _health(services: Services) -> HealthOut:
    settings = services.settings
    llm = settings.llm
    model_name = settings.ollama.chat_model if llm.backend == "ollama" else str(llm.model_path or llm.model)
    embedding = settings.embedding
    embed_name = embedding.model or (settings.ollama.embed_model if embedding.backend == "ollama" else "")
    checks = services.readiness()
    library = services.library.get()
    jobs = services.db.list_jobs(["queued", "running"], limit=100_000)
    return HealthOut(
        model={"backend": llm.backend, "name": model_name, "ready": checks["model"]},
        embedder={"backend": embedding.backend, "name": embed_name or embedding.backend},
        index={
            "ready": checks["index"],
            "documents": library.document_count(),
            "chunks": len(library.chunks()),
            "generation": library.generation,
            "bytes": _folder_bytes(settings.index_dir),
        },
        queue={
            "answers_waiting": services.queue.pending,
            "jobs_queued": sum(1 for job in jobs if job["state"] == "queued"),
            "jobs_running": sum(1 for job in jobs if job["state"] == "running"),
        },
        answers_per_day=services.console.daily_answers(HEALTH_DAYS),
        feedback_per_day=services.console.daily_feedback(HEALTH_DAYS),
    )


def _folder_bytes(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
