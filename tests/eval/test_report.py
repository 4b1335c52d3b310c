from __future__ import annotations

from pathlib import Path

from eval.qa import CitedSource, QAItem, ResultLine, RetrievedSource
from eval.report import failures, metric_rows, render_html, render_markdown, write_report
from eval.scoring import score_with_subsets
from eval.summary import RunConfig, Summary, definitions

ITEMS = [
    QAItem(id="q1", question="Ở đâu?", answers=["Đông Hà"], sources=["a.txt"]),
    QAItem(id="q2", question="Bao nhiêu?", answers=["110"], sources=["b.txt"]),
    QAItem(id="q3", question="Không có?", answerable=False),
    QAItem(id="q4", question="Ai?", answers=["Ông <b>A</b> | B"], sources=["b.txt"]),
]
ROWS = {
    "q1": ResultLine(
        id="q1", question="Ở đâu?", answer="Tại Đông Hà.", retrieved=[RetrievedSource(source="a.txt")]
    ),
    "q2": ResultLine(
        id="q2",
        question="Bao nhiêu?",
        answer="Có 1100 người [1].",
        citations=[CitedSource(n=1, source="b.txt", chunk_id="b.txt#0", quote="Xã có 1100 người.")],
        retrieved=[RetrievedSource(source="c.txt", chunk_id="c.txt#2", score=0.5)],
        timings_ms={"total": 120.0},
    ),
    "q3": ResultLine(id="q3", question="Không có?", answer="Có 5 tỷ.", timings_ms={"total": 80.0}),
    "q4": ResultLine(id="q4", question="Ai?", answer="", refused=True),
}


def _summary(mode: str = "full", baseline: dict[str, object] | None = None) -> Summary:
    config = RunConfig.model_validate(
        {
            "mode": mode,
            "qa_file": "qa.jsonl",
            "qa_sha256": "0" * 64,
            "corpus": "/kho",
            "k": 1,
            "fusion": "weighted",
            "dense_weight": 0.3,
            "candidates": 50,
            "chunking": {},
            "evidence_tokens": 350,
            "min_evidence_score": 0.0,
            "max_tokens": 160,
            "temperature": 0.0,
        }
    )
    metrics = score_with_subsets(ITEMS, ROWS, answers=mode != "retrieval-only")
    return Summary(
        results_file="r.jsonl",
        config=config,
        fingerprint=config.fingerprint(),
        git_commit="abc",
        started_at="t0",
        metrics=metrics,
        baseline=baseline,
        definitions=definitions(),
    )


def test_failures_name_the_reason_and_carry_evidence_text() -> None:
    texts = {"c.txt#2": "Đoạn   văn\nbằng chứng " * 80}
    found = failures(ITEMS, ROWS, answers=True, k=1, chunk_text=texts.get)
    reasons = {f.item.id: f.reason for f in found}
    assert set(reasons) == {"q2", "q3", "q4"}
    assert "từ chối" in reasons["q4"] and "bịa" in reasons["q3"]
    evidence = next(f for f in found if f.item.id == "q2").evidence
    assert evidence[0][:3] == ("c.txt", "c.txt#2", 0.5)
    assert evidence[0][3].startswith("Đoạn văn bằng chứng") and len(evidence[0][3]) == 400


def test_retrieval_only_failures_are_misses() -> None:
    found = failures(ITEMS, ROWS, answers=False, k=1)
    assert [f.item.id for f in found] == ["q2", "q4"]


def test_markdown_and_html_render_metrics_failures_and_escape() -> None:
    summary = _summary(baseline={"answer_accuracy": 0.25})
    fails = failures(ITEMS, ROWS, answers=True, k=1)
    markdown = render_markdown(summary, fails, [])
    assert "| answer_accuracy | 0.333 | 0.250 | 1.33× |" in markdown
    assert "Ông <b>A</b> | B" in markdown
    page = render_html(summary, fails, [])
    assert "Ông &lt;b&gt;A&lt;/b&gt; | B" in page and "<b>A</b>" not in page
    assert ("answer_accuracy", "0.333", "", "") in metric_rows(_summary())


def test_write_report_files(tmp_path: Path) -> None:
    files = write_report(tmp_path / "rep", _summary(), ITEMS, ROWS)
    assert files.markdown.is_file() and files.html.is_file()
    assert [p.name for p in files.plots] == ["metrics.png", "latency.png"]
    assert "![latency](latency.png)" in files.markdown.read_text(encoding="utf-8")
