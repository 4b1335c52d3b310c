"""Ingest jobs (admin): GET /v1/jobs, GET /v1/jobs/{id} (state, per-file progress, time left, results),
DELETE /v1/jobs/{id} (cancel: the previous generation stays live)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from web.auth import AdminDep, ServicesDep
from web.errors import ApiError, not_found
from web.jobs import FILE_DONE, TERMINAL, JobRecord, job_view
from web.schemas import JobList, JobOut
from web.services import Services
from web.uploads import remove_job_folder

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


def view_of(services: Services, job: JobRecord, queue: list[JobRecord] | None = None) -> JobOut:
    """The job as the API shows it, with its place in the queue and the time left including the jobs ahead
    (`queue`: the unfinished jobs in order, read here when not given)."""
    if queue is None:
        queue = _queue(services) if job.state == "queued" else []
    ahead = []
    if job.state == "queued":
        ahead = [j for j in queue if j.state == "running"]
        for waiting in queue:
            if waiting.id == job.id:
                break
            if waiting.state == "queued":
                ahead.append(waiting)
    return job_view(job, ahead, services.worker.default_rate())


def _queue(services: Services) -> list[JobRecord]:
    return [JobRecord.from_row(row) for row in services.db.list_jobs(["running", "queued"], limit=100_000)]


def _load(services: Services, job_id: str) -> JobRecord:
    row = services.db.get_job(job_id)
    if row is None:
        raise not_found("job_not_found", f"Không tìm thấy việc nạp {job_id}.")
    return JobRecord.from_row(row)


@router.get("", response_model=JobList)
def list_jobs(admin: AdminDep, services: ServicesDep) -> JobList:
    """The 50 most recent jobs, newest first."""
    rows = services.db.list_jobs(limit=50)
    queue = _queue(services)
    return JobList(jobs=[view_of(services, JobRecord.from_row(row), queue) for row in rows])


_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "job_not_found"}}


@router.get("/{job_id}", response_model=JobOut, responses=_NOT_FOUND)
def get_job(job_id: str, admin: AdminDep, services: ServicesDep) -> JobOut:
    return view_of(services, _load(services, job_id))


@router.delete(
    "/{job_id}", status_code=202, response_model=JobOut, responses={409: {"description": "job_finished"}}
)
async def cancel_job(job_id: str, admin: AdminDep, services: ServicesDep) -> JSONResponse:
    """A queued job is cancelled at once; a running one stops at its next batch (`cancel_requested`, then
    `cancelled`), before anything of it is indexed. A job already writing its generation completes."""
    view = await run_in_threadpool(_cancel, services, admin.key_id, job_id)
    return JSONResponse(view.model_dump(), status_code=202)


def _cancel(services: Services, key_id: int | None, job_id: str) -> JobOut:
    job = _load(services, job_id)
    if job.state in TERMINAL:
        raise ApiError(409, "job_finished", f"Việc nạp {job_id} đã kết thúc ({job.state}), không thể hủy.")
    state = services.db.cancel_job(job_id)
    if state == "cancelled":  # it was waiting: nothing of it ran
        cancelled = _load(services, job_id)
        for file in cancelled.files:
            if file.status not in FILE_DONE:
                file.status = "cancelled"
        services.db.update_job(job_id, files=cancelled.files_json())
        remove_job_folder(services.uploads_dir, job_id)
    elif state == "running":
        services.worker.cancel(job_id)
    services.db.audit(key_id, "cancel", f"job {job_id}")
    return view_of(services, _load(services, job_id))
