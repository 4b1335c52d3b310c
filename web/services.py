"""What the routers use, built once per app: the library, the answer pipeline, the database, the limits.

The library and the model load lazily (the first request, or the warm-up thread started with the
server), so `troly serve` binds its port at once and /readyz tells when answering is possible: ready
means the warm-up finished without error, i.e. the current index generation was read (an empty index,
no documents yet, counts as ready; /readyz reports `documents: 0`) and the chat model was loaded
(llama.cpp: `load()`; a model without `load`, as Ollama: `info().ready`), then the pipeline warmed
(`AnswerPipeline.warm_up`: one search, and llama.cpp evaluates the prompt's fixed prefix), so the first
question is as fast as the others. Uploads are ingest jobs run by
`worker` (web/ingest_worker.py), started with the server; index writes of the API (a job's final write, a
delete) take `write_lock`, which no probe and no search ever waits on.
Tests inject fakes through `Services.create(..., library=..., pipeline=..., model=...)`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from starlette.concurrency import run_in_threadpool

from assistant.events import AnswerEvent
from assistant.llm.base import ChatMessage, ChatModelError, ModelInfo
from index.text import TermDocuments
from index.tracker import CommitmentCache, Tracker
from troly.records import Chunk, Document, DocumentProfile, SearchHit
from troly.settings import Settings
from web.console_records import TouchThrottle
from web.errors import ApiError
from web.followups import open_followups
from web.ingest_worker import IngestWorker, JobLibrary
from web.queue import GenerationQueue
from web.store import ConsoleStore, RateLimit, StateStore, WriteLock, open_console, open_store
from web.tracking import TrackingService

if TYPE_CHECKING:
    from assistant.pipeline import GenerationOptions
    from index.library import SearchFilters

log = logging.getLogger(__name__)

T = TypeVar("T")
ADMISSION_SLOTS = 2


class DocumentLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def date(self) -> str | None: ...
    @property
    def content_hash(self) -> str: ...


class LibraryLike(JobLibrary, Protocol):
    """The part of `index.library.Library` the API uses (ingest jobs: `JobLibrary`). `remove` raises a
    TrolyError with code `not_found` for an unknown id; `chunk_count` a TrolyError saying why the bytes
    cannot be ingested."""

    def search(
        self, query: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[SearchHit]: ...

    def document(self, doc_id: str) -> Document | None: ...

    def chunk(self, chunk_id: str) -> Chunk | None: ...

    def restore_accents(self, text: str) -> str: ...

    def corpus_names(self, text: str) -> list[str]: ...

    def profiles(self) -> list[DocumentProfile]: ...

    def profile(self, doc_id: str) -> DocumentProfile | None: ...

    def abbreviations(self) -> dict[str, str]: ...

    def term_documents(self) -> TermDocuments: ...

    def documents(self) -> Sequence[DocumentLike]: ...

    def chunks(self, doc_id: str | None = None) -> Sequence[Chunk]: ...

    def document_count(self) -> int: ...

    @property
    def generation(self) -> int | None: ...

    def chunk_count(self, raw: bytes, source: str) -> int: ...

    def remove(self, doc_id: str) -> object: ...


class ModelLike(Protocol):
    """The part of a ChatModel warm-up uses; a model may also have `load()` (llama.cpp), called first."""

    @property
    def name(self) -> str: ...

    def info(self) -> ModelInfo: ...


class PipelineLike(Protocol):
    """The part of `assistant.pipeline.AnswerPipeline` the API uses."""

    def stream(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
        options: GenerationOptions | None = None,
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
    db: StateStore
    library: Lazy[LibraryLike]
    pipeline: Lazy[PipelineLike]
    model_ready: Callable[[], bool]
    limiter: RateLimit
    auth_failures: RateLimit
    queue: GenerationQueue
    worker: IngestWorker
    # Loads the chat model (raises when it cannot); run by warm-up.
    load_model: Callable[[], None] = lambda: None
    # One writer at a time: a job's final write and deletes rebuild the index snapshot (across replicas on
    # PostgreSQL: an advisory lock).
    write_lock: WriteLock = field(default_factory=threading.Lock)
    # The commitment tracker with its follow-ups (web/tracking.py), opened on first use.
    tracking: Lazy[TrackingService] | None = None
    # Warm-up state, read by /readyz: set once warm-up has finished, with or without error.
    warmed: threading.Event = field(default_factory=threading.Event)
    index_ready: bool = False
    model_loaded: bool = False
    index_documents: int | None = None
    startup_error: str = ""
    database_error: str = ""
    # A failed warm-up is tried again when /readyz is asked, at most this often (the operator may have fixed
    # the cause: `troly models --prepare`, `ollama pull`, `troly index rebuild`), without a restart.
    retry_warm_up_s: float = 10.0
    _warming: threading.Lock = field(default_factory=threading.Lock)
    _last_warm_up: float = float("-inf")
    _admission: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(ADMISSION_SLOTS)
    )
    # The admin console's sessions, key use, reviews and figures, in the same database as `db`.
    console: ConsoleStore = field(init=False)
    _touches: TouchThrottle = field(default_factory=TouchThrottle)

    def __post_init__(self) -> None:
        self.console = open_console(self.db)

    def key_used(self, key_id: int) -> None:
        """The console's "last used" of a key, written at most once a minute per key: not on every request."""
        if self._touches.due(key_id):
            self.console.touch_key(key_id)

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        db: StateStore | None = None,
        library: LibraryLike | Lazy[LibraryLike] | None = None,
        pipeline: PipelineLike | Lazy[PipelineLike] | None = None,
        model: ModelLike | None = None,
        model_ready: Callable[[], bool] | None = None,
    ) -> Services:
        """Real components for whatever is not given; given ones (fakes in wiring tests) are used as is.
        `model` is the chat model warm-up loads (with an injected pipeline and no model, nothing is)."""
        lib = _lazy(library) if library is not None else Lazy(lambda: _open_library(settings))
        load: Callable[[], None]
        if pipeline is not None:
            pipe = _lazy(pipeline)
            given = model

            def load() -> None:
                if given is not None:
                    load_chat_model(given)

        else:
            pipe, load = _real_pipeline(settings, lib, model)
        store = db or open_store(settings)
        queue = GenerationQueue(settings.server.queue_size)
        write_lock = store.write_lock(settings.index.lock_timeout_s)
        return cls(
            settings=settings,
            db=store,
            library=lib,
            pipeline=pipe,
            model_ready=model_ready or (lambda: True),
            limiter=store.rate_limiter(settings.server.rate_limit_per_minute),
            auth_failures=store.rate_limiter(settings.server.auth_failures_per_minute),
            queue=queue,
            worker=IngestWorker(settings, store, lib.get, write_lock, answering=lambda: queue.busy),
            load_model=load,
            write_lock=write_lock,
            tracking=Lazy(lambda: _tracking(settings, lib)),
        )

    @property
    def uploads_dir(self) -> Path:
        return self.settings.uploads_dir

    def warm_up(self) -> None:
        """Read the index and load the model now (called on a background thread at startup, and again by
        `retry_failed_warm_up`). One at a time: a call while another runs returns at once.

        Errors are kept, in Vietnamese, for /readyz; requests still retry the loads themselves."""
        if not self._warming.acquire(blocking=False):
            return
        try:
            self._warm_up()
        finally:
            self._last_warm_up = time.monotonic()
            self._warming.release()

    def _warm_up(self) -> None:
        errors: list[str] = []
        if self.db.shared:
            problem = self._database_problem()
            if problem:
                errors.append(problem)
        try:
            library = self.library.get()
            # Reads CURRENT and the live generation (documents, chunks): a damaged index fails here.
            self.index_documents = len(library.documents())
            self.index_ready = True
            log.info("warm-up: index read, %d documents", self.index_documents)
        except Exception as exc:
            self.index_ready = False
            log.warning("warm-up: index failed: %s", exc)
            errors.append(f"Không đọc được chỉ mục: {_message(exc)}")
        try:
            if not self.model_loaded:
                pipeline = self.pipeline.get()
                self.load_model()
                warm = getattr(pipeline, "warm_up", None)
                if callable(warm) and self.index_ready:
                    _warm_pipeline(warm)
                self.model_loaded = True
                log.info("warm-up: model loaded")
        except Exception as exc:
            log.warning("warm-up: model failed: %s", exc)
            errors.append(f"Không nạp được mô hình: {_message(exc)}")
        self.startup_error = " ".join(errors)
        self.warmed.set()

    def retry_failed_warm_up(self) -> bool:
        """Start another warm-up in the background when the last one failed and `retry_warm_up_s` has passed
        since it ended; True when one was started. /readyz keeps the last result until it finishes."""
        failed = self.warmed.is_set() and bool(self.startup_error)
        if not failed or time.monotonic() - self._last_warm_up < self.retry_warm_up_s:
            return False
        if self._warming.locked():
            return False
        threading.Thread(target=self.warm_up, name="troly-warm-up-retry", daemon=True).start()
        return True

    def _database_problem(self) -> str:
        """Why the shared database cannot be used now ('' when it can); kept for readiness_detail."""
        try:
            self.db.ping()
            self.database_error = ""
        except Exception as exc:
            self.database_error = f"Không dùng được cơ sở dữ liệu: {_message(exc)}"
        return self.database_error

    def readiness(self) -> dict[str, bool]:
        """Per check: warm-up finished it without error (all false while warm-up runs). A database shared by
        replicas (PostgreSQL) is also asked now: a replica that lost it is not ready."""
        shared = self.db.shared
        if not self.warmed.is_set():
            return (
                {"database": False, "index": False, "model": False}
                if shared
                else {"index": False, "model": False}
            )
        try:
            model_ready = self.model_loaded and self.model_ready()
        except Exception:
            model_ready = False
        checks = {"index": self.index_ready, "model": model_ready}
        if shared:
            checks = {"database": not self._database_problem(), **checks}
        return checks

    def readiness_detail(self, documents: int | None = None, checks: dict[str, bool] | None = None) -> str:
        """Why /readyz is not ready, or a note on a ready but empty index (Vietnamese, for operators);
        `documents` and `checks` are the count and the checks when the caller has just read them."""
        if not self.warmed.is_set():
            return "Đang khởi động: đang đọc chỉ mục và nạp mô hình."
        if self.startup_error:
            return self.startup_error
        checks = self.readiness() if checks is None else checks
        if not checks.get("database", True):
            return self.database_error
        if not checks["model"]:
            return "Mô hình chưa sẵn sàng."
        if (self.documents_count() if documents is None else documents) == 0:
            return "Chỉ mục chưa có tài liệu nào; hãy tải tài liệu lên (POST /v1/documents)."
        return ""

    def llm_backend(self) -> dict[str, str]:
        from assistant.llm.factory import describe_backend

        return describe_backend(self.settings)

    def documents_count(self) -> int | None:
        """Documents in the live index now (uploads since warm-up included), from its manifest, without a
        lock; None before warm-up read the index."""
        if not self.index_ready:
            return None
        try:
            self.index_documents = self.library.get().document_count()
        except Exception as exc:  # the count read at warm-up stands; search reports the error
            log.warning("readiness: index not readable: %s", exc)
        return self.index_documents

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Hold `write_lock` for an index write of a request, waiting for it without holding a thread (a job's
        final write may take a while); 503 index_busy after `server.write_wait_s`. The lock of a shared store
        (PostgreSQL) is taken and released on a server thread: both are round trips to the database."""
        remote = self.db.shared
        if not await _acquire(self.write_lock, self.settings.server.write_wait_s, remote=remote):
            raise ApiError(
                503,
                "index_busy",
                "Chỉ mục đang được ghi (một lần tải lên đang hoàn tất). Vui lòng thử lại sau ít phút.",
                headers={"Retry-After": "30"},
            )
        try:
            yield
        finally:
            if remote:
                await run_in_threadpool(self.write_lock.release)
            else:
                self.write_lock.release()

    @asynccontextmanager
    async def admitting(self) -> AsyncIterator[None]:
        """One of `ADMISSION_SLOTS` for reading, counting and staging an upload: a burst of uploads waits
        here without threads, rather than filling the thread pool and the GIL the event loop needs."""
        if not await _acquire(self._admission, self.settings.server.write_wait_s):
            raise ApiError(
                503,
                "busy",
                "Máy chủ đang nhận nhiều tệp. Vui lòng thử lại sau.",
                headers={"Retry-After": "10"},
            )
        try:
            yield
        finally:
            self._admission.release()

    def start(self) -> None:
        """Start the background work of a server: warm-up, and the ingest worker."""
        threading.Thread(target=self.warm_up, name="troly-warm-up", daemon=True).start()
        self.worker.start()

    def tracker(self) -> TrackingService:
        if self.tracking is None:
            self.tracking = Lazy(lambda: _tracking(self.settings, self.library))
        return self.tracking.get()

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the ingest worker (a running job goes back to the queue), cancel answers, close the database
        (left open when the worker did not stop in time: the process is ending anyway)."""
        stopped = self.worker.stop(timeout_s)
        self.queue.shutdown()
        if self.tracking is not None and self.tracking.loaded:
            self.tracking.get().store.close()
        if stopped:
            self.db.close()
        else:
            log.warning("shutdown: the ingest worker did not stop within %.0f s", timeout_s)
        close_library = getattr(self.library.get(), "close", None) if self.library.loaded else None
        if stopped and callable(close_library):  # the PostgreSQL index backend's connection pool
            close_library()


