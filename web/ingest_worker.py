"""The ingest worker: one thread of its own runs the queued jobs (web/jobs.py) one at a time, in order.

A job runs in two steps. First, without any lock, its staged files are loaded, chunked and embedded
(`Library.prepare`), one batch at a time: between batches the worker pauses while an answer is being
generated (`jobs.yield_to_answers`), and stops at once when the job is cancelled or the server shuts down;
nothing has changed yet, so the previous generation stays live. Then, under the write lock, the files are
linked onto their names and merged into the live generation (`Library.ingest(ahead=...)`), which is written
and published; a file that failed leaves the previous version, on disk and in the index, as it was.

Several processes may share one database (replicas on PostgreSQL, or `troly` commands beside the server on
SQLite): a job is run only by the holder of the "ingest-worker" lease (the state store, web/store.py),
renewed by a heartbeat thread while the process lives, so with several replicas one worker at a time holds
the queue; when it stops (or dies, and its lease lapses) another replica's worker takes it. Staged files are
in the uploads folder, which replicas share, so whichever worker holds the lease can read them. A new holder first settles what
an interrupted job left (`_recover`): files installed but never indexed are removed, backups put back, and the
job queued again, keeping its place; its staged files are deleted when it ends, however it ends.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from index.ingestion import IngestProgress
from troly.records import IngestOutcome
from troly.settings import Settings
from web.jobs import FILE_DONE, JobRecord, summary
from web.store import JobStore, WriteLock
from web.uploads import (
    Installed,
    install,
    job_folder,
    recover_uploads,
    remove_job_folder,
    remove_orphan_job_folders,
    sha256_of,
)

log = logging.getLogger(__name__)

LEASE = "ingest-worker"
_PERSIST_EVERY_S = 1.0
_CANCEL_POLL_S = 1.0


class PreparedLike(Protocol):
    @property
    def failed(self) -> Mapping[str, str]: ...


class ReportLike(Protocol):
    @property
    def outcomes(self) -> Sequence[IngestOutcome]: ...


class JobLibrary(Protocol):
    """The part of `index.library.Library` a job uses."""

    def prepare(
        self, files: Sequence[tuple[Path, Path]], progress: Any = None, checkpoint: Any = None
    ) -> PreparedLike: ...

    def ingest(
        self,
        paths: Sequence[Path],
        prune: bool = False,
        progress: Any = None,
        *,
        ahead: Any = None,
        checkpoint: Any = None,
    ) -> ReportLike: ...

    def document(self, doc_id: str) -> Any: ...


class _Stopping(Exception):
    """The server is shutting down: the job goes back to the queue, to run after the restart."""


class _LeaseLost(Exception):
    """Another process holds the queue now; it will settle this job."""


class _Cancelled(Exception):
    pass


class IngestWorker:
    def __init__(
        self,
        settings: Settings,
        db: JobStore,
        library: Callable[[], JobLibrary],
        write_lock: WriteLock,
        answering: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings = settings
        self.db = db
        self.library = library
        self.write_lock = write_lock
        self.answering = answering
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.current: str | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._holding = False
        self._renewed = float("-inf")
        self._recovered = False
        self._cancelled: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    @property
    def uploads_dir(self) -> Path:
        return self.settings.uploads_dir

    @property
    def holds_lease(self) -> bool:
        return self._holding

    @property
    def stopping(self) -> threading.Event:
        """Set once `stop` was called."""
        return self._stop

    def start(self) -> None:
        """Start the worker and its heartbeat (once; later calls do nothing)."""
        with self._start_lock:
            if self._threads or self._stop.is_set():
                return
            self._threads = [
                threading.Thread(target=self._loop, name="troly-ingest", daemon=True),
                threading.Thread(target=self._heartbeat, name="troly-ingest-lease", daemon=True),
            ]
            for thread in self._threads:
                thread.start()

    def notify(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def cancel(self, job_id: str) -> None:
        """Stop `job_id` at its next checkpoint if this worker runs it (the database flag reaches any)."""
        self._cancelled.add(job_id)

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop after the current batch (a running job goes back to the queue) and give up the lease;
        False when the worker did not end within the timeout (the process may exit anyway: the next
        worker settles the job)."""
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        ended = not any(t.is_alive() for t in self._threads)
        if ended and self._holding:
            self._holding = False
            try:
                self.db.release_lease(LEASE, self.holder)
            except Exception as exc:  # the database may be gone at shutdown; the lease then expires
                log.warning("ingest worker: lease not released: %s", exc)
        return ended

    def default_rate(self) -> float:
        """Embedding speed (chunks/s) for estimates: the last job's, or the configured first guess."""
        return self.db.last_job_rate() or self.settings.jobs.chunks_per_second

    # -- the loop ----------------------------------------------------------------------------------------

    def _loop(self) -> None:
        _lower_priority(self.settings.jobs.nice)
        backoff = self.settings.jobs.poll_s
        while not self._stop.is_set():
            try:
                if not self._hold_lease():
                    self._idle()
                    continue
                if not self._recovered:
                    self._recover()
                    self._recovered = True
                    backoff = self.settings.jobs.poll_s
                row = self.db.claim_job(self.holder)
                if row is None:
                    self._idle()
                    continue
                self._run(JobRecord.from_row(row))
                backoff = self.settings.jobs.poll_s
            except Exception:
                if self._stop.is_set():
                    return
                # A damaged index or an unwritable folder fails the same way each time: wait longer each time.
                log.exception("ingest worker: unexpected error; trying again in %.0f s", backoff)
                self._stop.wait(backoff)
                backoff = min(60.0, backoff * 2)

    def _idle(self) -> None:
        self._wake.wait(self.settings.jobs.poll_s)
        self._wake.clear()

    def _hold_lease(self) -> bool:
        if self._holding and not self._lost.is_set():
            return True
        self._holding = self.db.hold_lease(LEASE, self.holder, self.settings.jobs.lease_s)
        if self._holding:
            self._renewed = time.monotonic()
            self._lost.clear()
            self._recovered = False  # whoever held it before may have died mid-job
        return self._holding

    def _heartbeat(self) -> None:
        """Renew the lease while this process lives, also while a job writes (no checkpoints then). A lease
        that could not be renewed for `jobs.lease_s` (the database unreachable) counts as lost: another
        process may hold it by now, and will settle the job this one was running."""
        while not self._stop.wait(self.settings.jobs.lease_s / 3):
            if not self._holding:
                continue
            try:
                if not self.db.hold_lease(LEASE, self.holder, self.settings.jobs.lease_s):
                    log.warning("ingest worker: lease lost to another process")
                    self._holding = False
                    self._lost.set()
                else:
                    self._renewed = time.monotonic()
            except Exception as exc:
                log.warning("ingest worker: lease not renewed: %s", exc)
                if time.monotonic() - self._renewed >= self.settings.jobs.lease_s:
                    self._holding = False
                    self._lost.set()

    # -- one job -----------------------------------------------------------------------------------------

    def _run(self, job: JobRecord) -> None:
        run = _Run(self, job)
        self.current = job.id
        try:
            files = [f for f in job.files if f.staged is not None and f.status not in FILE_DONE]
            folder = job_folder(self.uploads_dir, job.id)
            missing = [f.source for f in files if not (folder / str(f.staged)).is_file()]
            if missing:
                raise FileNotFoundError(f"Không còn tệp đã nhận của việc này: {', '.join(missing)}.")
            pairs = [(folder / str(f.staged), self.uploads_dir / f.source) for f in files]
            library = self.library()
            prepared = library.prepare(pairs, progress=run.progress, checkpoint=run.checkpoint)
            run.failed(prepared.failed)
            kept = [pair for f, pair in zip(files, pairs, strict=True) if f.source not in prepared.failed]
            if kept:
                run.finish("completed", self._write(run, library, kept, prepared))
            else:
                run.finish("completed", {})
        except _Stopping:
            run.requeue()
            return
        except _LeaseLost:
            log.warning("ingest worker: job %s left to the new holder of the queue", job.id)
            return
        except _Cancelled:
            run.finish("cancelled", {})
        except Exception as exc:
            log.exception("ingest job %s failed", job.id)
            run.finish("failed", {}, error=_message(exc))
        finally:
            self.current = None
            self._cancelled.discard(job.id)
        remove_job_folder(self.uploads_dir, job.id)
        run.audit()

    def _write(
        self, run: _Run, library: JobLibrary, pairs: list[tuple[Path, Path]], prepared: PreparedLike
    ) -> dict[str, IngestOutcome]:
        """Under the write lock: link the staged files onto their names, merge them into the live generation,
        then keep each new file the ingest took and put back the previous one of each it did not."""
        while not self.write_lock.acquire(timeout=0.2):
            run.check()
        try:
            run.writing()
            installed: list[Installed] = []
            try:
                for staged, target in pairs:
                    installed.append(install(staged, self.uploads_dir, target.name))
                targets = [item.target for item in installed]
                report = library.ingest(targets, progress=run.progress, ahead=prepared, checkpoint=run.check)
            except BaseException:
                _rollback(installed)
                raise
            outcomes = {o.source: o for o in report.outcomes}
            for item in installed:
                outcome = outcomes.get(item.target.name)
                if outcome is None or outcome.status == "failed":
                    _rollback([item])
                else:
                    item.commit()
            return outcomes
        finally:
            self.write_lock.release()

    # -- recovery ----------------------------------------------------------------------------------------

    def _recover(self) -> None:
        """Settle what an interrupted job (or an older server's upload) left, then requeue or end the job."""
        library = self.library()

        def indexed(name: str) -> str | None:
            document = library.document(name)
            return None if document is None else str(document.content_hash)

        with self.write_lock:
            # Files are installed only under the write lock (shared by replicas on PostgreSQL), so every
            # partial file found now is a leftover, whenever it was written and by whichever replica.
            recover_uploads(self.uploads_dir, indexed, staged_before=time.time())
            for row in self.db.list_jobs(["running"]):
                job = JobRecord.from_row(row)
                self._settle(job, indexed)
                run = _Run(self, job, owned=False)
                if job.cancel_requested:
                    run.finish("cancelled", {})
                elif job.attempts >= self.settings.jobs.max_attempts:
                    error = f"Việc nạp bị gián đoạn {job.attempts} lần (máy chủ dừng giữa chừng); đã bỏ."
                    run.finish("failed", {}, error=error)
                else:
                    log.warning("ingest job %s was interrupted; it runs again", job.id)
                    run.requeue()
                    continue
                remove_job_folder(self.uploads_dir, job.id)
                run.audit()
            live = {row["id"] for row in self.db.list_jobs(["queued", "running"], limit=100_000)}
            remove_orphan_job_folders(self.uploads_dir, live)

    def _settle(self, job: JobRecord, indexed: Callable[[str], str | None]) -> None:
        """Remove the files this job installed whose version never made it into the index."""
        for file in job.files:
            target = self.uploads_dir / file.source
            if file.staged is None or not file.sha256 or not target.is_file():
                continue
            if sha256_of(target) == file.sha256 and indexed(file.source) != file.sha256:
                target.unlink()
                log.warning("upload recovery: %s was never indexed, removed", file.source)


