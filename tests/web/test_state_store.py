"""The state store seam: the SQLite store and the PostgreSQL store (real embedded server) keep the same
records the same way; on PostgreSQL, rate limits and the write lock hold across stores (replicas), and a
connection lost mid-request leaves no half-written rows."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from troly.errors import TrolyError
from troly.postgres.connection import DatabaseUnavailableError, LockBusyError
from troly.records import Answer, Citation
from troly.settings import DatabaseSettings
from web.db import Database
from web.postgres_store import PostgresStore
from web.store import StateStore


def _answer(answer_id: str, question: str = "Huế ký với ai?") -> Answer:
    citation = Citation(n=1, source="hue.txt", chunk_id="hue.txt#0", quote="Huế ký", start=0, end=6)
    return Answer(
        id=answer_id, question=question, text="Huế ký với VNPT [1].", refused=False, citations=[citation]
    )


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    made: StateStore
    if request.param == "sqlite":
        made = Database(tmp_path / "troly.sqlite3")
    else:
        made = PostgresStore(DatabaseSettings(url=request.getfixturevalue("pg_url")))
    yield made
    made.close()


def test_keys_conversations_answers_feedback_and_audit(store: StateStore) -> None:
    key, token = store.create_key("  điện thoại  ")
    admin, _ = store.create_key("quản trị", admin=True)
    assert key.name == "điện thoại" and not key.admin and admin.admin and key.id != admin.id
    assert token.startswith("troly_") and key.hint.endswith("…") and "T" in key.created_at
    found = store.find_key(token)
    assert found == key and store.find_key(token + "x") is None
    assert [k.id for k in store.list_keys()] == [key.id, admin.id]
    with pytest.raises(TrolyError):
        store.create_key("  ")

    conversation = store.create_conversation(key.id)
    assert store.conversation_owner(conversation) == (True, key.id)
    assert store.conversation_owner("khong-co") == (False, None)
    store.save_answer(_answer("a1"), conversation_id=conversation, key_id=key.id)
    store.save_answer(_answer("a2", "Còn Quảng Trị?"), conversation_id=conversation, key_id=key.id)
    store.save_answer(_answer("a3"), conversation_id=None, key_id=None)
    history = store.history(conversation, 3)
    assert [(m.role, m.content) for m in history] == [
        ("assistant", "Huế ký với VNPT [1]."),
        ("user", "Còn Quảng Trị?"),
        ("assistant", "Huế ký với VNPT [1]."),
    ]
    assert store.history(conversation, 0) == []
    assert store.answer_exists("a3") and not store.answer_exists("a4")
    first = store.add_feedback("a1", "up", "đúng", key_id=key.id)
    assert store.add_feedback("a1", "down", None, key_id=None) > first

    store.audit(key.id, "ask", "Huế ký với ai?")
    store.audit(None, "upload", "hue.txt:added")
    log = store.audit_log(10)
    assert [(e["key_id"], e["action"], e["detail"]) for e in log] == [
        (None, "upload", "hue.txt:added"),
        (key.id, "ask", "Huế ký với ai?"),
    ]
    assert set(log[0]) == {"at", "key_id", "action", "detail"} and log[0]["at"].endswith("+00:00")
    assert [e["action"] for e in store.audit_log(10, "ask")] == ["ask"]

    assert store.revoke_key(key.id) and not store.revoke_key(key.id)
    assert store.find_key(token) is None
    revoked = next(k for k in store.list_keys() if k.id == key.id)
    assert revoked.revoked_at is not None and not revoked.active


def test_a_key_made_through_one_store_works_through_another_at_once(pg_url: str) -> None:
    a, b = PostgresStore(DatabaseSettings(url=pg_url)), PostgresStore(DatabaseSettings(url=pg_url))
    try:
        key, token = a.create_key("app")
        assert b.find_key(token) == key
        b.revoke_key(key.id)
        assert a.find_key(token) is None
    finally:
        a.close()
        b.close()


def test_a_rate_limit_holds_across_replicas(pg_url: str) -> None:
    stores = [PostgresStore(DatabaseSettings(url=pg_url)) for _ in range(2)]
    try:
        limiters = [s.rate_limiter(5) for s in stores]
        results: list[int | None] = []
        lock = threading.Lock()

        def hit(i: int) -> None:
            wait = limiters[i % 2].check("key:1")
            with lock:
                results.append(wait)

        threads = [threading.Thread(target=hit, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results.count(None) == 5
        assert all(wait is not None and 1 <= wait <= 60 for wait in results if wait is not None)
        assert limiters[0].check("key:2") is None  # another key has its own minute
    finally:
        for s in stores:
            s.close()


def test_the_write_lock_is_shared_by_replicas(pg_url: str) -> None:
    a, b = PostgresStore(DatabaseSettings(url=pg_url)), PostgresStore(DatabaseSettings(url=pg_url))
    try:
        held, second = a.write_lock(5), b.write_lock(0.3)
        with held, pytest.raises(LockBusyError, match="thử lại"), second:
            pass
        with second:  # free again once the first replica let go
            pass
        with held:  # reusable, like threading.Lock
            pass
    finally:
        a.close()
        b.close()


def test_a_connection_lost_mid_request_writes_nothing_and_the_next_request_reconnects(pg_url: str) -> None:
    store = PostgresStore(DatabaseSettings(url=pg_url))
    try:
        conversation = store.create_conversation(None)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            # The messages insert, second statement of save_answer, waits: the connection dies meanwhile.
            admin.execute(
                "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_sleep(2); RETURN NEW; END $$"
            )
            admin.execute(
                "CREATE TRIGGER slow BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION slow()"
            )

            def cut() -> None:
                time.sleep(0.5)
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'troly-state' AND state = 'active'"
                )

            killer = threading.Thread(target=cut)
            killer.start()
            with pytest.raises(DatabaseUnavailableError) as lost:
                store.save_answer(_answer("a1"), conversation_id=conversation, key_id=None)
            killer.join()
            admin.execute("DROP TRIGGER slow ON messages")
            assert "PostgreSQL" in lost.value.message
            assert admin.execute("SELECT count(*) FROM answers").fetchone() == (0,)
            assert admin.execute("SELECT count(*) FROM messages").fetchone() == (0,)
        store.save_answer(_answer("a1"), conversation_id=conversation, key_id=None)
        assert store.answer_exists("a1") and len(store.history(conversation, 10)) == 2
    finally:
        store.close()


def test_a_database_that_was_never_upgraded_says_what_to_run(pg_blank_url: str) -> None:
    store = PostgresStore(DatabaseSettings(url=pg_blank_url))
    try:
        with pytest.raises(TrolyError, match="troly db upgrade") as info:
            store.ping()
        assert info.value.code == "schema_mismatch"
    finally:
        store.close()


def test_the_job_queue_and_its_lease(store: StateStore) -> None:
    """Both stores keep jobs the same way (web/jobs.py reads their rows): queue order, claims, guarded updates,
    cancels, the measured rate, and a lease one holder at a time."""
    files = json.dumps([{"filename": "a.txt", "source": "a.txt", "status": "queued", "staged": "00000"}])
    store.insert_job("j1", None, "queued", files, 2.5)
    store.insert_job("j2", 7, "queued", files, 1.0)
    store.insert_job("j3", 7, "completed", "[]", 0.0)  # every file refused: ended at once
    first = store.get_job("j1")
    assert (
        first is not None and first["state"] == "queued" and json.loads(first["files"]) == json.loads(files)
    )
    assert (
        first["created_at"].endswith("+00:00")
        and first["finished_at"] is None
        and not first["cancel_requested"]
    )
    assert store.get_job("j3")["finished_at"] is not None  # type: ignore[index]
    assert store.get_job("nope") is None
    assert [r["id"] for r in store.list_jobs(["queued", "running"])] == ["j1", "j2"]
    assert [r["id"] for r in store.list_jobs(limit=2)] == ["j3", "j2"]  # newest first

    claimed = store.claim_job("w1")
    assert claimed is not None and claimed["id"] == "j1" and claimed["state"] == "running"
    assert claimed["worker"] == "w1" and claimed["attempts"] == 1 and claimed["started_at"]
    assert not store.update_job("j1", running_as="w2", rate=9.0)  # not that worker's job
    assert store.update_job("j1", running_as="w1", rate=4.5, files="[]")
    assert store.last_job_rate() == 4.5
    with pytest.raises(ValueError):
        store.update_job("j1", seq=1)
    assert store.cancel_job("j1") == "running" and store.get_job("j1")["cancel_requested"]  # type: ignore[index]
    assert store.cancel_job("j2") == "cancelled" and store.cancel_job("nope") is None
    assert store.claim_job("w1") is None  # j2 was cancelled before it ran
    finished = "2026-12-01T10:00:00+00:00"
    assert store.update_job("j1", state="completed", finished_at=finished, worker=None)
    assert store.get_job("j1")["finished_at"] == finished  # type: ignore[index]

    assert store.hold_lease("queue", "w1", 0.5)
    assert not store.hold_lease("queue", "w2", 0.5)  # held by another
    assert store.hold_lease("queue", "w1", 0.5)  # renewed by its holder
    time.sleep(0.7)
    assert store.hold_lease("queue", "w2", 5.0)  # lapsed: taken over
    store.release_lease("queue", "w1")  # not its lease any more: nothing happens
    assert not store.hold_lease("queue", "w1", 5.0)
    store.release_lease("queue", "w2")
    assert store.hold_lease("queue", "w1", 5.0)


def test_replicas_claim_each_job_once(pg_url: str) -> None:
    stores = [PostgresStore(DatabaseSettings(url=pg_url)) for _ in range(2)]
    try:
        for i in range(20):
            stores[0].insert_job(f"j{i:02d}", None, "queued", "[]", 0.0)
        claimed: list[str] = []
        lock = threading.Lock()

        def drain(store: PostgresStore, worker: str) -> None:
            while (row := store.claim_job(worker)) is not None:
                with lock:
                    claimed.append(row["id"])

        threads = [threading.Thread(target=drain, args=(s, f"w{i}")) for i, s in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(claimed) == [f"j{i:02d}" for i in range(20)]  # every job once, none twice
    finally:
        for s in stores:
            s.close()


def test_the_write_lock_can_be_tried_without_waiting(pg_url: str) -> None:
    """As threading.Lock: `acquire(blocking=False)` (the API's deletes poll it from the event loop) and
    `acquire(timeout=...)` (the ingest worker), across replicas."""
    a, b = PostgresStore(DatabaseSettings(url=pg_url)), PostgresStore(DatabaseSettings(url=pg_url))
    try:
        first, second = a.write_lock(5), b.write_lock(5)
        assert first.acquire(blocking=False)
        assert not first.acquire(blocking=False)  # a second thread of the same replica
        started = time.monotonic()
        assert not second.acquire(timeout=0.3)  # another replica
        assert time.monotonic() - started >= 0.3
        first.release()
        assert second.acquire(blocking=False)
        second.release()
        with pytest.raises(RuntimeError):
            second.release()
    finally:
        a.close()
        b.close()
