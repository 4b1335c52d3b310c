"""`troly feedback export`: reviewed feedback as a QA file for `troly eval run --qa`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from troly.cli.app import app, console, settings_from
from troly.errors import TrolyError

feedback_app = typer.Typer(help="Phản hồi của người dùng (thích / không thích).", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def export(
    ctx: typer.Context,
    qa: Annotated[Path, typer.Option("--qa", help="Tệp câu hỏi JSONL sẽ ghi (định dạng EVAL-FORMAT.md).")],
    since: Annotated[
        str | None, typer.Option("--since", help="Chỉ các câu được xem xét từ ngày này (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Ghi các phản hồi đã được xem xét (trên trang /admin) thành bộ câu hỏi đánh giá."""
    from web.feedback_export import write_export
    from web.store import open_console, open_store

    if since is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
        raise TrolyError(f"Ngày không hợp lệ: {since} (cần dạng YYYY-MM-DD).", code="invalid_date")
    settings = settings_from(ctx)
    db = open_store(settings)
    try:
        count = write_export(open_console(db), qa, since)
        db.audit(None, "export", f"{count} câu hỏi (dòng lệnh)")
    finally:
        db.close()
    console.print(
        f"Đã ghi {count} câu hỏi vào {qa}. Chạy: troly eval run --qa {qa} --corpus THƯ_MỤC --out KẾT_QUẢ"
    )
