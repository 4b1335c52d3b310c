"""The Library on the PostgreSQL backend (TROLY_INDEX__BACKEND=postgres), on the real embedded PostgreSQL with
pgvector: the same contract as the files backend, shared by every Library (replica) on the database."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from index.library import EmbedderMismatchError, Library, SearchFilters
from index.postgres_snapshot import PostgresSnapshotStore
from tests.index.helpers import HashingEmbedder, settings_for, write_corpus
from troly.errors import IndexCorruptError
from troly.postgres.connection import LockBusyError, advisory_lock, open_pool
from troly.settings import Settings


def pg_settings(home: Path, url: str, **index: object) -> Settings:
    settings = settings_for(home)
    return settings.model_copy(
        update={
            "database": settings.database.model_copy(update={"url": url}),
            "index": settings.index.model_copy(update={"backend": "postgres", **index}),
        }
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def settings(tmp_path: Path, pg_url: str) -> Settings:
    return pg_settings(tmp_path / "home", pg_url, poll_s=0.05)


@pytest.fixture
def libraries(settings: Settings) -> Iterator[list[Library]]:
    """Libraries opened by a test, closed after it (each holds a connection pool)."""
    opened: list[Library] = []
    yield opened
    for library in opened:
        library.close()


def _open(libraries: list[Library], settings: Settings, embedder: HashingEmbedder | None = None) -> Library:
    library = Library.open(settings, embedder=embedder or HashingEmbedder())
    libraries.append(library)
    return library


def _generations(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [int(r[0]) for r in conn.execute("SELECT id FROM index_generations ORDER BY id").fetchall()]


def test_ingest_search_and_a_second_replica_reads_the_same_index(
    settings: Settings, corpus: Path, libraries: list[Library], tmp_path: Path
) -> None:
    writer = _open(libraries, settings)
    report = writer.ingest([corpus])
    assert report.counts["added"] == 3 and not report.failed
    hits = writer.search("Trung tâm hành chính công của Quảng Trị mở ở đâu?", k=3)
    assert hits[0].chunk.doc_id == "quang-tri.txt" and [h.rank for h in hits] == [1, 2, 3]
    # Another replica: its own home (nothing on disk is shared), the same database.
    other = _open(libraries, settings.model_copy(update={"home": tmp_path / "replica-b"}))
    assert {d.id for d in other.documents()} == {"can-tho.txt", "quang-tri.txt", "nong-nghiep/lua.md"}
    chunk = other.chunk(hits[0].chunk.id)
    document = other.document("quang-tri.txt")
    assert chunk is not None and document is not None
    assert document.text[chunk.start : chunk.end] == chunk.text
    assert [h.chunk.id for h in other.search("Quảng Trị hành chính công", k=3)] == [
        h.chunk.id for h in writer.search("Quảng Trị hành chính công", k=3)
    ]
    assert other.verify() == [] and not (tmp_path / "replica-b" / "index").exists()


def test_rankings_equal_the_files_backend(
    settings: Settings, corpus: Path, libraries: list[Library], tmp_path: Path
) -> None:
    on_postgres = _open(libraries, settings)
    on_files = Library.open(settings_for(tmp_path / "files-home"), embedder=HashingEmbedder())
    on_postgres.ingest([corpus])
    on_files.ingest([corpus])
    for question in ("Cần Thơ xếp hạng thứ mấy?", "nop ho so qua ung dung", "năng suất lúa Phong Điền"):
        for fusion in ("weighted", "dense", "bm25"):
            params = settings.retrieval.model_copy(update={"fusion": fusion})
            expected = [
                (h.chunk.id, round(h.score, 4)) for h in on_files.search(question, 5, retrieval=params)
            ]
            found = [
                (h.chunk.id, round(h.score, 4)) for h in on_postgres.search(question, 5, retrieval=params)
            ]
            assert found == expected, (question, fusion)
    postgres_generation, files_generation = on_postgres._store.open_current(), on_files._store.open_current()
    assert postgres_generation is not None and files_generation is not None
    assert postgres_generation.abbreviations() == files_generation.abbreviations()
    assert postgres_generation.documents() == files_generation.documents()
    assert postgres_generation.chunks() == files_generation.chunks()
    assert postgres_generation.profiles() == files_generation.profiles() and files_generation.profiles()


def test_unchanged_reingest_writes_nothing_and_a_change_reuses_stored_vectors(
    settings: Settings, corpus: Path, libraries: list[Library], pg_url: str
) -> None:
    embedder = HashingEmbedder()
    library = _open(libraries, settings, embedder)
    first = library.ingest([corpus])
    again = library.ingest([corpus])
    assert again.counts["skipped"] == 3 and again.generation == first.generation
    assert _generations(pg_url) == [first.generation]
    with psycopg.connect(pg_url) as conn:
        vectors_before = conn.execute("SELECT count(*) FROM index_vectors").fetchone()
    path = corpus / "can-tho.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nThành phố thí điểm trợ lý ảo cho cán bộ xã.")
    embedded = embedder.texts_embedded
    report = library.ingest([corpus])
    assert report.counts["updated"] == 1 and 0 < embedder.texts_embedded - embedded < len(library.chunks())
    with psycopg.connect(pg_url) as conn:
        vectors_after = conn.execute("SELECT count(*) FROM index_vectors").fetchone()
    # Unchanged chunks keep their vector rows (shared by both kept generations); only new texts were added.
    assert vectors_before is not None and vectors_after is not None
    assert vectors_after[0] - vectors_before[0] == report.embedded
    assert library.verify() == []


def test_a_new_generation_reaches_another_replica_and_readers_never_mix_two(
    settings: Settings, corpus: Path, libraries: list[Library], tmp_path: Path
) -> None:
    writer = _open(libraries, settings)
    reader = _open(libraries, settings.model_copy(update={"home": tmp_path / "b"}))
    writer.ingest([corpus])
    assert len(reader.documents()) == 3
    store = reader._store
    assert isinstance(store, PostgresSnapshotStore)
    old = store.open_current()
    assert old is not None
    (corpus / "moi.txt").write_text("Xã triển khai ký số cho hồ sơ hộ tịch.", encoding="utf-8")
    writer.ingest([corpus])
    # The generation a reader holds keeps answering with its own rows, whatever was published since.
    vectors = old.vectors()
    assert len(old.documents()) == 3 and vectors is not None and len(old.chunks()) == vectors.shape[0]
    store_search = old.vector_store()
    assert store_search is not None
    assert all(
        not cid.startswith("moi.txt")
        for cid, _ in store_search.search(HashingEmbedder().embed(["ký số"]), 50)
    )
    # The reader moves to the new one at its next poll (opening `old` above counted as a poll).
    time.sleep(2 * settings.index.poll_s)
    assert reader.document("moi.txt") is not None
    assert reader.search("ký số hồ sơ hộ tịch", k=1)[0].chunk.doc_id == "moi.txt"


def test_killed_mid_ingest_never_publishes_and_the_next_ingest_completes(
    settings: Settings, corpus: Path, libraries: list[Library], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = _open(libraries, settings)
    live = library.ingest([corpus]).generation

    def crash(self: PostgresSnapshotStore, generation: int) -> None:
        raise KeyboardInterrupt  # the replica dies after writing generation N, before the pointer moves

    monkeypatch.setattr(PostgresSnapshotStore, "publish", crash)
    (corpus / "moi.txt").write_text("Xã triển khai ký số cho hồ sơ hộ tịch.", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        library.ingest([corpus])
    monkeypatch.undo()
    assert _generations(pg_url) == [live, (live or 0) + 1]  # written, never published
    reader = _open(libraries, settings)
    assert reader.generation == live and reader.document("moi.txt") is None
    report = reader.ingest([corpus])
    assert report.counts["added"] == 1 and reader.generation == (live or 0) + 2
    assert _generations(pg_url) == [live, (live or 0) + 2]  # the leftover was collected


def test_a_writer_killed_inside_its_transaction_leaves_nothing(
    settings: Settings, corpus: Path, libraries: list[Library], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = _open(libraries, settings)
    live = library.ingest([corpus]).generation
    real = PostgresSnapshotStore._artefact_bodies

    def die_midway(self: PostgresSnapshotStore, *args: object) -> dict[str, bytes]:
        raise KeyboardInterrupt

    monkeypatch.setattr(PostgresSnapshotStore, "_artefact_bodies", die_midway)
    (corpus / "moi.txt").write_text("Thông báo lịch tiếp dân của xã.", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        library.ingest([corpus])
    monkeypatch.setattr(PostgresSnapshotStore, "_artefact_bodies", real)
    assert _generations(pg_url) == [live]
    assert library.ingest([corpus]).counts["added"] == 1


def test_two_replicas_ingesting_at_once_are_serialised(
    settings: Settings, corpus: Path, libraries: list[Library], tmp_path: Path
) -> None:
    errors: list[BaseException] = []
    replicas = [_open(libraries, settings.model_copy(update={"home": tmp_path / f"r{i}"})) for i in range(2)]

    def run(library: Library) -> None:
        try:
            library.ingest([corpus])
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    reader = _open(libraries, settings)
    assert reader.verify() == [] and len(reader.documents()) == 3
    assert reader.generation == 1  # the second writer waited, then found everything unchanged


def test_second_writer_waits_then_fails_clearly(
    settings: Settings, corpus: Path, libraries: list[Library]
) -> None:
    library = _open(
        libraries,
        settings.model_copy(update={"index": settings.index.model_copy(update={"lock_timeout_s": 0.3})}),
    )
    pool = open_pool(settings.database, name="holder")
    try:
        holder = advisory_lock(
            pool, settings.database.url, "troly:index-write", timeout_s=1, busy_message="x"
        )
        with holder, pytest.raises(LockBusyError, match="thử lại"):
            library.ingest([corpus])
    finally:
        pool.close()
    assert library.ingest([corpus]).counts["added"] == 3


def test_embedder_mismatch_is_the_files_backend_error(
    settings: Settings, corpus: Path, libraries: list[Library], tmp_path: Path
) -> None:
    _open(libraries, settings, HashingEmbedder(dim=64)).ingest([corpus])
    other = _open(libraries, settings, HashingEmbedder(dim=32, name="other-model"))
    with pytest.raises(EmbedderMismatchError) as on_postgres:
        other.search("Cần Thơ xếp hạng")
    on_files_settings = settings_for(tmp_path / "files")
    Library.open(on_files_settings, embedder=HashingEmbedder(dim=64)).ingest([corpus])
    with pytest.raises(EmbedderMismatchError) as on_files:
        Library.open(on_files_settings, embedder=HashingEmbedder(dim=32, name="other-model")).search(
            "Cần Thơ"
        )
    assert on_postgres.value.message == on_files.value.message
    assert "troly index rebuild" in on_postgres.value.message


def test_filters_remove_and_rebuild(settings: Settings, corpus: Path, libraries: list[Library]) -> None:
    library = _open(libraries, settings)
    library.ingest([corpus])
    params = settings.retrieval.model_copy(update={"fusion": "dense"})
    hits = library.search("thành phố", 5, SearchFilters(source_prefix="nong-nghiep/"), retrieval=params)
    assert hits and {h.chunk.doc_id for h in hits} == {"nong-nghiep/lua.md"}
    library.remove("can-tho.txt")
    assert library.document("can-tho.txt") is None and library.verify() == []
    report = library.rebuild()
    assert report.counts["added"] == 2 and report.embedded == 0 and library.verify() == []


def test_tampered_artefact_fails_its_checksum(
    settings: Settings, corpus: Path, libraries: list[Library], pg_url: str
) -> None:
    library = _open(libraries, settings)
    library.ingest([corpus])
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE index_artefacts SET body = body || '\\x00'::bytea WHERE name LIKE 'bm25/%'")
    reader = _open(libraries, settings)
    with pytest.raises(IndexCorruptError, match="sha256"):
        reader.search("Cần Thơ")
    assert any("sha256" in p for p in reader.verify())


def test_a_killed_writer_releases_the_lock_with_its_session(
    settings: Settings, corpus: Path, libraries: list[Library]
) -> None:
    """A replica killed (SIGKILL) while it holds the writer lock: PostgreSQL ends its session and the lock with
    it, so the next ingest goes ahead instead of waiting out its timeout."""
    holder = (
        "import sys, time\n"
        "from troly.postgres.connection import advisory_lock, open_pool\n"
        "from troly.settings import DatabaseSettings\n"
        "pool = open_pool(DatabaseSettings(url=sys.argv[1]), name='doomed')\n"
        "with advisory_lock(pool, sys.argv[1], 'troly:index-write', timeout_s=10, busy_message='x'):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder, settings.database.url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        waiting = settings.index.model_copy(update={"lock_timeout_s": 0.5})
        library = _open(libraries, settings.model_copy(update={"index": waiting}))
        with pytest.raises(LockBusyError):
            library.ingest([corpus])
        process.kill()
        process.wait(timeout=10)
        patient = _open(
            libraries,
            settings.model_copy(update={"index": settings.index.model_copy(update={"lock_timeout_s": 10})}),
        )
        started = time.monotonic()
        assert patient.ingest([corpus]).counts["added"] == 3
        assert time.monotonic() - started < 10
    finally:
        process.kill()


def test_a_generation_collected_before_a_reader_opens_it_is_skipped(
    settings: Settings, corpus: Path, libraries: list[Library], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader read the pointer, then two ingests on another replica published and collected that
    generation before the reader opened it: the reader moves on to the live one."""
    writer = _open(libraries, settings)
    writer.ingest([corpus])
    reader = _open(
        libraries, settings.model_copy(update={"index": settings.index.model_copy(update={"poll_s": 60})})
    )
    assert reader.generation == 1
    reader._live = None  # as if it had never loaded generation 1, with the pointer read just before
    for n in (1, 2):
        (corpus / "thong-bao.txt").write_text(f"Thông báo số {n} về lịch tiếp dân.", encoding="utf-8")
        writer.ingest([corpus])
    assert reader.generation == 3 and reader.document("thong-bao.txt") is not None
