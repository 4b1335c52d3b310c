"""`troly eval ...`: run QA benchmarks against the index (and, later, the assistant)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from eval.runner import RetrievalRun, run_retrieval
from index.library import Library
from troly.cli.app import app, console, settings_from
from troly.cli.index_cmds import progress_bar
from troly.errors import TrolyError

eval_app = typer.Typer(help="Đánh giá chất lượng trên bộ câu hỏi.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


def retrieval_table(metrics: dict[str, Any], ks: tuple[int, ...]) -> Table:
    table = Table(title="Truy xuất (mức tài liệu)")
    table.add_column("câu hỏi")
    table.add_column("số câu", justify="right")
    for k in ks:
        table.add_column(f"hit@{k}", justify="right")
    table.add_column("MRR", justify="right")
    for label, part in (("tất cả", metrics), ("gõ không dấu", metrics.get("unaccented", {}))):
        scores = part.get("retrieval", {}) if isinstance(part, dict) else {}
        count = int(scores.get("count", 0))
        cells = [f"{scores.get(f'hit@{k}', 0.0):.3f}" for k in ks]
        table.add_row(label, str(count), *cells, f"{scores.get('mrr', 0.0):.3f}")
    return table


def _print_retrieval(run: RetrievalRun, out: Path) -> None:
    counts = run.ingest.counts
    console.print(
        f"Tài liệu: {counts['added']} thêm, {counts['updated']} cập nhật, {counts['skipped']} không đổi, "
        f"{counts['failed']} lỗi."
    )
    console.print(retrieval_table(run.metrics, (1, 3, 5)))
    latency = run.metrics.get("latency_ms", {})
    retrieve = latency.get("retrieve") if isinstance(latency, dict) else None
    if retrieve:
        console.print(f"Thời gian truy xuất: p50 {retrieve['p50']:.1f} ms, p95 {retrieve['p95']:.1f} ms.")
    console.print(f"Đã ghi {len(run.rows)} dòng kết quả vào {out}")


@eval_app.command("run")
def run(
    ctx: typer.Context,
    qa: Annotated[Path, typer.Option("--qa", help="Tệp câu hỏi JSONL (xem EVAL-FORMAT.md).")],
    corpus: Annotated[Path, typer.Option("--corpus", help="Thư mục tài liệu mà câu hỏi dựa vào.")],
    out: Annotated[Path, typer.Option("--out", help="Tệp kết quả JSONL sẽ ghi.")],
    retrieval_only: Annotated[
        bool, typer.Option("--retrieval-only", help="Chỉ đánh giá truy xuất (không cần mô hình ngôn ngữ).")
    ] = False,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Số đoạn truy xuất mỗi câu hỏi.")] = 5,
) -> None:
    """Chạy bộ câu hỏi trên kho tài liệu và ghi kết quả."""
    if not retrieval_only:
        raise TrolyError(
            "Chế độ đánh giá có mô hình ngôn ngữ chưa sẵn sàng; hãy dùng --retrieval-only.",
            code="eval_mode_unavailable",
        )
    library = Library.open(settings_from(ctx))
    with progress_bar() as live:
        result = run_retrieval(
            library,
            qa,
            corpus,
            out,
            k=k,
            ingest_progress=live.ingest,
            on_question=lambda done, total: live.count("Câu hỏi", done, total),
        )
    _print_retrieval(result, out)
