"""`troly ingest/search/sources/remove/index/eval run --retrieval-only` through typer's CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import troly.cli  # noqa: F401  (registers the command groups on app)
from tests.index.helpers import write_corpus
from troly.cli.app import app
from troly.errors import IndexCorruptError, TrolyError

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # BM25 only keeps these tests fast; the real embedder is exercised by test_eval_run_retrieval_only.
    return {"TROLY_HOME": str(tmp_path / "home"), "TROLY_EMBEDDING__BACKEND": "none", "COLUMNS": "200"}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


def test_ingest_prints_a_summary_and_is_incremental(env: dict[str, str], corpus: Path) -> None:
    first = runner.invoke(app, ["ingest", str(corpus)], env=env)
    assert first.exit_code == 0, first.output
    assert "thêm mới" in first.output and "3" in first.output
    again = runner.invoke(app, ["ingest", str(corpus)], env=env)
    assert again.exit_code == 0
    assert json.loads(runner.invoke(app, ["sources", "--json"], env=env).output)[0]["chunks"] >= 1
    resized = runner.invoke(app, ["ingest", str(corpus)], env={**env, "TROLY_CHUNKING__TARGET_WORDS": "25"})
    assert resized.exit_code == 0, resized.output
    assert "3 tệp không đổi được xử lý lại" in resized.output


def test_failed_files_are_listed_and_exit_1(env: dict[str, str], corpus: Path) -> None:
    (corpus / "hong.pdf").write_bytes(b"%PDF-1.4 not really")
    result = runner.invoke(app, ["ingest", str(corpus)], env=env)
    assert result.exit_code == 1
    assert "hong.pdf" in result.output and "Tệp lỗi" in result.output


def test_search_table_and_json(env: dict[str, str], corpus: Path) -> None:
    runner.invoke(app, ["ingest", str(corpus)], env=env)
    table = runner.invoke(app, ["search", "can tho xep hang bao nhieu", "-k", "2"], env=env)
    assert table.exit_code == 0 and "can-tho.txt" in table.output
    result = runner.invoke(app, ["search", "Đông Hà", "--json", "-k", "1"], env=env)
    hits = json.loads(result.output)
    assert len(hits) == 1 and hits[0]["chunk"]["doc_id"] == "quang-tri.txt" and hits[0]["rank"] == 1
    filtered = runner.invoke(app, ["search", "lúa", "--json", "--source", "can-tho"], env=env)
    assert all(h["chunk"]["doc_id"] == "can-tho.txt" for h in json.loads(filtered.output))


def test_sources_remove_and_verify(env: dict[str, str], corpus: Path) -> None:
    runner.invoke(app, ["ingest", str(corpus)], env=env)
    assert "quang-tri.txt" in runner.invoke(app, ["sources"], env=env).output
    removed = runner.invoke(app, ["remove", "quang-tri.txt"], env=env)
    assert removed.exit_code == 0 and "Đã xoá" in removed.output
    ids = [d["id"] for d in json.loads(runner.invoke(app, ["sources", "--json"], env=env).output)]
    assert "quang-tri.txt" not in ids
    unknown = runner.invoke(app, ["remove", "khong-co.txt"], env=env)
    assert isinstance(unknown.exception, TrolyError) and unknown.exception.code == "not_found"
    verified = runner.invoke(app, ["index", "verify"], env=env)
    assert verified.exit_code == 0 and "hợp lệ" in verified.output


def test_corrupt_index_verify_then_rebuild(env: dict[str, str], corpus: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["ingest", str(corpus)], env=env)
    index_dir = tmp_path / "home" / "index"
    (next(index_dir.glob("gen-*")) / "chunks.jsonl").write_text("{}", encoding="utf-8")
    verified = runner.invoke(app, ["index", "verify"], env=env)
    assert verified.exit_code == 1
    searched = runner.invoke(app, ["search", "Cần Thơ"], env=env)
    assert isinstance(searched.exception, IndexCorruptError)
    rebuilt = runner.invoke(app, ["index", "rebuild"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert runner.invoke(app, ["index", "verify"], env=env).exit_code == 0


def test_user_errors_print_a_message_not_a_traceback(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from troly.cli import main; main()", "search", "  "],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Câu hỏi trống" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_eval_run_retrieval_only(tmp_path: Path, corpus: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    questions = [
        {
            "id": "q1",
            "question": "Cần Thơ xếp hạng thứ mấy về chuyển đổi số?",
            "answers": ["12"],
            "sources": ["can-tho.txt"],
        },
        {
            "id": "q2",
            "question": "trung tam hanh chinh cong cua Quang Tri o dau",
            "answers": ["Đông Hà"],
            "sources": ["quang-tri.txt"],
        },
        {"id": "q3", "question": "Ai được đi du lịch mặt trăng?", "answerable": False},
    ]
    qa.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions), encoding="utf-8")
    out = tmp_path / "results.jsonl"
    env = {"TROLY_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    args = ["eval", "run", "--qa", str(qa), "--corpus", str(corpus), "--out", str(out), "--retrieval-only"]
    result = runner.invoke(app, [*args, "--k", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert "hit@1" in result.output and "gõ không dấu" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["q1", "q2", "q3"]
    assert rows[0]["retrieved"][0]["source"] == "can-tho.txt"
    assert rows[1]["retrieved"][0]["source"] == "quang-tri.txt"
    assert rows[0]["answer"] == "" and rows[0]["refused"] is False and rows[0]["citations"] == []
    assert rows[0]["timings_ms"]["retrieve"] > 0 and len(rows[0]["retrieved"]) <= 3
    missing = runner.invoke(
        app,
        [
            "eval",
            "run",
            "--qa",
            str(qa),
            "--corpus",
            str(tmp_path / "x"),
            "--out",
            str(out),
            "--retrieval-only",
        ],
        env=env,
    )
    assert isinstance(missing.exception, TrolyError) and missing.exception.code == "eval_input"
