"""The admin console's store behind the seam: the SQLite store and the PostgreSQL store (real embedded server)
keep sessions, key use and reviews the same way and read the inbox, the audit log and the daily figures back
the same; on PostgreSQL, what one replica's store writes, another's reads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from troly.records import Answer, Citation
from troly.settings import DatabaseSettings
from web.console_records import AuditQuery, Review, TouchThrottle
from web.db import Database
from web.postgres_console import PostgresConsole
from web.postgres_store import PostgresStore
from web.store import ConsoleStore, StateStore, open_console

TODAY = datetime.now(UTC).date().isoformat()
TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()


def _answer(answer_id: str, question: str, total_ms: float) -> Answer:
    citation = Citation(n=1, source="hue.txt", chunk_id="hue.txt#0", quote="Huế ký", start=0, end=6)
    return Answer(
        id=answer_id,
        question=question,
        text="Huế ký với VNPT [1].",
        refused=False,
        citations=[citation],
        timings_ms={"total": total_ms},
    )


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[StateStore, ConsoleStore]]:
    made: StateStore
    if request.param == "sqlite":
        made = Database(tmp_path / "troly.sqlite3")
    else:
        made = PostgresStore(DatabaseSettings(url=request.getfixturevalue("pg_url")))
    yield made, open_console(made)
    made.close()


def test_sessions_live_until_they_expire_end_or_their_key_is_revoked(
    stores: tuple[StateStore, ConsoleStore],
) -> None:
    db, console = stores
    admin, _ = db.create_key("quản trị", admin=True)
    user, _ = db.create_key("điện thoại")
    token, session = console.create_session(admin.id, 3600)
    assert session.key_id == admin.id and session.key_name == "quản trị" and session.csrf
    assert session.expires_at == pytest.approx(time.time() + 3600, abs=5)
    found = console.find_session(token)
    assert found is not None and (found.key_id, found.key_name, found.csrf) == (
        admin.id,
        "quản trị",
        session.csrf,
    )
    assert found.expires_at == pytest.approx(session.expires_at, abs=0.01)
    assert console.find_session(token + "x") is None

    brief, _ = console.create_session(admin.id, 0.2)
    assert console.find_session(brief) is not None
    time.sleep(0.4)
    assert console.find_session(brief) is None  # lapsed

    console.end_session(token)
    assert console.find_session(token) is None
    not_admin, _ = console.create_session(user.id, 3600)
    assert console.find_session(not_admin) is None  # only an admin key's session opens the console
    again, _ = console.create_session(admin.id, 3600)
    assert db.revoke_key(admin.id)
    assert console.find_session(again) is None


def test_a_key_use_is_recorded_and_moves_on(stores: tuple[StateStore, ConsoleStore]) -> None:
    db, console = stores
    key, _ = db.create_key("điện thoại")
    other, _ = db.create_key("máy tính bảng")
    assert console.last_used() == {}
    console.touch_key(key.id)
    first = console.last_used()
    assert list(first) == [key.id] and first[key.id].startswith(TODAY) and first[key.id].endswith("+00:00")
    time.sleep(1.1)
    console.touch_key(key.id)
    console.touch_key(other.id)
    used = console.last_used()
    assert used[key.id] > first[key.id] and set(used) == {key.id, other.id}


def test_a_process_writes_a_key_use_at_most_once_a_minute_per_key() -> None:
    throttle = TouchThrottle()
    assert throttle.due(1) and not throttle.due(1) and throttle.due(2) and not throttle.due(2)


def test_inbox_reviews_and_their_export_read_back_the_same(stores: tuple[StateStore, ConsoleStore]) -> None:
    db, console = stores
    reviewer, _ = db.create_key("quản trị", admin=True)
    for n, question in enumerate(("Huế ký với ai?", "Lệ phí là bao nhiêu?", "Quảng Trị ký khi nào?")):
        db.save_answer(_answer(f"a{n}", question, 100.0 * (n + 1)), conversation_id=None, key_id=None)
    liked = db.add_feedback("a0", "up", None, key_id=None)
    wrong = db.add_feedback("a1", "down", "Sai số tiền", key_id=None)
    missing = db.add_feedback("a2", "down", None, key_id=None)

    items = console.feedback_items()
    assert [i.id for i in items] == [missing, wrong, liked]  # thumbs-down first, newest first
    item = items[1]
    assert (item.question, item.rating, item.comment, item.answer_id) == (
        "Lệ phí là bao nhiêu?",
        "down",
        "Sai số tiền",
        "a1",
    )
    assert item.sources == ["hue.txt"] and not item.refused and item.review is None
    assert item.created_at.startswith(TODAY) and item.created_at.endswith("+00:00")
    assert [i.id for i in console.feedback_items(since=TODAY, until=TODAY)] == [missing, wrong, liked]
    assert console.feedback_items(since=TOMORROW) == [] and console.feedback_items(until="2000-01-01") == []
    assert len(console.feedback_items(limit=2)) == 2
    assert console.feedback_exists(wrong) and not console.feedback_exists(missing + 100)

    console.save_review(
        wrong, reviewer.id, Review(answerable=True, answers=["50.000 đồng"], sources=["phi.txt"])
    )
    console.save_review(missing, None, Review(answerable=True, answers=["2021"]))
    console.save_review(missing, reviewer.id, Review(answerable=False, note="Tài liệu không có"))  # replaced
    reviewed = console.reviewed_items()
    assert [i.id for i in reviewed] == [wrong, missing]
    first, second = (i.review for i in reviewed)
    assert first is not None and second is not None
    assert (first.answerable, first.answers, first.sources, first.note) == (
        True,
        ["50.000 đồng"],
        ["phi.txt"],
        None,
    )
    assert (second.answerable, second.answers, second.sources, second.note) == (
        False,
        [],
        [],
        "Tài liệu không có",
    )
    assert first.reviewed_at.startswith(TODAY)
    assert console.reviewed_items(TODAY) == reviewed and console.reviewed_items(TOMORROW) == []
    inbox = {i.id: i for i in console.feedback_items()}
    assert inbox[wrong].review == first and inbox[liked].review is None


def test_audit_filters_and_daily_figures(stores: tuple[StateStore, ConsoleStore]) -> None:
    db, console = stores
    key, _ = db.create_key("điện thoại")
    db.audit(key.id, "ask", "Huế ký với ai?")
    db.audit(None, "signin", "quản trị")
    db.audit(key.id, "ask", "Còn Quảng Trị?")
    entries = console.audit_entries(AuditQuery())
    assert [e["detail"] for e in entries] == ["Còn Quảng Trị?", "quản trị", "Huế ký với ai?"]
    assert set(entries[0]) == {"id", "at", "key_id", "action", "detail"}
    assert entries[0]["at"].startswith(TODAY) and entries[0]["at"].endswith("+00:00")
    assert [e["detail"] for e in console.audit_entries(AuditQuery(action="ask", key_id=key.id, limit=1))] == [
        "Còn Quảng Trị?"
    ]
    assert len(console.audit_entries(AuditQuery(since=TODAY, until=TODAY))) == 3
    assert console.audit_entries(AuditQuery(since=TOMORROW)) == []
    assert console.audit_entries(AuditQuery(action="delete", until="2000-01-01")) == []

    for n, total in enumerate((100.0, 300.0, 200.0)):
        db.save_answer(_answer(f"a{n}", "Huế ký với ai?", total), conversation_id=None, key_id=None)
    db.add_feedback("a0", "up", None, key_id=None)
    db.add_feedback("a1", "down", None, key_id=None)
    db.add_feedback("a2", "down", None, key_id=None)
    answers = console.daily_answers(7)
    assert [d["day"] for d in answers][-1] == TODAY and len(answers) == 7
    assert answers[-1] == {"day": TODAY, "answers": 3, "p50_ms": 200.0}
    assert all(d["answers"] == 0 and d["p50_ms"] is None for d in answers[:-1])
    feedback = console.daily_feedback(7)
    assert feedback[-1] == {"day": TODAY, "up": 1, "down": 2} and len(feedback) == 7
    assert all((d["up"], d["down"]) == (0, 0) for d in feedback[:-1])


def test_on_postgres_one_replica_s_session_review_and_key_use_are_every_replica_s(pg_url: str) -> None:
    a, b = (PostgresStore(DatabaseSettings(url=pg_url)) for _ in range(2))
    try:
        console_a, console_b = PostgresConsole(a.client), PostgresConsole(b.client)
        admin, _ = a.create_key("quản trị", admin=True)
        token, session = console_a.create_session(admin.id, 3600)
        seen = console_b.find_session(token)
        assert seen is not None and (seen.key_id, seen.csrf) == (admin.id, session.csrf)
        console_a.touch_key(admin.id)
        assert console_b.last_used() == console_a.last_used() != {}
        a.save_answer(_answer("a1", "Huế ký với ai?", 100.0), conversation_id=None, key_id=None)
        feedback = a.add_feedback("a1", "down", None, key_id=None)
        console_b.save_review(feedback, admin.id, Review(answerable=False))
        assert console_a.reviewed_items() == console_b.reviewed_items() != []
        console_b.end_session(token)
        assert console_a.find_session(token) is None
    finally:
        a.close()
        b.close()
