"""Ingest jobs: an upload through the API is recorded as a job in the database and answered at once (202);
a worker of its own (`web.ingest_worker`) runs the jobs one at a time, in order.

A job's row holds its state and, as JSON, one record per file: what was sent, where it is staged, its
progress and its result. Rows outlive the process: a job interrupted by a crash is found `running` by the
next worker, which settles the uploads folder and runs it again (or gives up after `jobs.max_attempts`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from web.schemas import JobFile, JobOut, JobState

TERMINAL: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
FILE_DONE: frozenset[str] = frozenset({"added", "updated", "skipped", "failed", "cancelled"})


class JobFileRecord(JobFile):
    """A file of a job as stored: the API's view plus where its bytes are staged and their hash."""

    staged: str | None = Field(default=None, description="Name in the job folder; None when refused.")
    sha256: str = ""

    def public(self) -> JobFile:
        return JobFile.model_validate(self.model_dump(exclude={"staged", "sha256"}))


class JobRecord(BaseModel):
    id: str
    key_id: int | None = None
    state: JobState
    files: list[JobFileRecord]
    estimate_s: float = 0.0
    rate: float | None = None
    error: str | None = None
    cancel_requested: bool = False
    attempts: int = 0
    worker: str | None = None
    created_at: str
    started_at: str | None = None
    updated_at: str | None = None
    finished_at: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JobRecord:
        return cls.model_validate({**row, "files": json.loads(row["files"])})

    def files_json(self) -> str:
        return json.dumps([f.model_dump() for f in self.files], ensure_ascii=False)

    @property
    def chunks_total(self) -> int:
        return sum(f.chunks_total for f in self.files)

    @property
    def chunks_done(self) -> int:
        return sum(f.chunks_done for f in self.files)

    def chunks_left(self) -> int:
        return sum(max(0, f.chunks_total - f.chunks_done) for f in self.files if f.status not in FILE_DONE)

    def seconds_left(self, default_rate: float) -> float:
        """Embedding time left at the job's measured speed (or `default_rate` chunks/s before it has one)."""
        return self.chunks_left() / (self.rate or default_rate)


def job_view(job: JobRecord, ahead: Sequence[JobRecord], default_rate: float) -> JobOut:
    """The API's view of a job; `ahead` are the unfinished jobs before it in the queue."""
    eta: float | None = None
    if job.state not in TERMINAL:
        eta = round(job.seconds_left(default_rate) + sum(j.seconds_left(default_rate) for j in ahead), 1)
    return JobOut(
        id=job.id,
        state=job.state,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        position=len(ahead) if job.state == "queued" else None,
        cancel_requested=job.cancel_requested,
        chunks_total=job.chunks_total,
        chunks_done=job.chunks_done,
        eta_s=eta,
        error=job.error,
        files=[f.public() for f in job.files],
    )


def summary(job: JobRecord) -> str:
    """One line for the audit log: the job, its state and each file's result (never file contents)."""
    files = ", ".join(f"{f.source}:{f.status}" for f in job.files)
    return f"job {job.id} {job.state}: {files}" + (f" ({job.error})" if job.error else "")