async def _acquire(
    lock: WriteLock | threading.BoundedSemaphore, wait_s: float, *, remote: bool = False
) -> bool:
    """Take `lock` from the event loop without blocking it: try, then sleep (10 ms doubling to 200 ms). A
    `remote` lock (PostgreSQL's advisory lock, shared by replicas) is tried on a server thread: each try may
    be a round trip to the database."""
    deadline = time.monotonic() + wait_s
    delay = 0.01
    while not (await run_in_threadpool(lock.acquire, False) if remote else lock.acquire(blocking=False)):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(delay)
        delay = min(0.2, delay * 2)
    return True


def _tracking(settings: Settings, library: Lazy[LibraryLike]) -> TrackingService:
    tracker = Tracker(library.get(), CommitmentCache(settings.tracker_dir))
    return TrackingService(tracker, open_followups(settings))


def _lazy(value: T | Lazy[T]) -> Lazy[T]:
    return value if isinstance(value, Lazy) else Lazy.of(value)


def _open_library(settings: Settings) -> LibraryLike:
    from index.library import Library  # heavy: FAISS, the embedding model

    library: LibraryLike = Library.open(settings)
    return library


def _real_pipeline(
    settings: Settings, library: Lazy[LibraryLike], model: ModelLike | None
) -> tuple[Lazy[PipelineLike], Callable[[], None]]:
    from assistant.llm.base import ChatModel

    def build_model() -> ChatModel:
        if model is not None:
            given: ChatModel = model  # type: ignore[assignment]
            return given
        from assistant.llm.factory import build_chat_model

        built: ChatModel = build_chat_model(settings)
        return built

    chat_model: Lazy[ChatModel] = Lazy(build_model)

    def build_pipeline() -> PipelineLike:
        from assistant.pipeline import AnswerPipeline

        pipeline: PipelineLike = AnswerPipeline(settings, library.get(), chat_model.get())
        return pipeline

    def load() -> None:
        load_chat_model(chat_model.get())

    return Lazy(build_pipeline), load


def load_chat_model(model: ModelLike) -> None:
    """Load the model now: `load()` when it has one (llama.cpp: assemble, verify and map the file),
    else ask the backend (Ollama: the server answers and has the model). Raises when it is not ready."""
    load = getattr(model, "load", None)
    if callable(load):
        load()
        return
    info = model.info()
    if not info.ready:
        raise ChatModelError(info.detail or f"Mô hình {model.name} chưa sẵn sàng.")


def _warm_pipeline(warm: Callable[[], object]) -> None:
    """The pipeline's own warm-up (first search, the prompt's fixed prefix), so the first question costs what
    the others do. Its failure is logged, not a readiness failure: the model did load."""
    started = time.perf_counter()
    try:
        warm()
    except Exception as exc:
        log.warning("warm-up: first search or prompt prefix failed: %s", exc)
        return
    log.info("warm-up: first search and prompt prefix in %.1f s", time.perf_counter() - started)


def _message(exc: Exception) -> str:
    message = getattr(exc, "message", None)
    return str(message) if isinstance(message, str) and message else str(exc) or type(exc).__name__
