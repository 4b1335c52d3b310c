"""`troly agreements`: every agreement's commitments, by side and pillar, with their quotes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from index import tracker_export
from index.library import Library
from index.tracker import AgreementFilters, CommitmentCache, Tracker, entries_json
from troly.cli.app import app, console, settings_from
from troly.cli.index_cmds import progress_bar
from troly.records import TrackedAgreement
from web.followups import open_followups
from web.store import open_store
from web.tracking import TrackingService, parse_state


def _print(entries: list[TrackedAgreement]) -> None:
    if not entries:
        console.print("Không có thỏa thuận nào có cam kết (chỉ mục trống? hãy chạy: troly ingest THƯ_MỤC).")
        return
    for entry in entries:
        period = f", giai đoạn {entry.period.start}–{entry.period.end}" if entry.period else ""
        signed = f", ký {entry.signed}" if entry.signed else ""
        table = Table(title=f"{' – '.join(p.name for p in entry.parties)}{signed}{period}", show_lines=True)
        for column in ("bên cam kết", "trụ cột", "hạn", "cam kết", "nguồn"):
            table.add_column(column)
        for label, group in tracker_export.by_pillar(entry.commitments):
            for c in group:
                where = f"{c.citation.source} [{c.citation.start}:{c.citation.end}]"
                table.add_row(c.party, label if c.pillar else "—", c.deadline or "", c.text, where)
        console.print(table)


@app.command()
def agreements(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="In dạng CSV (mỗi dòng một cam kết).")] = False,
    as_md: Annotated[bool, typer.Option("--md", help="In dạng Markdown.")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Ghi ra tệp Excel.", dir_okay=False)] = None,
    province: Annotated[str | None, typer.Option(help="Chỉ tỉnh, thành này (gõ có dấu hay không).")] = None,
    pillar: Annotated[str | None, typer.Option(help="Chỉ cam kết của trụ cột này ('kinh te so').")] = None,
    party: Annotated[str | None, typer.Option(help="Chỉ cam kết của bên này ('VNPT', 'hai ben').")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Ký từ ngày (YYYY[-MM[-DD]]).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Ký đến ngày (YYYY[-MM[-DD]]).")] = None,
) -> None:
    """Các thỏa thuận và cam kết của từng bên, theo trụ cột, kèm trích dẫn."""
    if sum((as_json, as_csv, as_md, xlsx is not None)) > 1:
        raise typer.BadParameter("Chọn một trong --json, --csv, --md, --xlsx.")
    settings = settings_from(ctx)
    tracker = Tracker(Library.open(settings), CommitmentCache(settings.tracker_dir))
    filters = AgreementFilters(province, party, pillar, date_from, date_to)
    with progress_bar() as live:
        entries = tracker.agreements(
            filters, progress=lambda done, total: live.count("Đọc cam kết", done, total)
        )
    if as_json:
        typer.echo(entries_json(entries))
    elif as_csv:
        typer.echo(tracker_export.to_csv(entries), nl=False)
    elif as_md:
        typer.echo(tracker_export.to_markdown(entries))
    elif xlsx is not None:
        tracker_export.write_xlsx(entries, xlsx)
        console.print(f"Đã ghi {sum(len(e.commitments) for e in entries)} cam kết vào {xlsx}.")
    else:
        _print(entries)


followup_app = typer.Typer(help="Theo dõi tiến độ cam kết (quản trị).", no_args_is_help=True)
app.add_typer(followup_app, name="followup")


@contextmanager
def _tracking(ctx: typer.Context) -> Iterator[TrackingService]:
    """The tracker with the follow-ups of the settings' database (PostgreSQL's on TROLY_DATABASE__URL)."""
    settings = settings_from(ctx)
    store = open_followups(settings)
    try:
        yield TrackingService(Tracker(Library.open(settings), CommitmentCache(settings.tracker_dir)), store)
    finally:
        store.close()


@followup_app.command("set")
def followup_set(
    ctx: typer.Context,
    commitment_id: Annotated[str, typer.Argument(help="Mã cam kết (cột 'commitment' của --csv).")],
    state: Annotated[str, typer.Argument(help="'chưa triển khai', 'đang triển khai' hoặc 'hoàn thành'.")],
    note: Annotated[str, typer.Option(help="Ghi chú.")] = "",
    on_date: Annotated[str | None, typer.Option("--date", help="Ngày của trạng thái (YYYY-MM-DD).")] = None,
) -> None:
    """Đặt trạng thái một cam kết; được ghi vào nhật ký (troly audit)."""
    with _tracking(ctx) as service:
        follow_up = service.set_status(
            commitment_id, parse_state(state), note, on_date, key_id=None, by="cli"
        )
    db = open_store(settings_from(ctx))
    try:
        db.audit(None, "follow_up", f"{commitment_id} {follow_up.state} {follow_up.date}")
    finally:
        db.close()
    console.print(f"{commitment_id}: {follow_up.state} từ {follow_up.date}.")


@followup_app.command("show")
def followup_show(
    ctx: typer.Context,
    commitment_id: Annotated[str, typer.Argument(help="Mã cam kết.")],
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False,
) -> None:
    """Lịch sử trạng thái của một cam kết, mới nhất trước."""
    with _tracking(ctx) as service:
        history = service.history(commitment_id)
    if as_json:
        typer.echo(json.dumps([h.model_dump(mode="json") for h in history], ensure_ascii=False, indent=1))
        return
    if not history:
        console.print(f"Cam kết {commitment_id} chưa có trạng thái nào.")
    for h in history:
        console.print(f"{h.date}  {h.state}  {h.note}  ({h.by or '-'}, {h.updated_at[:19]})")


@followup_app.command("review")
def followup_review(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON.")] = False
) -> None:
    """Các trạng thái cần rà soát: đoạn trích của cam kết đã đổi hoặc không còn."""
    with _tracking(ctx) as service:
        items = service.review()
    if as_json:
        typer.echo(json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False, indent=1))
        return
    if not items:
        console.print("Không có trạng thái nào cần rà soát.")
    for item in items:
        why = "đoạn trích đã đổi" if item.reason == "changed" else "không còn trong tài liệu"
        then = f" → cam kết mới {item.replaced_by}" if item.replaced_by else ""
        f = item.follow_up
        console.print(f"{f.commitment_id} ({f.source}): {f.state}, {why}{then}\n  «{f.quote}»")
