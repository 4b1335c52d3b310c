"""`troly eval ...`: run QA benchmarks against the index (and, later, the assistant)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from eval.compare import comparison_table, config_differences
from eval.runner import EvalOptions, EvalRun, RetrievalRun, run_eval
from eval.summary import load_summary
from troly.cli.app import app, console, settings_from
from troly.cli.index_cmds import progress_bar

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


def answers_table(metrics: dict[str, Any]) -> Table:
    table = Table(title="Câu trả lời")
    table.add_column("câu hỏi")
    names = {
        "answer_accuracy": "đúng",
        "answer_token_recall": "recall từ",
        "citation_accuracy": "trích dẫn đúng",
        "false_refusal_rate": "từ chối nhầm",
        "refusal_accuracy": "từ chối đúng",
        "unsupported_answers": "số liệu không có nguồn",
        "misattributed": "gán nhầm chủ thể",
    }
    for label in names.values():
        table.add_column(label, justify="right")
    for label, part in (("tất cả", metrics), ("gõ không dấu", metrics.get("unaccented", {}))):
        values = [part.get(key) if isinstance(part, dict) else None for key in names]
        table.add_row(
            label, *("–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v) for v in values)
        )
    return table


def _cell(value: object) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _print_retrieval(run: RetrievalRun | EvalRun, out: Path) -> None:
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
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Chạy thêm pipeline đơn giản để so sánh (cùng mô hình).")
    ] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Thư mục ghi báo cáo Markdown/HTML kèm biểu đồ.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Chỉ chạy N câu hỏi đầu.")] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Bỏ kết quả cũ trong --out và chạy lại từ đầu.")
    ] = False,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Số đoạn truy xuất mỗi câu hỏi.")] = 5,
) -> None:
    """Chạy bộ câu hỏi trên kho tài liệu, ghi kết quả; chạy lại cùng lệnh sẽ tiếp tục phần còn dở."""
    options = EvalOptions(
        qa=qa,
        corpus=corpus,
        out=out,
        retrieval_only=retrieval_only,
        baseline=baseline,
        k=k,
        limit=limit,
        fresh=fresh,
        report=report,
    )
    with progress_bar() as live:
        result = run_eval(
            settings_from(ctx),
            options,
            ingest_progress=live.ingest,
            on_question=lambda done, total: live.count("Câu hỏi", done, total),
        )
    if result.resumed:
        console.print(f"Tiếp tục lần chạy trước: {result.resumed} câu đã có kết quả, không chạy lại.")
    _print_retrieval(result, out)
    if not retrieval_only:
        console.print(answers_table(result.metrics))
    if result.summary.baseline is not None:
        console.print(
            f"Baseline: {len(result.baseline_rows or [])} câu, so sánh trong {result.summary_file}."
        )
    console.print(f"Tóm tắt: {result.summary_file}")
    if result.report is not None:
        console.print(f"Báo cáo: {result.report.markdown} và {result.report.html}")


@eval_app.command("compare")
def compare(
    a: Annotated[Path, typer.Argument(help="Tệp tóm tắt A (*.summary.json).")],
    b: Annotated[Path, typer.Argument(help="Tệp tóm tắt B (*.summary.json).")],
) -> None:
    """In chênh lệch các chỉ số giữa hai lần chạy (B so với A)."""
    first, second = load_summary(a), load_summary(b)
    console.print(comparison_table(first, second, title_a=a.name, title_b=b.name))
    for field, old, new in config_differences(first, second):
        console.print(f"Cấu hình khác: {field}: {old} → {new}")
