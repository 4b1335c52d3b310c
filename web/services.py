"""What the routers use, built once per app: the library, the answer pipeline, the database, the limits.

The library and the model load lazily (the first request, or the warm-up thread started with the
server), so `troly serve` binds its port at once and /readyz tells when answering is possible.
Tests inject fakes through `Services.create(..., library=..., pipeline=...)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from assistant.events import AnswerEvent
from assistant.llm.base import ChatMessage
from troly.records import Chunk, Document, IngestOutcome, SearchHit
from troly.settings import Settings
from web.db import Database
from web.queue import GenerationQueue
from web.ratelimit import RateLimiter

if TYPE_CHECKING:
    from index.library import SearchFilters

log = logging.getLogger(__name__)

T = TypeVar("T")


class DocumentLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def date(self) -> str | None: ...
    @property
    def content_hash(self) -> str: ...


class IngestReportLike(Protocol):
    @property
    def outcomes(self) -> Sequence[IngestOutcome]: ...


class LibraryLike(Protocol):
    """The part of `index.library.Library` the API uses. `remove` raises a TrolyError with code
    `not_found` for an unknown id."""

    def search(
        self, query: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[SearchHit]: ...

    def document(self, doc_id: str) -> Document | None: ...

    def documents(self) -> Sequence[DocumentLike]: ...

    def chunks(self, doc_id: str | None = None) -> Sequence[Chunk]: ...

    def ingest(
        self, paths: Sequence[Path], prune: bool = False, progress: Any = None
    ) -> IngestReportLike: ...

    def remove(self, doc_id: str) -> object: ...


class PipelineLike(Protocol):
    """The part of `assistant.pipeline.AnswerPipeline` the API uses."""

    def stream(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
    ) -> Iterator[AnswerEvent]: ...


class Lazy(Generic[T]):
    """A value built on first use, once, even when several threads ask at the same time."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, value: T) -> Lazy[T]:
        lazy = cls(lambda: value)
        lazy._value = value
        return lazy

    @property
    def loaded(self) -> bool:
        return self._value is not None

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value


@dataclass
class Services:
    settings: Settings
    db: Database
    library: Lazy[LibraryLike]
    pipeline: Lazy[PipelineLike]
    model_ready: Callable[[], bool]
    limiter: RateLimiter
    queue: GenerationQueue
    # One writer at a time: uploads and deletes rebuild the index snapshot.
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    startup_error: str = ""

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        db: Database | None = None,
        library: LibraryLike | Lazy[LibraryLike] | None = None,
        pipeline: PipelineLike | Lazy[PipelineLike] | None = None,
        model_ready: Callable[[], bool] | None = None,
    ) -> Services:
        """Real components for whatever is not given; given ones (fakes in wiring tests) are used as is."""
        lib = _lazy(library) if library is not None else Lazy(lambda: _open_library(settings))
        if pipeline is not None:
            pipe = _lazy(pipeline)
            ready = model_ready or (lambda: True)
        else:
            pipe, ready = _real_pipeline(settings, lib)
        return cls(
            settings=settings,
            db=db or Database(settings.db_path),
            library=lib,
            pipeline=pipe,
            model_ready=model_ready or ready,
            limiter=RateLimiter(settings.server.rate_limit_per_minute),
            queue=GenerationQueue(settings.server.queue_size),
        )

    @property
    def uploads_dir(self) -> Path:
        return self.settings.home / "uploads"

    def warm_up(self) -> None:
        """Load the index and the model now (called on a background thread at startup)."""
        try:
            self.library.get()
            self.pipeline.get()
            self.model_ready()
        except Exception as exc:  # reported by /readyz; requests retry the load themselves
            log.warning("warm-up failed: %s", exc)
            self.startup_error = str(exc)

    def readiness(self) -> dict[str, bool]:
        index_ready = self.library.loaded
        try:
            model_ready = self.pipeline.loaded and self.model_ready()
        except Exception:
            model_ready = False
        return {"index": index_ready, "model": model_ready}

    def close(self) -> None:
        self.queue.shutdown()
        self.db.close()


def _lazy(value: T | Lazy[T]) -> Lazy[T]:
    return value if isinstance(value, Lazy) else Lazy.of(value)


def _open_library(settings: Settings) -> LibraryLike:
    from index.library import Library  # heavy: FAISS, the embedding model

    library: LibraryLike = Library.open(settings)
    return library


def _real_pipeline(
    settings: Settings, library: Lazy[LibraryLike]
) -> tuple[Lazy[PipelineLike], Callable[[], bool]]:
    from assistant.llm.base import ChatModel

    def build_model() -> ChatModel:
        from assistant.llm.factory import build_chat_model

        model: ChatModel = build_chat_model(settings)
        return model

    chat_model: Lazy[ChatModel] = Lazy(build_model)

    def build_pipeline() -> PipelineLike:
        from assistant.pipeline import AnswerPipeline

        pipeline: PipelineLike = AnswerPipeline(settings, library.get(), chat_model.get())
        return pipeline

    def ready() -> bool:
        return chat_model.loaded and chat_model.get().info().ready

    return Lazy(build_pipeline), ready
