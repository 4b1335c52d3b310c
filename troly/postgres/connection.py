"""Connection pools and advisory locks on PostgreSQL, with the errors a user (or a load balancer) can act on.

Every unit of work takes one pooled connection for one transaction (`transaction`): it commits when the block
ends and rolls back when anything raises, so a connection lost mid-request leaves no half-written rows. A
lost or refused connection is a `DatabaseUnavailableError` (HTTP 503 with Retry-After); the pool checks a
connection before lending it, so the next request after a restart reconnects by itself.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from types import TracebackType
from typing import TYPE_CHECKING, Any

from troly.errors import TrolyError
from troly.settings import DatabaseSettings

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5


class DatabaseUnavailableError(TrolyError):
    """PostgreSQL refused, dropped or timed out a connection: try again later (503)."""

    code = "database_unavailable"


class LockBusyError(TrolyError):
    code = "index_busy"


def conninfo(url: str) -> str:
    """What psycopg takes: postgres:// and SQLAlchemy's postgresql+psycopg:// spelled as postgresql://."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url.removeprefix(prefix)
    return url


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"


def unavailable(url: str, exc: BaseException) -> DatabaseUnavailableError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DatabaseUnavailableError(
        f"Không kết nối được PostgreSQL tại {redacted(url)} ({reason}). Hãy kiểm tra máy chủ cơ sở dữ liệu "
        "và TROLY_DATABASE__URL; hệ thống sẽ tự kết nối lại."
    )


def open_pool(
    settings: DatabaseSettings,
    *,
    name: str,
    max_size: int | None = None,
    configure: Callable[[psycopg.Connection[Any]], None] | None = None,
) -> ConnectionPool:
    """A pool that opens in the background: a server that is down at start does not stop the caller, each
    request then waits at most `connect_timeout_s` for a connection and gets a DatabaseUnavailableError."""
    try:
        from psycopg_pool import ConnectionPool
    except ImportError as exc:
        raise TrolyError(
            "PostgreSQL cần gói bổ sung: pip install 'troly[postgres]'", code="missing_extra"
        ) from exc

    timeout_ms = int(settings.statement_timeout_s * 1000)
    pool: ConnectionPool = ConnectionPool(
        conninfo(settings.url),
        min_size=1,
        max_size=max_size or settings.pool_size,
        open=False,
        name=f"troly-{name}",
        timeout=settings.connect_timeout_s,
        check=ConnectionPool.check_connection,
        configure=configure,
        reconnect_timeout=max(30.0, settings.connect_timeout_s),
        kwargs={
            "connect_timeout": max(1, round(settings.connect_timeout_s)),
            "application_name": f"troly-{name}",
            "options": f"-c statement_timeout={timeout_ms}",
        },
    )
    pool.open(wait=False)
    return pool


@contextmanager
def transaction(pool: ConnectionPool, url: str) -> Iterator[psycopg.Connection[Any]]:
    """One connection, one transaction: committed when the block ends, rolled back when it raises."""
    import psycopg
    from psycopg_pool import PoolTimeout

    try:
        with pool.connection() as conn:
            yield conn
    except PoolTimeout as exc:
        raise unavailable(url, _why_no_connection(url, exc)) from exc
    except psycopg.OperationalError as exc:
        raise unavailable(url, exc) from exc


def _why_no_connection(url: str, timeout: BaseException) -> BaseException:
    """The pool only says it waited; one direct attempt tells an unreachable server (its own error) from a
    pool whose connections are all busy (the timeout, with a hint)."""
    import psycopg

    try:
        with psycopg.connect(conninfo(url), connect_timeout=2):
            pass
    except psycopg.OperationalError as exc:
        return exc
    return RuntimeError(f"mọi kết nối đều bận ({timeout}); hãy tăng TROLY_DATABASE__POOL_SIZE")


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name (the same in every replica and every release)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


