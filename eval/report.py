"""Markdown and HTML report of one run: configuration, metrics (beside the baseline's when it ran), plots and
the failures with the evidence that retrieval brought back."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined

from eval.compare import flatten, format_value
from eval.qa import QAItem, ResultLine
from eval.retrieval import hit_at_k
from eval.scoring import is_correct
from eval.summary import Summary

ChunkText = Callable[[str], str | None]

# Headline metrics drawn as bars (all shares in 0..1).
BAR_METRICS = (
    "answer_accuracy",
    "answer_token_recall",
    "citation_accuracy",
    "refusal_accuracy",
    "false_refusal_rate",
    "retrieval.hit@1",
    "retrieval.hit@3",
    "retrieval.hit@5",
    "retrieval.mrr",
)
EVIDENCE_CHARS = 400


@dataclass(frozen=True)
class Failure:
    item: QAItem
    row: ResultLine
    reason: str
    evidence: list[tuple[str, str, float, str]] = field(default_factory=list)  # source, chunk, score, text


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    html: Path
    plots: list[Path]


def failures(
    items: Sequence[QAItem],
    rows: Mapping[str, ResultLine],
    *,
    answers: bool,
    k: int,
    chunk_text: ChunkText | None = None,
) -> list[Failure]:
    """Wrong answers, false refusals, invented answers to unanswerable questions, or (retrieval-only runs)
    questions whose gold document was not retrieved in the first k."""
    found: list[Failure] = []
    for item in items:
        row = rows.get(item.id)
        if row is None:
            continue
        reason = _failure_reason(item, row, answers=answers, k=k)
        if reason is None:
            continue
        evidence = [
            (r.source, r.chunk_id, r.score, _clip((chunk_text(r.chunk_id) if chunk_text else None) or ""))
            for r in row.retrieved
        ]
        found.append(Failure(item=item, row=row, reason=reason, evidence=evidence))
    return found


def _failure_reason(item: QAItem, row: ResultLine, *, answers: bool, k: int) -> str | None:
    if not answers:
        if item.sources and not hit_at_k([r.source for r in row.retrieved], item.sources, k):
            return f"không tìm thấy tài liệu đúng trong {k} kết quả đầu"
        return None
    if not item.answerable:
        return None if row.refused else "bịa câu trả lời cho câu hỏi không có trong tài liệu"
    if row.refused:
        return "từ chối dù tài liệu có câu trả lời"
    return None if is_correct(item, row.answer, row.refused) else "trả lời sai hoặc thiếu"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1] + "…"


def metric_rows(summary: Summary) -> list[tuple[str, str, str, str]]:
    """(metric, value, baseline value, ratio) with '' where there is no baseline."""
    ours = flatten(summary.metrics)
    base = flatten(summary.baseline or {})
    out: list[tuple[str, str, str, str]] = []
    for key, value in ours.items():
        if key.endswith(".count"):
            continue
        other = base.get(key)
        ratio = f"{value / other:.2f}×" if other else ""
        out.append((key, format_value(value), format_value(other) if summary.baseline else "", ratio))
    return out


def plot_metrics(summary: Summary, folder: Path) -> list[Path]:
    """Metric bars (with the baseline beside) and the latency distribution, as PNG files; [] without
    matplotlib (install the `troly[eval]` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    ours, base = flatten(summary.metrics), flatten(summary.baseline or {})
    names = [m for m in BAR_METRICS if m in ours]
    paths: list[Path] = []
    if names:
        fig, ax = plt.subplots(figsize=(8, 3.6))
        width = 0.4 if base else 0.8
        xs = list(range(len(names)))
        ax.bar([x - (width / 2 if base else 0) for x in xs], [ours[n] for n in names], width, label="troly")
        if base:
            ax.bar([x + width / 2 for x in xs], [base.get(n, 0.0) for n in names], width, label="baseline")
            ax.legend(loc="lower right", framealpha=0.9)
        ax.set_xticks(xs, names, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title("Chỉ số")
        fig.tight_layout()
        paths.append(folder / "metrics.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths


def plot_latency(rows: Sequence[ResultLine], folder: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    series: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.timings_ms.items():
            series.setdefault(key, []).append(value)
    if not series:
        return []
    keys = sorted(series)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.boxplot([series[k] for k in keys])
    ax.set_xticks(range(1, len(keys) + 1), keys)
    ax.set_yscale("log")
    ax.set_ylabel("ms")
    ax.set_title(f"Phân bố độ trễ ({len(rows)} câu hỏi)")
    fig.tight_layout()
    path = folder / "latency.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(summary: Summary, fails: Sequence[Failure], plots: Sequence[Path]) -> str:
    cfg = summary.config
    lines = [
        f"# Báo cáo đánh giá: {summary.results_file}",
        "",
        f"- Chế độ: `{cfg.mode}`, k = {cfg.k}, fusion = `{cfg.fusion}`, "
        f"prompt = `{cfg.prompt_version or '–'}`",
        f"- Bộ câu hỏi: `{cfg.qa_file}` (sha256 {cfg.qa_sha256[:12]}), kho tài liệu: `{cfg.corpus}`",
        f"- Commit: `{summary.git_commit}`; bắt đầu {summary.started_at}, xong {summary.finished_at or '–'}",
    ]
    lines += [
        f"- Mô hình {m.role}: `{m.name}` ({m.backend}, sha256 {(m.sha256 or '–')[:16]})" for m in cfg.models
    ]
    has_base = summary.baseline is not None
    lines += ["", "## Chỉ số", ""]
    lines.append("| chỉ số | troly | baseline | tỉ lệ |" if has_base else "| chỉ số | giá trị |")
    lines.append("| --- | ---: | ---: | ---: |" if has_base else "| --- | ---: |")
    for metric, value, base, ratio in metric_rows(summary):
        lines.append(f"| {metric} | {value} | {base} | {ratio} |" if has_base else f"| {metric} | {value} |")
    lines += ["", *[f"![{p.stem}]({p.name})" for p in plots]]
    lines += ["", f"## Câu sai ({len(fails)})", ""]
    for fail in fails:
        gold = ", ".join(fail.item.answers + fail.item.all_of) or "(không có trong tài liệu)"
        lines += [
            f"### {fail.item.id}: {fail.reason}",
            "",
            f"- Câu hỏi: {fail.item.question}",
            f"- Đáp án chuẩn: {gold}; nguồn: {', '.join(fail.item.sources) or '–'}",
            f"- Trả lời: {fail.row.answer or '–'}",
        ]
        lines += [f"- Trích dẫn [{c.n}] `{c.source}`: {_clip(c.quote)}" for c in fail.row.citations]
        lines += ["", "| # | nguồn | đoạn | điểm | nội dung |", "| ---: | --- | --- | ---: | --- |"]
        for rank, (source, chunk, score, text) in enumerate(fail.evidence, start=1):
            lines.append(
                f"| {rank} | {_md_cell(source)} | {_md_cell(chunk)} | {score:.3f} | {_md_cell(text)} |"
            )
        lines.append("")
    lines.append("## Định nghĩa")
    lines += [f"- **{k}**: {v}" for k, v in summary.definitions.items()]
    return "\n".join(lines) + "\n"


_HTML = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Báo cáo {{ summary.results_file }}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:14px}
td.n{text-align:right}.fail{border-top:2px solid #c33;margin-top:1.5em}</style></head><body>
<h1>Báo cáo đánh giá: {{ summary.results_file }}</h1>
<ul><li>Chế độ <code>{{ cfg.mode }}</code>, k = {{ cfg.k }}, fusion <code>{{ cfg.fusion }}</code>,
prompt <code>{{ cfg.prompt_version or "–" }}</code></li>
<li>Bộ câu hỏi <code>{{ cfg.qa_file }}</code>, kho <code>{{ cfg.corpus }}</code></li>
<li>Commit <code>{{ summary.git_commit }}</code>;
{{ summary.started_at }} → {{ summary.finished_at or "–" }}</li>
{% for m in cfg.models %}<li>Mô hình {{ m.role }}: <code>{{ m.name }}</code> ({{ m.backend }},
sha256 {{ (m.sha256 or "–")[:16] }})</li>{% endfor %}</ul>
<h2>Chỉ số</h2><table><tr><th>chỉ số</th><th>troly</th>
{% if has_base %}<th>baseline</th><th>tỉ lệ</th>{% endif %}</tr>
{% for metric, value, base, ratio in rows %}<tr><td>{{ metric }}</td><td class="n">{{ value }}</td>
{% if has_base %}<td class="n">{{ base }}</td><td class="n">{{ ratio }}</td>{% endif %}</tr>
{% endfor %}</table>
{% for p in plots %}<img src="{{ p.name }}" alt="{{ p.stem }}">{% endfor %}
<h2>Câu sai ({{ fails|length }})</h2>
{% for f in fails %}<div class="fail"><h3>{{ f.item.id }}: {{ f.reason }}</h3>
<p><b>Câu hỏi:</b> {{ f.item.question }}<br><b>Đáp án chuẩn:</b>
{{ (f.item.answers + f.item.all_of)|join(", ") or "(không có trong tài liệu)" }}
— nguồn {{ f.item.sources|join(", ") or "–" }}<br><b>Trả lời:</b> {{ f.row.answer or "–" }}</p>
{% for c in f.row.citations %}<p>[{{ c.n }}] <code>{{ c.source }}</code>: {{ c.quote }}</p>{% endfor %}
<table><tr><th>#</th><th>nguồn</th><th>đoạn</th><th>điểm</th><th>nội dung</th></tr>
{% for source, chunk, score, text in f.evidence %}<tr><td>{{ loop.index }}</td><td>{{ source }}</td>
<td>{{ chunk }}</td><td class="n">{{ "%.3f"|format(score) }}</td><td>{{ text }}</td></tr>{% endfor %}
</table></div>{% endfor %}
<h2>Định nghĩa</h2><ul>{% for k, v in summary.definitions.items() %}<li><b>{{ k }}</b>: {{ v }}</li>
{% endfor %}</ul></body></html>
"""


def render_html(summary: Summary, fails: Sequence[Failure], plots: Sequence[Path]) -> str:
    env = Environment(autoescape=True, undefined=StrictUndefined)
    context: dict[str, Any] = {
        "summary": summary,
        "cfg": summary.config,
        "has_base": summary.baseline is not None,
        "rows": metric_rows(summary),
        "plots": plots,
        "fails": fails,
    }
    return env.from_string(_HTML).render(**context)


def write_report(
    folder: Path,
    summary: Summary,
    items: Sequence[QAItem],
    rows: Mapping[str, ResultLine],
    *,
    chunk_text: ChunkText | None = None,
) -> ReportFiles:
    """Writes report.md, report.html and the PNG plots into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    answers = summary.config.mode != "retrieval-only"
    fails = failures(items, rows, answers=answers, k=summary.config.k, chunk_text=chunk_text)
    plots = plot_metrics(summary, folder) + plot_latency(list(rows.values()), folder)
    markdown = folder / "report.md"
    markdown.write_text(render_markdown(summary, fails, plots), encoding="utf-8")
    page = folder / "report.html"
    page.write_text(render_html(summary, fails, plots), encoding="utf-8")
    return ReportFiles(markdown=markdown, html=page, plots=plots)