class _Run:
    """A running job's progress: per-file state in memory, written to the database at most every second
    (and at each file's change of state), and the checkpoint the library calls between batches."""

    def __init__(self, worker: IngestWorker, job: JobRecord, *, owned: bool = True) -> None:
        self.worker = worker
        self.job = job
        self.owner = worker.holder if owned else None
        self.by_source = {f.source: f for f in job.files}
        self._persisted = 0.0
        self._cancel_polled = time.monotonic()
        self._resumed = time.monotonic()
        self._writing = False
        self._embedded = 0
        self._embed_s = 0.0

    def check(self) -> None:
        worker = self.worker
        if worker._stop.is_set():
            raise _Stopping
        if worker._lost.is_set():
            raise _LeaseLost
        if self.job.id in worker._cancelled:
            raise _Cancelled
        if time.monotonic() - self._cancel_polled >= _CANCEL_POLL_S:
            self._cancel_polled = time.monotonic()
            row = worker.db.get_job(self.job.id)
            if row is not None and row["cancel_requested"]:
                raise _Cancelled

    def checkpoint(self) -> None:
        """Between batches: stop if asked, and wait while an answer is being generated."""
        self.check()
        if self.worker.settings.jobs.yield_to_answers and self.worker.answering():
            while self.worker.answering():
                self.worker._stop.wait(0.05)
                self.check()
        self._resumed = time.monotonic()

    def progress(self, event: IngestProgress) -> None:
        file = self.by_source.get(event.source)
        if event.phase == "write":
            self.writing()
            return
        if file is None or self._writing:
            return  # the plan's own scan under the lock, or embedding of texts another writer added
        if event.phase == "scan":
            self._set(file, "loading")
        elif event.phase == "embed":
            if file.status == "embedding" and event.done > file.chunks_done:
                self._embedded += event.done - file.chunks_done
                self._embed_s += time.monotonic() - self._resumed
                self.job.rate = round(self._embedded / self._embed_s, 3) if self._embed_s > 0 else None
            file.chunks_total, file.chunks_done = event.total, event.done
            self._set(file, "embedding")

    def writing(self) -> None:
        if self._writing:
            return
        self._writing = True
        for file in self.job.files:
            if file.status not in FILE_DONE:
                file.status = "writing"
        self._persist(force=True)

    def failed(self, reasons: Mapping[str, str]) -> None:
        for source, reason in reasons.items():
            file = self.by_source[source]
            file.status, file.reason = "failed", reason
        if reasons:
            self._persist(force=True)

    def _set(self, file: Any, status: str) -> None:
        changed = file.status != status
        file.status = status
        self._persist(force=changed)

    def _persist(self, *, force: bool = False, **fields: Any) -> None:
        now = time.monotonic()
        if not force and not fields and now - self._persisted < _PERSIST_EVERY_S:
            return
        self._persisted = now
        saved = self.worker.db.update_job(
            self.job.id, running_as=self.owner, files=self.job.files_json(), rate=self.job.rate, **fields
        )
        if not saved:
            raise _LeaseLost

    def finish(self, state: str, outcomes: Mapping[str, IngestOutcome], error: str | None = None) -> None:
        for file in self.job.files:
            outcome = outcomes.get(file.source)
            if outcome is not None:
                file.status, file.reason = outcome.status, outcome.reason  # type: ignore[assignment]
                if outcome.status != "failed":
                    file.chunks_total = file.chunks_total or outcome.chunks
                    file.chunks_done = file.chunks_total
            elif file.status not in FILE_DONE:
                file.status = "cancelled" if state == "cancelled" else "failed"
                if state == "completed":
                    file.reason = "Không nhận được kết quả nạp cho tệp này."
                elif state == "failed":
                    file.reason = error
        self.job.state, self.job.error = state, error  # type: ignore[assignment]
        finished = datetime.now(UTC).isoformat(timespec="seconds")
        self._persist(force=True, state=state, error=error, finished_at=finished)

    def audit(self) -> None:
        self.worker.db.audit(self.job.key_id, "ingest", summary(self.job))

    def requeue(self) -> None:
        for file in self.job.files:
            if file.status not in FILE_DONE:
                file.status, file.chunks_done = "queued", 0
        self._persist(force=True, state="queued", worker=None)


def _lower_priority(by: int) -> None:
    """Raise the nice value of the calling thread only (Linux schedules threads; elsewhere this would renice
    the whole process, so it is skipped). Embedding with one OpenMP thread runs in this thread."""
    if by <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + by))
    except (OSError, AttributeError) as exc:
        log.warning("ingest worker: priority not lowered: %s", exc)


def _rollback(installed: list[Installed]) -> None:
    for item in reversed(installed):
        try:
            item.rollback()
        except OSError as exc:  # keep going: the others can still be put back
            log.error("could not restore %s after a failed upload: %s", item.target, exc)


def _message(exc: Exception) -> str:
    message = getattr(exc, "message", None)
    return str(message) if isinstance(message, str) and message else str(exc) or type(exc).__name__
