"""The schema's version: `upgrade` runs the Alembic migrations (under an advisory lock, see migrations/env.py);
`check` is what a replica runs before it serves: it refuses a schema older or newer than its code, saying
what to run."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from troly.errors import TrolyError
from troly.postgres.connection import conninfo, redacted, unavailable

if TYPE_CHECKING:
    import psycopg
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic's `context` and `op` are module-level proxies: one migration run per process at a time. Across
# processes (replicas), the advisory lock in migrations/env.py serialises them.
_ALEMBIC = threading.Lock()


class SchemaMismatchError(TrolyError):
    """The database's schema is not the one this code was written for (503 for a replica: not ready)."""

    code = "schema_mismatch"


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    """The revision the database is at (None: never upgraded)."""
    head: str
    """The revision this code needs."""
    known: bool
    """`current` is one of this code's revisions (False: the database was upgraded by a newer troly)."""

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    def problem(self, url: str) -> str:
        """Why a replica must not start on this schema (Vietnamese, with what to run), or ''."""
        where = redacted(url)
        if self.up_to_date:
            return ""
        if self.current is None:
            return f"Cơ sở dữ liệu {where} chưa được khởi tạo cho troly. Hãy chạy: troly db upgrade"
        if not self.known:
            return (
                f"Cơ sở dữ liệu {where} có lược đồ {self.current}, mới hơn bản troly này (cần {self.head}). "
                "Hãy cập nhật troly trên máy này lên cùng phiên bản với các máy khác."
            )
        return (
            f"Cơ sở dữ liệu {where} có lược đồ cũ {self.current} (bản troly này cần {self.head}). "
            "Hãy chạy: troly db upgrade"
        )


def _sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + conninfo(url).removeprefix("postgresql://")


def _config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["sqlalchemy_url"] = _sqlalchemy_url(url)
    return config


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None
    return head


def current_revision(conn: psycopg.Connection[Any]) -> str | None:
    exists = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def status_of(conn: psycopg.Connection[Any]) -> SchemaStatus:
    current = current_revision(conn)
    known = {script.revision for script in _scripts().walk_revisions()}
    return SchemaStatus(current=current, head=head_revision(), known=current is None or current in known)


def status(url: str, *, connect_timeout_s: float = 5.0) -> SchemaStatus:
    import psycopg

    try:
        with psycopg.connect(conninfo(url), connect_timeout=max(1, round(connect_timeout_s))) as conn:
            return status_of(conn)
    except psycopg.OperationalError as exc:
        raise unavailable(url, exc) from exc


def check(url: str, *, connect_timeout_s: float = 5.0) -> SchemaStatus:
    """Raise SchemaMismatchError unless the database is at this code's head revision."""
    found = status(url, connect_timeout_s=connect_timeout_s)
    problem = found.problem(url)
    if problem:
        raise SchemaMismatchError(problem)
    return found


def upgrade(url: str) -> tuple[SchemaStatus, SchemaStatus]:
    """Migrate to head (a no-op when there already); (before, after). Refuses a newer schema."""
    import sqlalchemy.exc
    from alembic import command

    before = status(url)
    if not before.known:
        raise SchemaMismatchError(before.problem(url))
    if not before.up_to_date:
        log.info("upgrading %s from %s to %s", redacted(url), before.current, before.head)
        try:
            with _ALEMBIC:
                command.upgrade(_config(url), "head")
        except sqlalchemy.exc.OperationalError as exc:
            raise unavailable(url, exc.orig or exc) from exc
        except sqlalchemy.exc.DBAPIError as exc:
            raise TrolyError(_upgrade_failure(url, exc), code="migration_failed") from exc
    return before, status(url)


def _upgrade_failure(url: str, exc: Exception) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    hint = ""
    if "vector" in detail and ("permission" in detail or "not available" in detail):
        hint = (
            " pgvector chưa được cài hoặc cần quyền quản trị: hãy nhờ quản trị PostgreSQL cài pgvector và chạy "
            "CREATE EXTENSION vector; trong cơ sở dữ liệu này, rồi chạy lại troly db upgrade."
        )
    return f"Không nâng cấp được lược đồ của {redacted(url)}: {detail}.{hint} Lược đồ cũ được giữ nguyên."
