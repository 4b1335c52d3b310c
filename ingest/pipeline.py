"""Files -> Documents: discover the files under the paths a user named, then load each one on its own.

Every file ends as a Document or an IngestError naming the file and the reason; one bad file never stops the
others (the caller collects failures).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.clean import clean_paragraphs, split_paragraphs
from ingest.errors import IngestError
from ingest.loaders import MAX_FILE_BYTES, SUPPORTED_EXTENSIONS, extract
from ingest.metadata import find_date, find_title
from ingest.vietnamese import normalize
from troly.records import Document, FileFailure
from troly.settings import ChunkSettings

PROCESSING_VERSION = 1
"""Raise when loading, cleaning or chunking changes what a file becomes: every file is then processed again
on the next ingest (vectors of unchanged chunk texts are re-used), so an index never mixes two versions."""


def processing_fingerprint(chunking: ChunkSettings) -> str:
    """What decides the chunks of a file besides its bytes: this code's version and the chunk sizes."""
    sizes = ",".join(f"{name}={value}" for name, value in sorted(chunking.model_dump().items()))
    return f"v{PROCESSING_VERSION};{sizes}"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    source: str


@dataclass(frozen=True)
class Discovery:
    """What `discover_all` found: files to load, and files it will not load with the reason."""

    files: list[SourceFile] = field(default_factory=list)
    skipped: list[FileFailure] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)
    """Named paths that do not exist (each also in `skipped`), so `--prune` can drop what was under them."""


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(root: Path, found: Discovery) -> None:
    # os.walk does not follow directory symlinks, so a symlink loop cannot recurse forever.
    for directory, subdirs, names in os.walk(root, onerror=None, followlinks=False):
        subdirs[:] = sorted(d for d in subdirs if not _hidden(d))
        for name in sorted(names):
            if _hidden(name):
                continue
            path = Path(directory) / name
            source = path.relative_to(root).as_posix()
            _add(path, source, found)


def _add(path: Path, source: str, found: Discovery) -> None:
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        reason = IngestError(
            "unsupported", source, f"định dạng '{path.suffix or '(không có đuôi)'}' chưa hỗ trợ"
        )
        found.skipped.append(FileFailure(path=source, reason=reason.message))
        return
    found.files.append(SourceFile(path=path, source=source))


def missing_reason(path: Path) -> str:
    return f"Không tìm thấy {path}"


def discover_all(paths: Sequence[Path]) -> Discovery:
    """Walk folders recursively (sorted, hidden entries skipped); files of unsupported formats are listed in
    `skipped` rather than silently dropped, so the CLI can report them."""
    found = Discovery()
    for given in paths:
        if given.is_dir():
            _walk(given, found)
        elif given.exists() or given.is_symlink():
            _add(given, given.name, found)
        else:
            found.skipped.append(FileFailure(path=str(given), reason=missing_reason(given)))
            found.missing.append(given)
    return found


def discover(paths: Sequence[Path]) -> list[SourceFile]:
    """The loadable files under `paths`; see `discover_all` for the files it skips."""
    return discover_all(paths).files


def read_file(path: Path, source: str) -> bytes:
    """The bytes of a file, or IngestError (a folder, too large, unreadable)."""
    try:
        if path.is_dir():
            raise IngestError("unreadable", source, "đây là một thư mục, không phải tệp")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _too_large(source, size)
        return path.read_bytes()
    except PermissionError as exc:
        raise IngestError("unreadable", source, "không có quyền đọc tệp") from exc
    except OSError as exc:
        raise IngestError(
            "unreadable", source, f"không đọc được tệp ({exc.strerror or type(exc).__name__})"
        ) from exc


def _too_large(source: str, size: int) -> IngestError:
    return IngestError(
        "too_large",
        source,
        f"tệp {size // (1024 * 1024)} MB vượt giới hạn {MAX_FILE_BYTES // (1024 * 1024)} MB",
    )


def load_document(path: Path, source: str) -> Document:
    """Read, decode, clean and normalise one file; raises IngestError with a stable code on bad input."""
    return document_from_bytes(read_file(path, source), source, path)


def document_from_bytes(raw: bytes, source: str, path: Path | None = None) -> Document:
    """The Document a file's bytes become; the format comes from the extension of `path`, or of `source`
    without a path. Used on uploads before they are stored, to know what they will cost."""
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(source, len(raw))
    if not raw.strip():
        raise IngestError("empty", source, "tệp rỗng hoặc chỉ có khoảng trắng")
    suffix = path.suffix if path is not None else Path(source).suffix
    extracted = extract(raw, suffix, source)
    paragraphs = split_paragraphs(normalize(extracted.text))
    cleaned = clean_paragraphs(paragraphs)
    if not cleaned.paragraphs:
        raise IngestError("empty", source, "tệp không có nội dung văn bản sau khi làm sạch")
    text = "\n\n".join(cleaned.paragraphs)
    title = find_title(
        cleaned.paragraphs,
        hint=normalize(extracted.title) if extracted.title else None,
        headline=cleaned.headline,
        fallback=Path(source).stem,
    )
    marker_free = paragraphs[1:] if cleaned.date_marker else paragraphs
    stored = "" if path is None else str(path.resolve()) if path.exists() else str(path)
    return Document(
        id=source,
        title=title,
        date=find_date(marker_free, cleaned.date_marker),
        content_hash=hashlib.sha256(raw).hexdigest(),
        text=text,
        path=stored,
        file_type=extracted.file_type,
    )
