"""Uploaded files: safe names and storage under `<home>/uploads`, where the library ingests them from."""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
import uuid
from pathlib import Path

from fastapi import UploadFile

from web.errors import ApiError

MAX_NAME_CHARS = 150
_CHUNK_BYTES = 1 << 20
_FORBIDDEN = set('<>:"|?*')


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


async def save_upload(upload: UploadFile, folder: Path, max_bytes: int) -> Path:
    """Write the upload to `folder/<safe name>` (atomically: a half-written file is never ingested)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_filename(upload.filename)
    partial = folder / f".partial-{uuid.uuid4().hex}"
    size = 0
    try:
        with partial.open("wb") as out:
            while chunk := await upload.read(_CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise ApiError(
                        413,
                        "file_too_large",
                        f"Tệp {target.name} quá lớn (tối đa {max_bytes // (1 << 20)} MB).",
                    )
                out.write(chunk)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return target
