"""The follow-up seam: the SQLite store and the PostgreSQL store (real embedded server) keep a commitment's
states the same way; on PostgreSQL, a state set through one replica is the one every other replica reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from troly.records import FollowUpState
from troly.settings import DatabaseSettings, Settings
from web.followups import FollowUp, FollowUpEntry, FollowUpStore, SqliteFollowUps, open_followups
from web.postgres_followups import PostgresFollowUps


@pytest.fixture(params=["sqlite", "postgres"])
def followups(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FollowUpStore]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    made: FollowUpStore = (
        PostgresFollowUps(DatabaseSettings(url=url)) if url else SqliteFollowUps(tmp_path / "troly.sqlite3")
    )
    yield made
    made.close()


def _set(store: FollowUpStore, commitment_id: str, state: FollowUpState, **fields: Any) -> FollowUp:
    entry = {
        "agreement_id": "lang-son+vnpt-2024",
        "source": "lang-son.txt",
        "quote": f"VNPT phủ sóng 5G ({commitment_id})",
        "date": "2025-01-15",
        **fields,
    }
    key_id = entry.pop("key_id", None)
    return store.add(FollowUpEntry(commitment_id=commitment_id, state=state, **entry), key_id=key_id)


def test_states_history_and_the_latest_of_each_commitment(followups: FollowUpStore) -> None:
    assert followups.latest("c1") is None and followups.history("c1") == [] and followups.all_latest() == []
    first = _set(followups, "c1", "chưa triển khai", date="2024-12-01")
    other = _set(followups, "c2", "hoàn thành", note="Đã nghiệm thu", key_id=7, by="quản trị")
    second = _set(
        followups, "c1", "đang triển khai", note="Đã lắp 40 trạm", date="2025-01-15", key_id=7, by="quản trị"
    )

    assert followups.latest("c1") == second  # what `add` answered is what is read back
    assert followups.history("c1") == [second, first]
    assert followups.all_latest() == [other, second]  # oldest set first
    assert (second.state, second.note, second.date, second.by) == (
        "đang triển khai",
        "Đã lắp 40 trạm",
        "2025-01-15",
        "quản trị",
    )
    assert (first.by, first.note, first.quote) == (None, "", "VNPT phủ sóng 5G (c1)")
    times = [datetime.fromisoformat(f.updated_at) for f in (first, other, second)]
    assert all(t.utcoffset() is not None and t.utcoffset().total_seconds() == 0 for t in times)  # type: ignore[union-attr]
    assert times == sorted(times) and second.updated_at.endswith("+00:00")


def test_the_sqlite_store_keeps_its_states_when_reopened(tmp_path: Path) -> None:
    path = tmp_path / "troly.sqlite3"
    store = SqliteFollowUps(path)
    kept = _set(store, "c1", "hoàn thành")
    store.close()
    again = SqliteFollowUps(path)  # the migrations are not run twice
    try:
        assert again.history("c1") == [kept]
    finally:
        again.close()


def test_a_state_set_through_one_replica_is_read_through_another(pg_url: str) -> None:
    a, b = PostgresFollowUps(DatabaseSettings(url=pg_url)), PostgresFollowUps(DatabaseSettings(url=pg_url))
    try:
        started = _set(a, "c1", "đang triển khai", by="xã A")
        assert b.latest("c1") == started and b.all_latest() == [started]
        done = _set(b, "c1", "hoàn thành", date="2025-06-30", by="xã B")
        assert a.latest("c1") == done and a.history("c1") == [done, started]
    finally:
        a.close()
        b.close()


def test_the_factory_follows_the_database_url(tmp_path: Path, pg_url: str) -> None:
    local = open_followups(Settings(home=tmp_path))
    shared = open_followups(Settings(home=tmp_path, database=DatabaseSettings(url=pg_url)))
    try:
        assert isinstance(local, SqliteFollowUps) and isinstance(shared, PostgresFollowUps)
        _set(shared, "c1", "hoàn thành")
        assert local.latest("c1") is None and shared.latest("c1") is not None
    finally:
        local.close()
        shared.close()
