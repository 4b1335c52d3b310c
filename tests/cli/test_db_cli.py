"""`troly db upgrade|status|copy|embedded` and the index commands on PostgreSQL, on the real embedded server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

import troly.cli  # noqa: F401  (registers the command groups on app)
from index.library import Library
from tests.index.helpers import HashingEmbedder, settings_for, write_corpus
from tests.index.test_postgres_library import pg_settings
from troly.cli.app import app
from troly.postgres import schema
from troly.records import Answer, FollowUpState
from troly.settings import DatabaseSettings
from web.console_records import Review
from web.copy_installation import copy_installation
from web.db import Database
from web.followups import FollowUp, FollowUpEntry, FollowUpStore, SqliteFollowUps
from web.postgres_followups import PostgresFollowUps
from web.postgres_store import PostgresStore
from web.store import open_console
from web.uploads import stage_job_files

runner = CliRunner()


def test_upgrade_then_status(tmp_path: Path, pg_blank_url: str) -> None:
    env = {"TROLY_HOME": str(tmp_path), "TROLY_DATABASE__URL": pg_blank_url, "COLUMNS": "200"}
    before = runner.invoke(app, ["db", "status"], env=env)
    assert before.exit_code == 1 and "troly db upgrade" in before.output
    upgraded = runner.invoke(app, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0 and f"-> {schema.head_revision()}" in upgraded.output
    again = runner.invoke(app, ["db", "upgrade"], env=env)
    assert again.exit_code == 0 and "đã ở bản mới nhất" in again.output
    assert runner.invoke(app, ["db", "status"], env=env).exit_code == 0
    sqlite_only = runner.invoke(app, ["db", "upgrade"], env={"TROLY_HOME": str(tmp_path)})
    assert sqlite_only.exit_code != 0


def test_upgrades_run_at_once_are_serialised(tmp_path: Path, pg_blank_url: str) -> None:
    """Three replicas' start scripts running `troly db upgrade` together: one migrates, the others wait on the
    advisory lock, then find the schema at head."""
    env = {**os.environ, "TROLY_HOME": str(tmp_path), "TROLY_DATABASE__URL": pg_blank_url}
    cli = [sys.executable, "-c", "from troly.cli import main; main()", "db", "upgrade"]
    runs = [
        subprocess.Popen(cli, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert sum("Đã nâng lược đồ" in out for out in outputs) >= 1
    assert schema.status(pg_blank_url).up_to_date


def test_copy_moves_an_installation_and_nothing_is_lost(tmp_path: Path, pg_blank_url: str) -> None:
    home = tmp_path / "home"
    source = settings_for(home)
    write_corpus(source.uploads_dir)  # as if uploaded through the API
    files_library = Library.open(source, embedder=HashingEmbedder())
    files_library.ingest([source.uploads_dir])
    db = Database(source.db_path)
    key, token = db.create_key("điện thoại")
    conversation = db.create_conversation(key.id)
    db.save_answer(
        Answer(id="a1", question="Cần Thơ xếp hạng mấy?", text="Thứ 12 [1].", refused=False),
        conversation_id=conversation,
        key_id=key.id,
    )
    feedback = db.add_feedback("a1", "up", "đúng", key_id=key.id)
    db.audit(key.id, "ask", "Cần Thơ xếp hạng mấy?")
    admin, _ = db.create_key("quản trị", admin=True)
    console = open_console(db)  # the admin console's tables: a session, a key's use, a review
    session_token, session = console.create_session(admin.id, 3600)
    console.touch_key(key.id)
    console.save_review(
        feedback, admin.id, Review(answerable=True, answers=["Thứ 12"], sources=["can-tho.txt"])
    )
    files = json.dumps([{"filename": "moi.txt", "source": "moi.txt", "status": "queued", "staged": "00000"}])
    db.insert_job("done1", key.id, "queued", files, 1.0)
    db.update_job("done1", state="completed", rate=3.5, finished_at="2026-12-01T09:00:00+00:00")
    db.insert_job("wait1", key.id, "queued", files, 2.0)  # not run yet: its staged file must come along
    stage_job_files(source.uploads_dir, "wait1", [("00000", "Văn bản chờ nạp.".encode())])
    db.close()
    followups = SqliteFollowUps(source.db_path)
    _follow_up(followups, "đang triển khai", "2025-01-15", key.id)
    _follow_up(followups, "hoàn thành", "2025-06-30", key.id)
    followups.close()
    shared = tmp_path / "shared-uploads"
    env = {"TROLY_HOME": str(home), "TROLY_CHUNKING__TARGET_WORDS": "30", "TROLY_CHUNKING__MAX_WORDS": "60",
           "TROLY_CHUNKING__OVERLAP_WORDS": "0", "COLUMNS": "200"}  # fmt: skip
    copied = runner.invoke(app, ["db", "copy", "--to", pg_blank_url, "--uploads-dir", str(shared)], env=env)
    assert copied.exit_code == 0, copied.output
    assert (
        "api_keys 2" in copied.output
        and "feedback_reviews 1" in copied.output
        and "documents 3" in copied.output
    )

    copied_followups = PostgresFollowUps(DatabaseSettings(url=pg_blank_url))
    sqlite_followups = SqliteFollowUps(source.db_path)
    try:
        assert (
            copied_followups.history("c1") == sqlite_followups.history("c1")
            and len(copied_followups.history("c1")) == 2
        )
        assert copied_followups.latest("c1") == sqlite_followups.latest("c1")
        newer = _follow_up(copied_followups, "chưa triển khai", "2025-07-01", None)
        assert copied_followups.latest("c1") == newer  # the sequence goes on after the copied ids
    finally:
        copied_followups.close()
        sqlite_followups.close()
    store = PostgresStore(DatabaseSettings(url=pg_blank_url))
    sqlite = Database(source.db_path)
    try:
        assert store.find_key(token) == sqlite.find_key(token)
        assert store.history(conversation, 10) == sqlite.history(conversation, 10)
        assert store.audit_log() == sqlite.audit_log() and store.answer_exists("a1")
        assert store.create_key("mới")[0].id == admin.id + 1  # the sequences go on after the copied ids
        on_postgres, on_sqlite = open_console(store), open_console(sqlite)
        still = on_postgres.find_session(session_token)  # the signed-in admin stays signed in
        assert still is not None and (still.key_id, still.csrf) == (admin.id, session.csrf)
        assert on_postgres.last_used() == on_sqlite.last_used() != {}
        assert on_postgres.reviewed_items() == on_sqlite.reviewed_items() != []
        for job_id in ("done1", "wait1"):
            copied_job, original = store.get_job(job_id), sqlite.get_job(job_id)
            assert copied_job is not None and original is not None
            assert json.loads(copied_job.pop("files")) == json.loads(original.pop("files"))
            assert copied_job == {**original, "cancel_requested": False}
        assert [j["id"] for j in store.list_jobs(["queued"])] == ["wait1"] and store.last_job_rate() == 3.5
        store.insert_job("next1", None, "queued", "[]", 0.0)
        assert [j["id"] for j in store.list_jobs(limit=1)] == ["next1"]
        assert (shared / ".jobs" / "wait1" / "00000").read_text() == "Văn bản chờ nạp."
    finally:
        store.close()
        sqlite.close()

    target = pg_settings(tmp_path / "replica", pg_blank_url).model_copy(
        update={"server": source.server.model_copy(update={"uploads_dir": shared})}
    )
    on_postgres = Library.open(target, embedder=HashingEmbedder())
    try:
        assert [d.id for d in on_postgres.documents()] == [d.id for d in files_library.documents()]
        assert all(d.path.startswith(str(shared.resolve())) for d in on_postgres.documents())
        question = "Cần Thơ xếp hạng thứ mấy?"
        assert [h.chunk.id for h in on_postgres.search(question)] == [
            h.chunk.id for h in files_library.search(question)
        ]
        assert sorted(p.name for p in shared.iterdir()) == sorted(
            p.name for p in source.uploads_dir.iterdir()
        )
        rebuilt = on_postgres.rebuild()  # re-reads every file from the shared folder
        assert rebuilt.counts["added"] == 3 and not rebuilt.failed and rebuilt.embedded == 0
    finally:
        on_postgres.close()
    twice = runner.invoke(app, ["db", "copy", "--to", pg_blank_url], env=env)
    assert twice.exit_code != 0 and "đã có dữ liệu" in str(twice.exception)


def _follow_up(store: FollowUpStore, state: FollowUpState, on_date: str, key_id: int | None) -> FollowUp:
    entry = FollowUpEntry(
        commitment_id="c1",
        agreement_id="can-tho+vnpt-2024",
        source="can-tho.txt",
        quote="VNPT phủ sóng 5G",
        state=state,
        date=on_date,
        by="quản trị",
    )
    return store.add(entry, key_id=key_id)


def test_embedded_server_start_status_stop(tmp_path: Path) -> None:
    env = {"TROLY_HOME": str(tmp_path)}
    folder = Path(tempfile.mkdtemp(prefix="troly-test-pg-"))  # outside pytest's folders: see tests/pg.py
    data = str(folder / "pg")
    started = runner.invoke(app, ["db", "embedded", "start", "--data", data], env=env)
    try:
        assert started.exit_code == 0, started.output
        url = started.output.strip().splitlines()[-1]
        assert url.startswith("postgresql://postgres@127.0.0.1:")
        with psycopg.connect(url) as conn:
            assert schema.status_of(conn).up_to_date
        status = runner.invoke(app, ["db", "embedded", "status", "--data", data], env=env)
        assert status.exit_code == 0 and status.output.strip() == url
    finally:
        stopped = runner.invoke(app, ["db", "embedded", "stop", "--data", data], env=env)
    assert stopped.exit_code == 0
    assert runner.invoke(app, ["db", "embedded", "status", "--data", data], env=env).exit_code == 1
    shutil.rmtree(folder, ignore_errors=True)


def test_ingest_and_search_commands_on_postgres(tmp_path: Path, pg_url: str) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    env = {
        **os.environ,
        "TROLY_HOME": str(tmp_path / "home"),
        "TROLY_DATABASE__URL": pg_url,
        "TROLY_INDEX__BACKEND": "postgres",
        "TROLY_EMBEDDING__BACKEND": "none",
        "COLUMNS": "200",
    }
    cli = [sys.executable, "-c", "from troly.cli import main; main()"]
    ingested = subprocess.run(
        [*cli, "ingest", str(corpus)], env=env, capture_output=True, text=True, timeout=120
    )
    assert ingested.returncode == 0, ingested.stderr
    found = subprocess.run(
        [*cli, "search", "Quảng Trị hành chính công", "-k", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.returncode == 0 and "quang-tri.txt" in found.stdout
    assert not (tmp_path / "home" / "index").exists()  # the index is in PostgreSQL


def test_a_copy_that_fails_half_way_leaves_the_target_empty(
    tmp_path: Path, pg_blank_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = settings_for(tmp_path / "home")
    Library.open(source, embedder=HashingEmbedder()).ingest([write_corpus(tmp_path / "corpus")])
    Database(source.db_path).close()

    def broken(*_args: object) -> dict[str, int]:
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr("web.copy_installation.copy_state", broken)
    with pytest.raises(RuntimeError, match="disk"):
        copy_installation(source, pg_blank_url)
    with psycopg.connect(pg_blank_url) as conn:
        for table in ("index_generations", "index_current", "index_vectors", "index_chunks", "api_keys"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    monkeypatch.undo()
    assert copy_installation(source, pg_blank_url)["documents"] == 3  # and it can simply be run again


def test_a_postgres_index_without_a_postgres_database_is_a_clear_error(tmp_path: Path) -> None:
    env = {**os.environ, "TROLY_HOME": str(tmp_path), "TROLY_INDEX__BACKEND": "postgres"}
    env.pop("TROLY_DATABASE__URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "from troly.cli import main; main()", "sources"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "TROLY_DATABASE__URL=postgresql://" in result.stderr
