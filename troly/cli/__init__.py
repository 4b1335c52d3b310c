"""Entry point of the `troly` command."""

from __future__ import annotations

import sys

from troly.cli.app import app, err_console
from troly.errors import TrolyError

# Importing a command module registers its commands on `app`.
for _module in ("index_cmds", "ask_cmds", "models_cmds", "eval_cmds", "serve_cmds"):
    try:
        __import__(f"troly.cli.{_module}")
    except ModuleNotFoundError as exc:  # a command group not written yet must not break the others
        if exc.name != f"troly.cli.{_module}":
            raise


def main() -> None:
    try:
        app()
    except TrolyError as exc:
        err_console.print(f"[red]Lỗi ({exc.code}):[/red] {exc.message}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("Đã dừng.")
        sys.exit(130)
