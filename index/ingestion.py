"""Deciding what an ingest changes: which files are new, changed, unchanged, failed or gone.

Unchanged files are recognised without parsing them: same size and mtime as recorded, or else the same sha256
of their bytes, and processed by the same code and chunk sizes (the processing fingerprint). Only new and
changed files are loaded and chunked, unless an ingest job loaded them ahead (`Prepared`, see
`Library.prepare`): then the plan takes them as they were loaded, when the file is still the same.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from index.snapshot import FileState
from ingest.errors import IngestError
from troly.records import Chunk, Document, DocumentProfile, IngestOutcome, IngestStatus
from troly.settings import Settings

if TYPE_CHECKING:
    from index.generations import GenerationView

Phase = Literal["scan", "embed", "write"]


@dataclass(frozen=True)
class IngestProgress:
    """One step of an ingest, for a progress bar: `done` of `total` in this phase."""

    phase: Phase
    done: int
    total: int
    source: str = ""


ProgressCallback = Callable[[IngestProgress], None]
Checkpoint = Callable[[], None]
"""Called between steps of a long ingest; it may block (to yield the cores) or raise (to stop the ingest,
which then changes nothing)."""


@dataclass
class IngestPlan:
    outcomes: list[IngestOutcome] = field(default_factory=list)
    documents: dict[str, tuple[Document, list[Chunk]]] = field(default_factory=dict)
    """The full new state, in order, when `changed`."""
    files: list[FileState] = field(default_factory=list)
    changed: bool = False


@dataclass
class LoadedFile:
    document: Document
    chunks: list[Chunk]
    state: FileState


@dataclass
class Prepared:
    """Files loaded, chunked and embedded ahead of an ingest, without the writer lock (ingest jobs)."""

    loaded: dict[str, LoadedFile] = field(default_factory=dict)
    """By the path the file will be ingested from (resolved)."""
    vectors: dict[str, NDArray[np.float32]] = field(default_factory=dict)
    """Embeddings by `text_key` of the chunk texts the live generation did not have."""
    failed: dict[str, str] = field(default_factory=dict)
    """Source -> why it could not be loaded."""
    profiles: dict[str, DocumentProfile] = field(default_factory=dict)
    """What each loaded document is about (`ingest.profile`), made here rather than under the lock."""


def _state(path: Path, recorded: Path, source: str, raw: bytes, processing: str) -> FileState:
    stat = path.stat()
    return FileState(
        source=source,
        path=str(recorded.resolve()),
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        sha256=hashlib.sha256(raw).hexdigest(),
        processing=processing,
    )


def load_bytes(
    settings: Settings, raw: bytes, source: str, path: Path | None = None
) -> tuple[Document, list[Chunk]]:
    """The document a file's bytes become and its chunks, as an ingest indexes them; IngestError when the
    bytes cannot become one (also used on uploads before they are stored, to count their chunks)."""
    from ingest.chunk import chunk_document
    from ingest.pipeline import document_from_bytes

    document = document_from_bytes(raw, source, path)
    chunks = list(chunk_document(document, settings.chunking))
    if not chunks:
        raise IngestError("empty", source, "tệp không có đoạn văn bản nào để lập chỉ mục")
    return document, chunks


def _load(settings: Settings, path: Path, source: str, recorded: Path | None) -> LoadedFile:
    from ingest.pipeline import processing_fingerprint, read_file

    raw = read_file(path, source)
    where = recorded or path
    state = _state(path, where, source, raw, processing_fingerprint(settings.chunking))
    document, chunks = load_bytes(settings, raw, source, where)
    if recorded is not None:
        document = document.model_copy(update={"path": state.path})
    return LoadedFile(document, chunks, state)


def try_load(settings: Settings, path: Path, source: str, recorded: Path | None = None) -> LoadedFile | str:
    """The loaded file, or the reason it failed; one bad file never stops the others. With `recorded`, the
    bytes are read from `path` but the file is recorded (and its format known) as `recorded`: an upload
    staged under a temporary name is loaded as the file it will become."""
    try:
        return _load(settings, path, source, recorded)
    except IngestError as exc:
        return exc.message
    except OSError as exc:
        return f"Không đọc được tệp {source}: {exc.strerror or type(exc).__name__}"
    except Exception as exc:  # a parser bug on one odd file must not abort the whole ingest
        return f"Không xử lý được tệp {source}: lỗi {type(exc).__name__}"


def _unchanged(path: Path, known: FileState | None) -> bool:
    if known is None:
        return False
    try:
        stat = path.stat()
    except OSError:
        return False
    if stat.st_size != known.size:
        return False
    if stat.st_mtime_ns == known.mtime_ns:
        return True
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == known.sha256
    except OSError:
        return False


def _under(path: str, roots: list[str]) -> bool:
    return any(path.startswith(root) for root in roots)


def _duplicate_reason(source: str, first: Path) -> str:
    return f"trùng mã tài liệu '{source}' với tệp {first.resolve()}; hãy nạp từ thư mục cha để mã khác nhau"


def _conflict(source: str, path: Path, previous: FileState | None) -> str | None:
    """Why `path` may not take over `source`: the id is recorded for another file that still exists.
    A recorded file that is gone means the document moved, and the new file replaces it."""
    if previous is None or previous.path == str(path.resolve()):
        return None
    old = Path(previous.path)
    if not (old.exists() or old.is_symlink()):
        return None
    return (
        f"mã tài liệu '{source}' đã có trong chỉ mục từ tệp {previous.path}, khác với {path.resolve()}; "
        f"hãy gỡ bản cũ trước (troly remove {source}) hoặc nạp từ thư mục cha để mã khác nhau"
    )


def _gone_under(missing: Path, known: dict[str, FileState], seen: set[str]) -> set[str]:
    """Recorded documents whose file was `missing` itself or lay under it (a deleted file or folder)."""
    target = str(missing.resolve())
    root = target.rstrip(os.sep) + os.sep
    return {s for s, f in known.items() if s not in seen and (f.path == target or f.path.startswith(root))}


def _loaded_ahead(ahead: Mapping[str, LoadedFile], path: Path) -> LoadedFile | None:
    """The file as it was loaded ahead, if it is still that file (same size and mtime: installing an upload
    with a link or `os.replace` keeps both)."""
    loaded = ahead.get(str(path.resolve()))
    if loaded is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    same = (stat.st_size, stat.st_mtime_ns) == (loaded.state.size, loaded.state.mtime_ns)
    return loaded if same else None


def plan_ingest(
    settings: Settings,
    generation: GenerationView | None,
    paths: Sequence[Path],
    prune: bool,
    progress: ProgressCallback | None,
    ahead: Mapping[str, LoadedFile] | None = None,
) -> IngestPlan:
    from ingest.pipeline import discover_all, missing_reason, processing_fingerprint

    found = discover_all(paths)
    processing = processing_fingerprint(settings.chunking)
    known = {f.source: f for f in generation.files()} if generation else {}
    plan = IngestPlan()
    loaded: dict[str, LoadedFile] = {}
    claimed: dict[str, Path] = {}
    removed: set[str] = set()
    seen = {item.source for item in found.files}
    pruned_missing: set[str] = set()
    if prune:
        for missing in found.missing:
            gone = _gone_under(missing, known, seen)
            if gone:
                removed |= gone
                pruned_missing.add(str(missing))
    for failure in found.skipped:
        if failure.path in pruned_missing and failure.reason == missing_reason(Path(failure.path)):
            continue  # with --prune, a deleted folder is what is being pruned, not an error
        plan.outcomes.append(IngestOutcome(source=failure.path, status="failed", reason=failure.reason))
    total = len(found.files)
    for done, item in enumerate(found.files, start=1):
        previous = known.get(item.source)
        same_place = previous is not None and previous.path == str(item.path.resolve())
        same_processing = previous is not None and previous.processing == processing
        first = claimed.get(item.source)
        conflict = None if first is not None else _conflict(item.source, item.path, previous)
        if first is not None:
            reason = _duplicate_reason(item.source, first)
            plan.outcomes.append(IngestOutcome(source=item.source, status="failed", reason=reason))
        elif conflict is not None:
            # Not claimed: another file named in this run with this id may be the recorded one.
            plan.outcomes.append(IngestOutcome(source=item.source, status="failed", reason=conflict))
        elif same_place and same_processing and _unchanged(item.path, previous):
            claimed[item.source] = item.path
            plan.outcomes.append(IngestOutcome(source=item.source, status="skipped", reason="không đổi"))
        else:
            claimed[item.source] = item.path
            early = None if ahead is None else _loaded_ahead(ahead, item.path)
            result = early or try_load(settings, item.path, item.source)
            if isinstance(result, str):
                plan.outcomes.append(IngestOutcome(source=item.source, status="failed", reason=result))
            elif (
                same_place
                and same_processing
                and previous is not None
                and previous.sha256 == result.state.sha256
            ):
                plan.outcomes.append(IngestOutcome(source=item.source, status="skipped", reason="không đổi"))
            else:
                loaded[item.source] = result
                status: IngestStatus = "updated" if previous is not None else "added"
                same_bytes = previous is not None and previous.sha256 == result.state.sha256
                again = "xử lý lại theo cách tách đoạn mới" if same_bytes and not same_processing else None
                outcome = IngestOutcome(
                    source=item.source, status=status, chunks=len(result.chunks), reason=again
                )
                plan.outcomes.append(outcome)
        if progress:
            progress(IngestProgress("scan", done, total, item.source))
    if prune:
        roots = [str(p.resolve()) + os.sep for p in paths if p.is_dir()]
        removed |= {s for s, f in known.items() if s not in seen and _under(f.path, roots)}
        plan.outcomes += [
            IngestOutcome(source=s, status="removed", reason="tệp không còn") for s in sorted(removed)
        ]
    plan.changed = bool(loaded or removed)
    if plan.changed:
        _merge(plan, generation, loaded, removed)
    return plan


def _merge(
    plan: IngestPlan, generation: GenerationView | None, loaded: dict[str, LoadedFile], removed: set[str]
) -> None:
    """The new full state: previous documents in order (replaced where changed), then the new ones."""
    by_doc: dict[str, list[Chunk]] = {}
    files = {f.source: f for f in generation.files()} if generation else {}
    if generation is not None:
        for chunk in generation.chunks():
            by_doc.setdefault(chunk.doc_id, []).append(chunk)
        for document in generation.documents():
            if document.id not in removed:
                plan.documents[document.id] = (document, by_doc.get(document.id, []))
    for source, item in loaded.items():
        plan.documents[source] = (item.document, item.chunks)
        files[source] = item.state
    plan.files = [files[s] for s in plan.documents if s in files]


def load_recorded(
    settings: Settings, recorded: list[FileState], progress: ProgressCallback | None
) -> IngestPlan:
    """Every recorded file loaded afresh (for `rebuild`); files that are gone or fail are reported."""
    plan = IngestPlan(changed=True)
    for done, state in enumerate(recorded, start=1):
        result = try_load(settings, Path(state.path), state.source)
        if isinstance(result, str):
            plan.outcomes.append(IngestOutcome(source=state.source, status="failed", reason=result))
        else:
            plan.documents[state.source] = (result.document, result.chunks)
            plan.files.append(result.state)
            outcome = IngestOutcome(source=state.source, status="added", chunks=len(result.chunks))
            plan.outcomes.append(outcome)
        if progress:
            progress(IngestProgress("scan", done, len(recorded), state.source))
    return plan