@contextmanager
def advisory_lock(
    pool: ConnectionPool, url: str, name: str, *, timeout_s: float, busy_message: str
) -> Iterator[None]:
    """Hold the session-level advisory lock `name` for the block, on a connection kept for it. A second holder
    (another thread or replica) waits up to `timeout_s`, then gets LockBusyError(busy_message). A holder that
    dies (a killed replica) releases the lock with its session."""
    key = lock_key(name)
    deadline = time.monotonic() + timeout_s
    with transaction(pool, url) as conn:
        conn.autocommit = True
        try:
            while not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:  # type: ignore[index]
                if time.monotonic() > deadline:
                    raise LockBusyError(busy_message)
                time.sleep(0.1)
            try:
                yield
            finally:
                try:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                except Exception as exc:  # the session is gone, and the lock with it
                    log.warning("advisory lock %s not released cleanly: %s", name, exc)
        finally:
            with suppress(Exception):  # a broken connection is discarded by the pool anyway
                conn.autocommit = False


class AdvisoryLock:
    """A reusable lock shared by every replica, used like threading.Lock (`with`, or `acquire` and `release`):
    threads of this process queue on a local mutex, then the holder takes the advisory lock `name` on a pooled
    connection kept until `release`. `with` waits at most `timeout_s`, then raises LockBusyError."""

    def __init__(
        self, pool: ConnectionPool, url: str, name: str, *, timeout_s: float, busy_message: str
    ) -> None:
        self._pool, self._url, self._name = pool, url, name
        self._timeout_s, self._busy_message = timeout_s, busy_message
        self._local = threading.Lock()
        self._held: AbstractContextManager[None] | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """True once held; False when another holder (a thread here, or another replica) kept it for
        `timeout` seconds (-1: no limit), or at once with blocking=False. One try is one round trip."""
        wait = 0.0 if not blocking else math.inf if timeout < 0 else timeout
        deadline = time.monotonic() + wait
        if not self._local.acquire(blocking, -1 if wait == math.inf or not blocking else wait):
            return False
        try:
            held = advisory_lock(
                self._pool,
                self._url,
                self._name,
                timeout_s=max(0.0, deadline - time.monotonic()),
                busy_message=self._busy_message,
            )
            held.__enter__()
        except LockBusyError:
            self._local.release()
            return False
        except BaseException:
            self._local.release()
            raise
        self._held = held
        return True

    def release(self) -> None:
        held, self._held = self._held, None
        if held is None:
            raise RuntimeError(f"advisory lock {self._name} released without being held")
        try:
            held.__exit__(None, None, None)
        finally:
            self._local.release()

    def __enter__(self) -> bool:
        if not self.acquire(timeout=self._timeout_s):
            raise LockBusyError(self._busy_message)
        return True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.release()


class PostgresClient:
    """One pool on `database.url` for one use (state, index), checking once that the schema is this code's."""

    def __init__(
        self,
        settings: DatabaseSettings,
        *,
        name: str,
        configure: Callable[[psycopg.Connection[Any]], None] | None = None,
    ) -> None:
        self.settings = settings
        self.url = settings.url
        self._name = name
        self._configure = configure
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()
        self._schema_checked = False

    @property
    def pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None:
                self._pool = open_pool(self.settings, name=self._name, configure=self._configure)
            return self._pool

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection in one transaction (see `transaction`); SchemaMismatchError, saying what to
        run, when the database is not at this code's schema."""
        from troly.postgres.schema import SchemaMismatchError, status_of

        with transaction(self.pool, self.url) as conn:
            if not self._schema_checked:
                problem = status_of(conn).problem(self.url)
                if problem:
                    raise SchemaMismatchError(problem)
                self._schema_checked = True
            yield conn

    def lock(self, name: str, *, timeout_s: float, busy_message: str) -> AdvisoryLock:
        return AdvisoryLock(self.pool, self.url, name, timeout_s=timeout_s, busy_message=busy_message)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
