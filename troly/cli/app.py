"""The typer application and the helpers every command group shares. Commands only parse and call."""

from __future__ import annotations

import typer
from rich.console import Console

from troly.settings import Settings

app = typer.Typer(
    name="troly",
    help="Trợ lý: hỏi đáp tài liệu chuyển đổi số bằng tiếng Việt, có trích dẫn nguồn.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


def settings_from(ctx: typer.Context) -> Settings:
    """The one Settings object of this invocation, built on first use."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj
