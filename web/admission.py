"""An upload becomes an ingest job: its files are checked and their chunks counted before anything is
stored, so an upload too big for the queue is refused with the limit and the figure; the accepted files are
staged in the job's folder, the job is recorded, and the worker is woken. Nothing here embeds or writes the
index, so the request is answered in about the time it takes to read and chunk the files.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from troly.errors import TrolyError
from web.auth import Principal
from web.errors import ApiError, too_many_files
from web.jobs import JobFileRecord, JobRecord, summary
from web.schemas import JobState
from web.services import Services
from web.uploads import remove_job_folder, safe_filename, stage_job_files


def _n(value: float) -> str:
    """A count written the Vietnamese way: 17.537."""
    return f"{value:,.0f}".replace(",", ".")


@dataclass
class _Counted:
    record: JobFileRecord
    raw: bytes


def _count(services: Services, uploads: Sequence[tuple[UploadFile, str, bytes]]) -> list[_Counted]:
    """Each file's chunks as the ingest would make them; a file that cannot be ingested is recorded failed
    now, with its reason, and will not be staged."""
    library = services.library.get()
    counted = []
    for index, (upload, name, raw) in enumerate(uploads):
        record = JobFileRecord(
            filename=upload.filename or name,
            source=name,
            status="queued",
            bytes=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
        )
        try:
            record.chunks_total = library.chunk_count(raw, name)
            record.staged = f"{index:05d}"
        except TrolyError as exc:
            record.status, record.reason = "failed", exc.message
        counted.append(_Counted(record, raw))
    return counted


async def admit_upload(services: Services, principal: Principal, uploads: Sequence[UploadFile]) -> JobRecord:
    """Check, count, stage and record an upload as a job; raises ApiError (nothing stored) when refused."""
    settings = services.settings
    if not uploads:
        raise ApiError(422, "no_files", "Chưa có tệp nào được gửi lên.")
    limit = settings.server.max_upload_files
    if len(uploads) > limit:
        raise too_many_files(limit)
    names = [safe_filename(upload.filename) for upload in uploads]
    duplicates = sorted(name for name, n in Counter(names).items() if n > 1)
    if duplicates:
        raise ApiError(
            422,
            "duplicate_filename",
            f"Có nhiều tệp cùng tên trong một lần tải lên: {', '.join(duplicates)}.",
        )
    max_bytes = settings.server.max_upload_mb << 20
    for upload, name in zip(uploads, names, strict=True):
        if (upload.size or 0) > max_bytes:
            raise ApiError(413, "file_too_large", f"Tệp {name} quá lớn (tối đa {max_bytes >> 20} MB).")
    async with services.admitting():
        await run_in_threadpool(_check_queue, services)
        read = [(upload, name, await upload.read()) for upload, name in zip(uploads, names, strict=True)]
        counted = await run_in_threadpool(_count, services, read)
        rate = await run_in_threadpool(services.worker.default_rate)
        _check_cost(services, sum(c.record.chunks_total for c in counted), rate)
        return await run_in_threadpool(_record, services, principal, counted, rate)


def _check_queue(services: Services) -> None:
    waiting = services.db.list_jobs(["queued", "running"], limit=100_000)
    if sum(1 for row in waiting if row["state"] == "queued") < services.settings.jobs.max_queued:
        return
    rate = services.worker.default_rate()
    seconds = sum(JobRecord.from_row(row).seconds_left(rate) for row in waiting)
    retry = max(10, math.ceil(seconds))
    raise ApiError(
        503,
        "job_queue_full",
        f"Đã có {services.settings.jobs.max_queued} lần tải lên đang chờ nạp (jobs.max_queued). "
        f"Vui lòng thử lại sau khoảng {_n(retry)} giây.",
        headers={"Retry-After": str(retry)},
    )


def _check_cost(services: Services, chunks: int, rate: float) -> None:
    jobs = services.settings.jobs
    hint = "Hãy chia nhỏ tệp, hoặc nạp trên máy chủ bằng lệnh troly ingest."
    if chunks > jobs.max_chunks:
        raise ApiError(
            413,
            "job_too_large",
            f"Lần tải lên này tạo {_n(chunks)} đoạn văn bản, vượt giới hạn {_n(jobs.max_chunks)} đoạn mỗi lần "
            f"(TROLY_JOBS__MAX_CHUNKS). {hint}",
        )
    minutes = chunks / rate / 60
    if minutes > jobs.max_minutes:
        speed = f"{rate:.2f}".replace(".", ",")
        raise ApiError(
            413,
            "job_too_long",
            f"Ước tính cần khoảng {_n(math.ceil(minutes))} phút để tạo vector cho {_n(chunks)} đoạn văn bản "
            f"(khoảng {speed} đoạn mỗi giây), vượt giới hạn {_n(jobs.max_minutes)} phút mỗi lần "
            f"(TROLY_JOBS__MAX_MINUTES). {hint}",
        )


def _record(services: Services, principal: Principal, counted: list[_Counted], rate: float) -> JobRecord:
    job_id = uuid.uuid4().hex
    accepted = [c for c in counted if c.record.staged is not None]
    files = [c.record for c in counted]
    state: JobState = "queued" if accepted else "completed"  # nothing to ingest: every file was refused
    job = JobRecord(
        id=job_id,
        key_id=principal.key_id,
        state=state,
        files=files,
        estimate_s=round(sum(f.chunks_total for f in files) / rate, 1),
        created_at="",
    )
    if accepted:
        stage_job_files(services.uploads_dir, job_id, [(str(c.record.staged), c.raw) for c in accepted])
    try:
        services.db.insert_job(job_id, principal.key_id, state, job.files_json(), job.estimate_s)
    except BaseException:
        remove_job_folder(services.uploads_dir, job_id)
        raise
    services.db.audit(principal.key_id, "upload", summary(job))
    services.worker.start()  # started with the server; here too for an app served without its lifespan
    services.worker.notify()
    row = services.db.get_job(job_id)
    assert row is not None
    return JobRecord.from_row(row)
