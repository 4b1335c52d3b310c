"""`troly feedback export --qa FILE [--since DATE]` writes reviewed feedback in EVAL-FORMAT.md's format, and
`troly eval run --qa FILE` runs it: the real eval command over a real BM25 index, the LLM an Ollama stand-in
on loopback (tests/fakes/ollama_server.py)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import troly.cli  # noqa: F401  (registers the command groups on app)
from tests.fakes.ollama_server import FakeOllama
from troly.cli.app import app
from troly.records import Answer, Citation
from troly.settings import DatabaseSettings
from web.console_records import Review
from web.db import Database
from web.postgres_store import PostgresStore
from web.store import StateStore, open_console

runner = CliRunner()

HUE = "Thừa Thiên Huế ký thỏa thuận hợp tác chuyển đổi số với Tập đoàn VNPT ngày 12/3/2021 tại thành phố Huế."
QUANG_TRI = "Quảng Trị ký thỏa thuận hợp tác chuyển đổi số với Viettel năm 2020 tại Đông Hà."


def _answer(answer_id: str, question: str, source: str, quote: str) -> Answer:
    citation = Citation(n=1, source=source, chunk_id=f"{source}#0", quote=quote, start=0, end=len(quote))
    return Answer(id=answer_id, question=question, text=f"{quote} [1]", refused=False, citations=[citation])


def _reviewed_feedback(db: StateStore) -> None:
    """Three answers with feedback, two of them reviewed (as on the /admin inbox); closes `db`."""
    store = open_console(db)
    items = [
        ("a1", "Thừa Thiên Huế ký thỏa thuận chuyển đổi số với ai?", "hue.txt", HUE),
        ("a2", "Lệ phí cấp giấy phép xây dựng ở Huế là bao nhiêu?", "hue.txt", HUE),
        ("a3", "Quảng Trị ký với ai?", "quang-tri.txt", QUANG_TRI),
    ]
    for answer_id, question, source, quote in items:
        db.save_answer(_answer(answer_id, question, source, quote), conversation_id=None, key_id=None)
    first = db.add_feedback("a1", "down", "Sai tên bên ký", key_id=None)
    second = db.add_feedback("a2", "down", None, key_id=None)
    db.add_feedback("a3", "up", None, key_id=None)  # not reviewed: not exported
    store.save_review(first, None, Review(answerable=True, answers=["Tập đoàn VNPT"], sources=["hue.txt"]))
    store.save_review(second, None, Review(answerable=False))
    db.close()


def test_export_then_eval_run_on_it(tmp_path: Path, ollama_server: FakeOllama) -> None:
    home = tmp_path / "home"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hue.txt").write_text(HUE, encoding="utf-8")
    (corpus / "quang-tri.txt").write_text(QUANG_TRI, encoding="utf-8")
    _reviewed_feedback(Database(home / "troly.sqlite3"))
    env = {
        "TROLY_HOME": str(home),
        "TROLY_EMBEDDING__BACKEND": "none",
        "TROLY_LLM__BACKEND": "ollama",
        "TROLY_OLLAMA__HOST": ollama_server.url,
        "COLUMNS": "200",
    }
    qa = tmp_path / "phan-hoi.jsonl"
    exported = runner.invoke(app, ["feedback", "export", "--qa", str(qa)], env=env)
    assert exported.exit_code == 0, exported.output
    assert "2 câu hỏi" in exported.output
    lines = [json.loads(line) for line in qa.read_text(encoding="utf-8").splitlines()]
    assert [list(line) for line in lines] == [
        ["id", "question", "answers", "all_of", "sources", "answerable"]
    ] * 2
    assert lines[0]["answers"] == ["Tập đoàn VNPT"] and lines[0]["sources"] == ["hue.txt"]
    assert lines[1]["answerable"] is False

    ollama_server.enqueue("Thừa Thiên Huế ký thỏa thuận với Tập đoàn VNPT [1].")
    out = tmp_path / "ket-qua.jsonl"
    args = ["eval", "run", "--qa", str(qa), "--corpus", str(corpus), "--out", str(out)]
    ran = runner.invoke(app, args, env=env)
    assert ran.exit_code == 0, ran.output
    results = {row["id"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(results) == {line["id"] for line in lines}
    answered = results[lines[0]["id"]]
    assert answered["retrieved"][0]["source"] == "hue.txt"
    assert "VNPT" in answered["answer"] and not answered["refused"]
    assert results[lines[1]["id"]]["refused"] is True
    summary = json.loads(out.with_suffix(".summary.json").read_text(encoding="utf-8"))
    assert summary["metrics"]["answer_accuracy"] == 1.0
    assert summary["metrics"]["refusal_accuracy"] == 1.0


def test_export_since_a_later_day_writes_an_empty_file_and_a_bad_date_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _reviewed_feedback(Database(home / "troly.sqlite3"))
    env = {"TROLY_HOME": str(home)}
    qa = tmp_path / "qa.jsonl"
    later = runner.invoke(app, ["feedback", "export", "--qa", str(qa), "--since", "2999-01-01"], env=env)
    assert later.exit_code == 0 and qa.read_text(encoding="utf-8") == ""
    bad = runner.invoke(app, ["feedback", "export", "--qa", str(qa), "--since", "hôm qua"], env=env)
    assert bad.exit_code != 0
    assert "YYYY-MM-DD" in str(bad.exception)


def test_export_from_a_postgresql_installation(tmp_path: Path, pg_url: str) -> None:
    """Reviews made on any replica's /admin are in PostgreSQL; the export reads them there, not a home's file."""
    _reviewed_feedback(PostgresStore(DatabaseSettings(url=pg_url)))
    env = {"TROLY_HOME": str(tmp_path / "home"), "TROLY_DATABASE__URL": pg_url, "COLUMNS": "200"}
    qa = tmp_path / "phan-hoi.jsonl"
    exported = runner.invoke(app, ["feedback", "export", "--qa", str(qa)], env=env)
    assert exported.exit_code == 0, exported.output
    assert "2 câu hỏi" in exported.output and not (tmp_path / "home" / "troly.sqlite3").exists()
    lines = [json.loads(line) for line in qa.read_text(encoding="utf-8").splitlines()]
    assert [(line["question"], line["answers"], line["sources"], line["answerable"]) for line in lines] == [
        ("Thừa Thiên Huế ký thỏa thuận chuyển đổi số với ai?", ["Tập đoàn VNPT"], ["hue.txt"], True),
        ("Lệ phí cấp giấy phép xây dựng ở Huế là bao nhiêu?", [], [], False),
    ]
    store = PostgresStore(DatabaseSettings(url=pg_url))
    try:
        assert [e["detail"] for e in store.audit_log(10, "export")] == ["2 câu hỏi (dòng lệnh)"]
    finally:
        store.close()
