"""`troly models`: which LLM is configured, where its file is, whether it is verified and ready."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from assistant.llm import model_files
from assistant.llm.base import ModelInfo
from troly.cli.app import app, console, settings_from
from troly.errors import ModelNotReadyError
from troly.settings import Settings


def _size(size_bytes: int | None) -> str:
    return "—" if size_bytes is None else f"{size_bytes / 1024**2:,.0f} MB"


def _yes(flag: bool) -> str:
    return "[green]có[/green]" if flag else "[red]không[/red]"


def _table(title: str, rows: list[tuple[str, str]]) -> Table:
    # Two columns (field, value) so a long model path is shown whole on a narrow terminal.
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for field, value in rows:
        table.add_row(field, value)
    return table


def _llamacpp_table(settings: Settings) -> Table:
    status = model_files.status(settings, check_hash=True)
    sha = _yes(status.verified) if status.embedded else "không kiểm tra (tệp do người dùng chỉ định)"
    rows = [
        ("backend", "llamacpp (llama.cpp trong tiến trình)"),
        ("mô hình", status.name),
        ("tệp", str(status.path)),
        ("dung lượng", _size(status.size_bytes)),
        ("SHA-256 đúng", sha),
        ("sẵn sàng", _yes(status.ready)),
    ]
    if status.detail:
        rows.append(("ghi chú", status.detail))
    return _table("Mô hình ngôn ngữ", rows)


def _server_table(info: ModelInfo) -> Table:
    rows = [
        ("backend", info.backend),
        ("mô hình", info.name),
        ("máy chủ", info.location),
        ("sẵn sàng", _yes(info.ready)),
    ]
    if info.detail:
        rows.append(("ghi chú", info.detail))
    return _table("Mô hình ngôn ngữ", rows)


@app.command("models")
def models(
    ctx: typer.Context,
    prepare: bool = typer.Option(
        False, "--prepare", help="Ghép và kiểm tra SHA-256 tệp mô hình ngay (chỉ cần làm một lần)."
    ),
) -> None:
    """Xem mô hình đang cấu hình: tệp, dung lượng, SHA-256, sẵn sàng hay chưa."""
    settings = settings_from(ctx)
    if settings.llm.backend in ("ollama", "openai"):
        from assistant.llm.factory import build_chat_model

        info = build_chat_model(settings).info()
        console.print(_server_table(info))
        if prepare and not info.ready:
            raise ModelNotReadyError(f"Mô hình trên máy chủ {info.location} chưa sẵn sàng: {info.detail}")
        return
    if prepare:
        started = time.perf_counter()
        with console.status("Đang ghép và kiểm tra tệp mô hình…"):
            path = model_files.prepare(settings)
        console.print(f"Đã sẵn sàng: {path} ({time.perf_counter() - started:.1f} s)")
    console.print(_llamacpp_table(settings))
