"""Concurrency: searches while an ingest rewrites the index, and two ingest processes at once.

Every document version writes its number into each paragraph ("phiên bản N"), so a search can tell which
generation each hit came from: all hits of one search must come from one generation (a consistent snapshot).
"""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path

import pytest

from index.library import Library
from index.snapshot import Generation, SnapshotStore
from tests.reliability.helpers import bm25_settings, run_cli, start_cli, write_bulletins
from troly.records import SearchHit

DOCUMENTS = 40
VERSIONS = 6
READERS = 4
_VERSION = re.compile(r"phiên bản (\d+)")
QUERIES = ["xã Phú Mậu dịch vụ công trực tuyến", "chữ ký số văn bản điện tử", "hộ gia đình tham gia"]


def version_of(text: str) -> int | None:
    found = {int(v) for v in _VERSION.findall(text)}
    assert len(found) <= 1, text
    return found.pop() if found else None


class Reader(threading.Thread):
    """Searches until told to stop; records problems instead of raising, so the main thread can report them."""

    def __init__(self, library: Library, stop: threading.Event, n: int) -> None:
        super().__init__(name=f"reader-{n}", daemon=True)
        self.library, self.stop, self.n = library, stop, n
        self.searches = 0
        self.same_snapshot_checks = 0
        self.problems: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set() and len(self.problems) < 5:
            query = QUERIES[(self.n + self.searches) % len(QUERIES)]
            try:
                self.check(query, self.library.search(query, k=8))
            except Exception as exc:  # collected and reported by the test
                self.problems.append(f"{type(exc).__name__}: {exc}")
            self.searches += 1

    def check(self, query: str, hits: list[SearchHit]) -> None:
        if not hits:
            self.problems.append(f"no hits for {query!r}")
            return
        versions = {v for v in (version_of(h.chunk.text) for h in hits) if v is not None}
        if len(versions) > 1:
            self.problems.append(f"one search mixed generations {sorted(versions)}")
        for hit in hits:
            document = self.library.document(hit.chunk.doc_id)
            if document is None:
                self.problems.append(f"{hit.chunk.doc_id} vanished")
                continue
            hit_version, doc_version = version_of(hit.chunk.text), version_of(document.text)
            if hit_version is not None and doc_version is not None and doc_version < hit_version:
                self.problems.append(f"document {doc_version} older than its hit {hit_version}")
            if hit_version is None or doc_version == hit_version:
                # Same document version: the chunk is exactly its text at the recorded offsets.
                self.same_snapshot_checks += 1
                if document.text[hit.chunk.start : hit.chunk.end] != hit.chunk.text:
                    self.problems.append(f"{hit.chunk.id}: text differs from document[start:end]")


@pytest.mark.parametrize("shared_instance", [True, False], ids=["shared-library", "own-library"])
def test_searches_during_ingest_see_one_consistent_snapshot(tmp_path: Path, shared_instance: bool) -> None:
    settings = bm25_settings(tmp_path / "home")
    corpus = write_bulletins(tmp_path / "corpus", DOCUMENTS)
    writer = Library.open(settings)
    writer.ingest([corpus])
    reader_library = writer if shared_instance else Library.open(settings)
    # Switch threads often, so that readers interleave with the writer inside the library's own code.
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    stop = threading.Event()
    readers = [Reader(reader_library, stop, n) for n in range(READERS)]
    try:
        for reader in readers:
            reader.start()
        for version in range(1, VERSIONS + 1):
            write_bulletins(corpus, DOCUMENTS, version=version)
            report = writer.ingest([corpus])
            assert report.counts["updated"] == DOCUMENTS and not report.failed
            time.sleep(0.02)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
        sys.setswitchinterval(old_interval)
    problems = [p for r in readers for p in r.problems]
    assert problems == [], problems[:10]
    assert all(r.searches > 0 for r in readers) and sum(r.same_snapshot_checks for r in readers) > 0
    # Once the writer is done, every reader sees the last version.
    final = reader_library.search(QUERIES[0], k=3)
    assert final and {version_of(h.chunk.text) for h in final} <= {VERSIONS, None}
    assert reader_library.verify() == []


