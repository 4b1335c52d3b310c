"""Uploaded files: safe names and storage under `<home>/uploads`, where the library ingests them from.

An upload becomes an ingest job (web/jobs.py). Its files are first *staged* in the job's hidden folder
`uploads/.jobs/<job id>/` (`stage_job_files`), where they stay until the job ends, so a job interrupted by a
crash can run again. When the job writes, under the services' write lock, `install` links each staged file
onto its name (keeping the previous file as a hidden backup) and the library ingests; `Installed.commit` drops
the backup when the ingest took the new version, `Installed.rollback` puts the previous file back (or removes
the new one when there was none), so the file behind an indexed version is never lost to a failed re-upload.
A crash between those steps is settled by `recover_uploads` and the job worker's recovery.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import time
import unicodedata
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from web.errors import ApiError

# File systems limit a name to 255 bytes. A stored name leaves room for the hidden backup name made of it
# (".backup-" + 12 hex digits + "-": 21 bytes), with a margin.
MAX_NAME_BYTES = 200
_MAX_EXTENSION_CHARS = 10
_CHUNK_BYTES = 1 << 20
_FORBIDDEN = set('<>:"|?*')
# Hidden names (safe_filename strips leading dots, so a stored upload can never be called this).
STAGING_PREFIX = ".partial-"
BACKUP_PREFIX = ".backup-"
JOBS_FOLDER = ".jobs"
_BACKUP_NAME = re.compile(re.escape(BACKUP_PREFIX) + r"[0-9a-f]{12}-(?P<name>.+)")
# A job folder without a job row is left alone this long: its upload may be being staged right now.
_ORPHAN_GRACE_S = 60.0

log = logging.getLogger(__name__)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` within `max_bytes` of UTF-8 (never half a character)."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def safe_filename(name: str | None) -> str:
    """The name an upload is stored and cited under: its last path component, no leading dots, no control
    or shell-hostile characters, at most `MAX_NAME_BYTES` of UTF-8 (a longer stem is cut, the extension
    kept); Vietnamese letters are kept (NFC)."""
    base = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"\s+", " ", base)
    base = "".join(ch for ch in base if ch not in _FORBIDDEN and not unicodedata.category(ch).startswith("C"))
    base = base.strip().lstrip(".").strip()
    if _utf8_len(base) > MAX_NAME_BYTES:
        stem, dot, ext = base.rpartition(".")
        if not dot or not stem or len(ext) > _MAX_EXTENSION_CHARS:
            stem, ext = base, ""
        suffix = "." + ext if ext else ""
        base = _cut(stem, MAX_NAME_BYTES - _utf8_len(suffix)).rstrip(" .") + suffix
    if not base:
        raise ApiError(422, "invalid_filename", f"Tên tệp không hợp lệ: {name!r}.")
    return base


def job_folder(uploads: Path, job_id: str) -> Path:
    return uploads / JOBS_FOLDER / job_id


def stage_job_files(uploads: Path, job_id: str, files: Sequence[tuple[str, bytes]]) -> Path:
    """Write (name in the folder, bytes) into the job's folder, fsynced; on any error nothing is left.
    Disk errors become a 507 that names the cause."""
    folder = job_folder(uploads, job_id)
    try:
        folder.mkdir(parents=True)
        for name, raw in files:
            with (folder / name).open("wb") as out:
                out.write(raw)
                out.flush()
                os.fsync(out.fileno())
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ApiError(
            507,
            "storage_error",
            f"Không lưu được tệp tải lên vào {uploads}: {exc.strerror or type(exc).__name__}.",
        ) from exc
    return folder


def remove_job_folder(uploads: Path, job_id: str) -> None:
    shutil.rmtree(job_folder(uploads, job_id), ignore_errors=True)


def remove_orphan_job_folders(uploads: Path, live_jobs: Collection[str]) -> list[str]:
    """Delete job folders of no queued or running job (a crash between staging and recording the job, or
    a job ended while its folder could not be removed), once older than a grace period."""
    root = uploads / JOBS_FOLDER
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for folder in root.iterdir():
        with contextlib.suppress(FileNotFoundError):
            if folder.name in live_jobs or folder.stat().st_mtime > time.time() - _ORPHAN_GRACE_S:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
            log.warning("upload recovery: deleted staged files of no job (%s)", folder.name)
    return removed


@dataclass(frozen=True)
class Installed:
    """A staged upload linked onto its name; `backup` holds the file it replaced, if any."""

    target: Path
    backup: Path | None

    def commit(self) -> None:
        """The new version is kept: drop the backup."""
        if self.backup is not None:
            with contextlib.suppress(FileNotFoundError):
                self.backup.unlink()

    def rollback(self) -> None:
        """Put back what was there before (os.replace keeps its mtime, so the index still sees it as the
        indexed version), or remove the new file when there was nothing."""
        if self.backup is not None:
            os.replace(self.backup, self.target)
        else:
            with contextlib.suppress(FileNotFoundError):
                self.target.unlink()


def install(staged: Path, folder: Path, name: str) -> Installed:
    """Put the staged file on `folder/<name>`, keeping a previous file there as a hidden backup. The staged
    file stays (a hard link, or a copy where links are not possible), so an interrupted job can run again.
    Call under the write lock."""
    target = folder / name
    partial = folder / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    try:
        os.link(staged, partial)
    except OSError:
        shutil.copy2(staged, partial)  # keeps the mtime, which the ingest compares with the prepared file
    backup: Path | None = None
    try:
        if target.exists():
            # The name says whose backup it is, so `recover_uploads` can settle it after a crash.
            backup = folder / f"{BACKUP_PREFIX}{uuid.uuid4().hex[:12]}-{name}"
            os.replace(target, backup)
        os.replace(partial, target)
    except BaseException:
        if backup is not None:
            os.replace(backup, target)
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return Installed(target, backup)


def recover_uploads(
    folder: Path, indexed_hash: Callable[[str], str | None], *, staged_before: float
) -> list[str]:
    """Settle what a crash in the middle of an upload left in `folder` (call under the write lock):
    partial files last written before `staged_before` (the server's start: later ones belong to uploads
    arriving now) are deleted, as they were never installed; a backup is deleted when the file on its name
    is the indexed version, and put back when it is itself the indexed version or the only copy. Otherwise
    both are kept and reported. `indexed_hash(name)` is the indexed document's sha256.
    Returns one line per action, for the log."""
    notes: list[str] = []
    if not folder.is_dir():
        return notes
    for path in sorted(folder.iterdir()):
        if path.name.startswith(STAGING_PREFIX):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < staged_before:
                    path.unlink()
                    notes.append(f"deleted unfinished upload {path.name}")
            continue
        match = _BACKUP_NAME.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        name = match["name"]
        target = folder / name
        indexed = indexed_hash(name)
        if target.is_file() and indexed is not None and sha256_of(target) == indexed:
            path.unlink()
            notes.append(f"{name}: new version is indexed, backup deleted")
        elif not target.exists() or (indexed is not None and sha256_of(path) == indexed):
            os.replace(path, target)
            notes.append(f"{name}: previous version put back")
        else:
            notes.append(f"{name}: kept both {name} and {path.name} (neither is the indexed version)")
    for note in notes:
        log.warning("upload recovery: %s", note)
    return notes


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
