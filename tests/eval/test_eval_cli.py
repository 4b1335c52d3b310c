"""`troly eval run` (retrieval-only, resume, report) and `troly eval compare` through typer's CliRunner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import troly.cli  # noqa: F401  (registers the command groups on app)
from eval.summary import ResumeMismatchError, SummaryFormatError, load_summary, write_summary
from troly.cli.app import app

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {"TROLY_HOME": str(tmp_path / "home"), "TROLY_EMBEDDING__BACKEND": "none", "COLUMNS": "200"}


def _run(qa: Path, corpus: Path, out: Path, *extra: str) -> list[str]:
    """`troly eval run --retrieval-only` (BM25 only: fast, and no LLM needed)."""
    args = ["eval", "run", "--qa", str(qa), "--corpus", str(corpus), "--out", str(out), "--retrieval-only"]
    return [*args, *extra]


def test_run_limit_resume_report_and_compare(tmp_path: Path, corpus: Path, qa_file: Path) -> None:
    env = _env(tmp_path)
    out = tmp_path / "a.jsonl"
    first = runner.invoke(app, _run(qa_file, corpus, out, "--limit", "2"), env=env)
    assert first.exit_code == 0, first.output
    assert "hit@1" in first.output and "a.summary.json" in first.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    report = tmp_path / "report"
    again = runner.invoke(app, _run(qa_file, corpus, out, "--report", str(report)), env=env)
    assert again.exit_code == 0, again.output
    assert "2 câu đã có kết quả" in again.output
    assert (report / "report.md").is_file() and (report / "report.html").is_file()

    other = tmp_path / "b.jsonl"
    third = runner.invoke(app, _run(qa_file, corpus, other, "--k", "1"), env=env)
    assert third.exit_code == 0, third.output
    compared = runner.invoke(
        app,
        ["eval", "compare", str(out.with_suffix(".summary.json")), str(other.with_suffix(".summary.json"))],
        env=env,
    )
    assert compared.exit_code == 0, compared.output
    assert "retrieval.hit@3" in compared.output and "Cấu hình khác: k: 5 → 1" in compared.output


def test_resume_mismatch_is_a_clear_error(tmp_path: Path, corpus: Path, qa_file: Path) -> None:
    env = _env(tmp_path)
    out = tmp_path / "a.jsonl"
    assert runner.invoke(app, _run(qa_file, corpus, out), env=env).exit_code == 0
    changed = runner.invoke(app, _run(qa_file, corpus, out, "--k", "2"), env=env)
    assert isinstance(changed.exception, ResumeMismatchError)
    fresh = runner.invoke(app, _run(qa_file, corpus, out, "--k", "2", "--fresh"), env=env)
    assert fresh.exit_code == 0, fresh.output


def test_compare_rejects_a_file_that_is_not_a_summary(tmp_path: Path) -> None:
    bad = tmp_path / "x.summary.json"
    bad.write_text("{}", encoding="utf-8")
    result = runner.invoke(app, ["eval", "compare", str(bad), str(bad)])
    assert isinstance(result.exception, SummaryFormatError)
    done = subprocess.run(
        [sys.executable, "-c", "from troly.cli import main; main()", "eval", "compare", str(bad), str(bad)],
        env={**os.environ, **_env(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "không phải tệp tóm tắt" in done.stderr and "Traceback" not in done.stderr


def test_summary_round_trip(tmp_path: Path, corpus: Path, qa_file: Path) -> None:
    out = tmp_path / "a.jsonl"
    runner.invoke(app, _run(qa_file, corpus, out), env=_env(tmp_path))
    path = out.with_suffix(".summary.json")
    summary = load_summary(path)
    write_summary(path, summary)
    assert load_summary(path) == summary
    assert json.loads(path.read_text(encoding="utf-8"))["config"]["mode"] == "retrieval-only"