@pytest.mark.slow
def test_two_ingest_processes_at_once_leave_a_sound_index_with_both(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = write_bulletins(tmp_path / "a", 600)
    second = write_bulletins(tmp_path / "b", 600, start=600)
    processes = [start_cli(home, "ingest", str(first)), start_cli(home, "ingest", str(second))]
    results = [p.communicate(timeout=300) for p in processes]
    for process, (_, err) in zip(processes, results, strict=True):
        assert "Traceback" not in err, err
        # Either it waited for the other writer and finished, or it gave up with the clear busy error.
        assert process.returncode == 0 or "index_busy" in err, err
    finished = [p.returncode == 0 for p in processes]
    assert any(finished)
    library = Library.open(bm25_settings(home))
    expected = {f"ban-tin-{i:05d}.txt" for i in range(1200)}
    if not all(finished):  # the busy one is run again, as its message says
        folder = first if not finished[0] else second
        assert run_cli(home, "ingest", str(folder)).returncode == 0
    assert {d.id for d in library.documents()} == expected
    assert library.verify() == []
    verify = run_cli(home, "index", "verify")
    assert verify.returncode == 0 and "1200 tài liệu" in verify.stdout, verify.stderr
    assert library.search("bản tin mã BT00900", k=1)[0].chunk.doc_id == "ban-tin-00900.txt"


def test_readers_never_fail_while_generations_are_collected(tmp_path: Path) -> None:
    """A reader that reads CURRENT and then opens the generation it names may find it already collected when
    a writer published twice in between; it must move on to the newer one, not report a corrupt index.
    Cheap reads in a tight loop make that window likely (it failed within a second before the fix)."""
    settings = bm25_settings(tmp_path / "home")
    corpus = write_bulletins(tmp_path / "corpus", 3)
    writer = Library.open(settings)
    writer.ingest([corpus])
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    stop = threading.Event()
    problems: list[str] = []
    reads = [0]

    def read(library: Library) -> None:
        while not stop.is_set() and len(problems) < 5:
            try:
                if library.generation is None or not library.chunks():
                    problems.append("the index looked empty")
            except Exception as exc:  # collected and reported below
                problems.append(f"{type(exc).__name__}: {exc}")
            reads[0] += 1

    libraries = [writer, writer, Library.open(settings)]
    threads = [threading.Thread(target=read, args=(lib,), daemon=True) for lib in libraries]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 2.0
        commits = 0
        while time.monotonic() < deadline and not problems:
            commits += 1
            (corpus / "thong-bao.txt").write_text(
                f"Thông báo số {commits} về lịch tiếp dân.", encoding="utf-8"
            )
            writer.ingest([corpus])
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        sys.setswitchinterval(old_interval)
    assert problems == [], problems
    assert commits >= 5 and reads[0] > 100


def test_a_generation_collected_between_reading_current_and_opening_it_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving above, made deterministic: two ingests complete right after a reader read CURRENT."""
    settings = bm25_settings(tmp_path / "home")
    corpus = write_bulletins(tmp_path / "corpus", 3)
    writer = Library.open(settings)
    writer.ingest([corpus])
    original_open = SnapshotStore.open
    pending = [True]

    def open_after_two_commits(store: SnapshotStore, generation: int) -> Generation:
        if pending and pending.pop():
            for n in (1, 2):
                (corpus / "thong-bao.txt").write_text(f"Thông báo số {n} về lịch tiếp dân.", encoding="utf-8")
                writer.ingest([corpus])
        return original_open(store, generation)

    monkeypatch.setattr(SnapshotStore, "open", open_after_two_commits)
    reader = Library.open(settings)
    assert reader.generation == 3
    assert reader.document("thong-bao.txt") is not None
    assert not (settings.index_dir / "gen-000001").exists()
