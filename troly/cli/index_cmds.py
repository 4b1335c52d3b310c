"""`troly ingest`, `troly search`, `troly sources`, `troly remove`, `troly index rebuild|verify`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from index.ingestion import IngestProgress
from index.library import IngestReport, Library, SearchFilters
from index.tracker import CommitmentCache, Tracker
from troly.cli.app import app, console, err_console, settings_from
from troly.errors import IndexCorruptError

index_app = typer.Typer(help="Bảo trì chỉ mục tài liệu.", no_args_is_help=True)
app.add_typer(index_app, name="index")

_PHASES = {"scan": "Đọc tệp", "embed": "Tạo vector", "write": "Ghi chỉ mục"}
_STATUS = {
    "added": "thêm mới",
    "updated": "cập nhật",
    "skipped": "không đổi",
    "failed": "lỗi",
    "removed": "đã xoá",
}


class LiveProgress:
    """One rich progress display for a command: the ingest phases, plus any counters a command adds."""

    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._tasks: dict[str, TaskID] = {}

    def count(self, label: str, done: int, total: int | None) -> None:
        if label not in self._tasks:
            self._tasks[label] = self._bar.add_task(label, total=total)
        self._bar.update(self._tasks[label], completed=done, total=total)

    def ingest(self, step: IngestProgress) -> None:
        self.count(_PHASES[step.phase], step.done, step.total)


@contextmanager
def progress_bar() -> Iterator[LiveProgress]:
    """A transient rich progress display on stderr."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        yield LiveProgress(bar)


def print_report(report: IngestReport) -> None:
    table = Table(title="Kết quả nạp tài liệu")
    for label in _STATUS.values():
        table.add_column(label, justify="right")
    counts = report.counts
    table.add_row(*(str(counts[s]) for s in _STATUS))
    console.print(table)
    if report.failed:
        failed = Table(title="Tệp lỗi", show_lines=False)
        failed.add_column("tệp")
        failed.add_column("lý do")
        for outcome in report.failed:
            failed.add_row(outcome.source, outcome.reason or "")
        console.print(failed)
    again = sum(1 for o in report.outcomes if o.status == "updated" and o.reason)
    if again:
        console.print(f"{again} tệp không đổi được xử lý lại: phiên bản troly hoặc cỡ đoạn đã thay đổi.")
    where = f"thế hệ {report.generation}" if report.generation is not None else "chưa có chỉ mục"
    console.print(f"Chỉ mục: {where}; {report.embedded} đoạn được tạo vector; {report.elapsed_s:.1f} giây.")


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Tệp hoặc thư mục cần nạp.")],
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Xoá khỏi chỉ mục các tài liệu mà tệp trong các thư mục này đã mất."),
    ] = False,
) -> None:
    """Nạp tài liệu (txt, md, html, pdf, docx); tệp không đổi được bỏ qua."""
    settings = settings_from(ctx)
    library = Library.open(settings)
    with progress_bar() as live:
        report = library.ingest(paths, prune=prune, progress=live.ingest)
        if report.changed:  # the tracker's commitments are made now, so `troly agreements` reads them back
            tracker = Tracker(library, CommitmentCache(settings.tracker_dir))
            tracker.agreements(progress=lambda done, total: live.count("Đọc cam kết", done, total))
    print_report(report)
    if report.failed:
        raise typer.Exit(1)


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Câu hỏi hoặc từ khoá.")],
    k: Annotated[int | None, typer.Option("-k", "--k", min=1, max=100, help="Số kết quả.")] = None,
    source: Annotated[
        str | None, typer.Option(help="Chỉ tìm trong tài liệu có mã bắt đầu bằng chuỗi này.")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Từ ngày (YYYY, YYYY-MM hoặc YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Đến ngày (YYYY, YYYY-MM hoặc YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON.")] = False,
) -> None:
    """Tìm các đoạn văn bản liên quan nhất (không dùng mô hình ngôn ngữ)."""
    library = Library.open(settings_from(ctx))
    filters = SearchFilters(source_prefix=source, date_from=date_from, date_to=date_to)
    hits = library.search(query, k, filters)
    if as_json:
        typer.echo(json.dumps([h.model_dump(mode="json") for h in hits], ensure_ascii=False, indent=1))
        return
    if not hits:
        console.print("Không tìm thấy đoạn nào (chỉ mục trống? hãy chạy: troly ingest THƯ_MỤC).")
        return
    table = Table(show_lines=True)
    for column in ("#", "điểm", "nguồn", "tiêu đề", "trích đoạn"):
        table.add_column(column)
    for hit in hits:
        snippet = " ".join(hit.chunk.text.split())
        snippet = snippet if len(snippet) <= 240 else snippet[:240] + "…"
        table.add_row(str(hit.rank), f"{hit.score:.3f}", hit.chunk.id, hit.chunk.title, snippet)
    console.print(table)


@app.command()
def sources(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="In danh sách dạng JSON.")] = False,
) -> None:
    """Liệt kê các tài liệu đã nạp."""
    library = Library.open(settings_from(ctx))
    documents = library.documents()
    counts: dict[str, int] = {}
    for chunk in library.chunks():
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
    if as_json:
        profiles = {p.doc_id: p for p in library.profiles()}
        rows = [
            {
                "id": d.id,
                "title": d.title,
                "date": d.date,
                "chunks": counts.get(d.id, 0),
                "path": d.path,
                "profile": profiles[d.id].model_dump(mode="json") if d.id in profiles else None,
            }
            for d in documents
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not documents:
        console.print("Chưa có tài liệu nào. Hãy chạy: troly ingest THƯ_MỤC")
        return
    table = Table(title=f"{len(documents)} tài liệu")
    for column in ("mã", "tiêu đề", "ngày", "số đoạn"):
        table.add_column(column)
    for d in documents:
        table.add_row(d.id, d.title, d.date or "", str(counts.get(d.id, 0)))
    console.print(table)


@app.command()
def remove(
    ctx: typer.Context,
    doc_id: Annotated[str, typer.Argument(metavar="ID", help="Mã tài liệu (xem: troly sources).")],
) -> None:
    """Xoá một tài liệu khỏi chỉ mục."""
    report = Library.open(settings_from(ctx)).remove(doc_id)
    console.print(f"Đã xoá {doc_id} (chỉ mục thế hệ {report.generation}).")


@index_app.command()
def rebuild(ctx: typer.Context) -> None:
    """Dựng lại chỉ mục từ các tệp đã ghi nhận (khi chỉ mục hỏng hoặc đổi bộ tạo vector)."""
    library = Library.open(settings_from(ctx))
    with progress_bar() as live:
        report = library.rebuild(progress=live.ingest)
    print_report(report)
    if report.failed:
        raise typer.Exit(1)


@index_app.command()
def verify(ctx: typer.Context) -> None:
    """Kiểm tra mã sha256, số lượng và bộ tạo vector của chỉ mục hiện hành."""
    library = Library.open(settings_from(ctx))
    try:
        problems = library.verify()
    except IndexCorruptError as exc:
        problems = [exc.message]
    if problems:
        for problem in problems:
            err_console.print(f"[red]✗[/red] {problem}")
        raise typer.Exit(1)
    generation = library.generation
    if generation is None:
        console.print("Chưa có chỉ mục.")
        return
    documents, chunks = len(library.documents()), len(library.chunks())
    console.print(f"Chỉ mục thế hệ {generation} hợp lệ: {documents} tài liệu, {chunks} đoạn.")
