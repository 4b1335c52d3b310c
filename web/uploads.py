"""Uploaded files: safe names and storage under `<home>/uploads`, where the library ingests them from.

An upload is first *staged* under a hidden temporary name in the uploads folder (`stage_upload`), so
nothing under a real name changes until every file of the request has arrived within its size limit.
Then, under the services' write lock, `install` moves each staged file onto its name (keeping the
previous file as a hidden backup) and the caller ingests; `Installed.commit` drops the backup when the
ingest took the new version, `Installed.rollback` puts the previous file back (or removes the new one
when there was none), so the file behind an indexed version is never lost to a failed re-upload.
A crash between those steps is settled by `recover_uploads` when the server warms up.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import UploadFile

from web.errors import ApiError

MAX_NAME_CHARS = 150
_CHUNK_BYTES = 1 << 20
_FORBIDDEN = set('<>:"|?*')
# Hidden names (safe_filename strips leading dots, so a stored upload can never be called this).
STAGING_PREFIX = ".partial-"
BACKUP_PREFIX = ".backup-"
_BACKUP_NAME = re.compile(re.escape(BACKUP_PREFIX) + r"[0-9a-f]{12}-(?P<name>.+)")

log = logging.getLogger(__name__)


def safe_filename(name: str | None) -> str:
    """The name an upload is stored and cited under: its last path component, no leading dots, no control
    or shell-hostile characters; Vietnamese letters are kept (NFC)."""
    base = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"\s+", " ", base)
    base = "".join(ch for ch in base if ch not in _FORBIDDEN and not unicodedata.category(ch).startswith("C"))
    base = base.strip().lstrip(".").strip()
    if len(base) > MAX_NAME_CHARS:
        _, dot, ext = base.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        base = base[: MAX_NAME_CHARS - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    if not base:
        raise ApiError(422, "invalid_filename", f"Tên tệp không hợp lệ: {name!r}.")
    return base


@dataclass(frozen=True)
class StagedUpload:
    """An upload written in full under a temporary name; `name` is where it will be stored."""

    filename: str  # as sent by the client
    name: str  # safe_filename(filename)
    path: Path  # the staging file, in the uploads folder (same file system: the move is atomic)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


async def stage_upload(upload: UploadFile, folder: Path, max_bytes: int) -> StagedUpload:
    """Write the upload to a hidden staging file in `folder`; 413 (and no file left) when it is too large."""
    name = safe_filename(upload.filename)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    size = 0
    try:
        with partial.open("wb") as out:
            while chunk := await upload.read(_CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise ApiError(
                        413,
                        "file_too_large",
                        f"Tệp {name} quá lớn (tối đa {max_bytes // (1 << 20)} MB).",
                    )
                out.write(chunk)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return StagedUpload(upload.filename or "", name, partial)


def discard_all(staged: list[StagedUpload]) -> None:
    for item in staged:
        item.discard()


@dataclass(frozen=True)
class Installed:
    """A staged upload moved onto its name; `backup` holds the file it replaced, if any."""

    staged: StagedUpload
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


def install(staged: StagedUpload, folder: Path) -> Installed:
    """Move a staged upload onto `folder/<name>`, keeping a previous file there as a hidden backup.
    Call under the write lock."""
    target = folder / staged.name
    backup: Path | None = None
    if target.exists():
        # The name says whose backup it is, so `recover_uploads` can settle it after a crash.
        backup = folder / f"{BACKUP_PREFIX}{uuid.uuid4().hex[:12]}-{staged.name}"
        os.replace(target, backup)
    try:
        os.replace(staged.path, target)
    except BaseException:
        if backup is not None:
            os.replace(backup, target)
        raise
    return Installed(staged, target, backup)


def recover_uploads(
    folder: Path, indexed_hash: Callable[[str], str | None], *, staged_before: float
) -> list[str]:
    """Settle what a crash in the middle of an upload left in `folder` (call under the write lock):
    staged files last written before `staged_before` (the server's start: later ones belong to uploads
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
        if target.is_file() and indexed is not None and _sha256(target) == indexed:
            path.unlink()
            notes.append(f"{name}: new version is indexed, backup deleted")
        elif not target.exists() or (indexed is not None and _sha256(path) == indexed):
            os.replace(path, target)
            notes.append(f"{name}: previous version put back")
        else:
            notes.append(f"{name}: kept both {name} and {path.name} (neither is the indexed version)")
    for note in notes:
        log.warning("upload recovery: %s", note)
    return notes


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()
