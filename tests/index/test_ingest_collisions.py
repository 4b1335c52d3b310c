"""Two files with one document id, documents moved between folders, and `--prune` of a deleted folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.library import IngestReport, Library
from tests.index.helpers import CORPUS, settings_for, write_corpus

TEXT_A = CORPUS["can-tho.txt"]
TEXT_B = CORPUS["quang-tri.txt"]


@pytest.fixture
def library(tmp_path: Path) -> Library:
    settings = settings_for(tmp_path / "home", fusion="bm25")
    settings.embedding.backend = "none"
    return Library.open(settings)


def _outcomes(report: IngestReport, status: str) -> list[str]:
    return [o.source for o in report.outcomes if o.status == status]


def _two_folders(root: Path) -> tuple[Path, Path]:
    write_corpus(root / "a", {"tb.txt": TEXT_A})
    write_corpus(root / "b", {"tb.txt": TEXT_B})
    return root / "a", root / "b"


def test_same_id_in_one_run_keeps_the_first_and_fails_the_second(library: Library, tmp_path: Path) -> None:
    a, b = _two_folders(tmp_path / "d")
    report = library.ingest([a, b])
    assert _outcomes(report, "added") == ["tb.txt"]
    [failed] = report.failed
    assert failed.source == "tb.txt" and failed.reason is not None
    assert "trùng mã tài liệu 'tb.txt'" in failed.reason and str((a / "tb.txt").resolve()) in failed.reason
    document = library.document("tb.txt")
    assert document is not None and document.path == str((a / "tb.txt").resolve())
    generation = library.generation

    # No flip-flop: the same command again changes nothing and writes no generation.
    again = library.ingest([a, b])
    assert _outcomes(again, "skipped") == ["tb.txt"] and len(again.failed) == 1
    assert not again.changed and library.generation == generation


def test_id_recorded_from_another_existing_file_is_not_replaced(library: Library, tmp_path: Path) -> None:
    a, b = _two_folders(tmp_path / "d")
    library.ingest([a])
    generation = library.generation
    report = library.ingest([b])
    [failed] = report.failed
    assert failed.reason is not None and "troly remove tb.txt" in failed.reason
    assert str((a / "tb.txt").resolve()) in failed.reason
    assert not report.changed and library.generation == generation
    document = library.document("tb.txt")
    assert document is not None and document.path == str((a / "tb.txt").resolve())

    # Named together in the other order, the recorded file still wins and the other one is reported.
    both = library.ingest([b, a])
    assert _outcomes(both, "skipped") == ["tb.txt"] and len(both.failed) == 1 and not both.changed

    # After `troly remove`, the other folder's file may take the id.
    library.remove("tb.txt")
    replaced = library.ingest([b])
    assert _outcomes(replaced, "added") == ["tb.txt"]
    document = library.document("tb.txt")
    assert document is not None and document.path == str((b / "tb.txt").resolve())


def test_moved_folder_replaces_the_document(library: Library, tmp_path: Path) -> None:
    old = write_corpus(tmp_path / "cu", {"tb.txt": TEXT_A})
    library.ingest([old])
    new = tmp_path / "moi"
    old.rename(new)
    report = library.ingest([new])
    assert _outcomes(report, "updated") == ["tb.txt"] and not report.failed
    document = library.document("tb.txt")
    assert document is not None and document.path == str((new / "tb.txt").resolve())


def test_reingesting_the_same_single_file_updates_it(library: Library, tmp_path: Path) -> None:
    """Web uploads re-save one path under uploads/ and ingest it: the same path is an update."""
    path = tmp_path / "uploads" / "tb.txt"
    path.parent.mkdir()
    path.write_text(TEXT_A, encoding="utf-8")
    assert _outcomes(library.ingest([path]), "added") == ["tb.txt"]
    path.write_text(TEXT_B, encoding="utf-8")
    report = library.ingest([path])
    assert _outcomes(report, "updated") == ["tb.txt"] and not report.failed


def test_prune_of_a_deleted_folder_removes_its_documents(library: Library, tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c")
    other = write_corpus(tmp_path / "khac", {"khac.txt": TEXT_B})
    library.ingest([folder, other])
    shutil.rmtree(folder)

    without_prune = library.ingest([folder])
    assert len(without_prune.failed) == 1 and not without_prune.changed

    report = library.ingest([folder], prune=True)
    assert not report.failed
    assert sorted(_outcomes(report, "removed")) == sorted(CORPUS)
    assert {d.id for d in library.documents()} == {"khac.txt"}


def test_prune_of_a_deleted_single_file_removes_it(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "tb.txt"
    path.write_text(TEXT_A, encoding="utf-8")
    library.ingest([path])
    path.unlink()
    report = library.ingest([path], prune=True)
    assert _outcomes(report, "removed") == ["tb.txt"] and not report.failed
    assert library.documents() == []


def test_prune_of_a_path_that_never_held_documents_still_fails(library: Library, tmp_path: Path) -> None:
    library.ingest([write_corpus(tmp_path / "c")])
    # A sibling whose name shares a prefix must not be matched as a parent folder.
    report = library.ingest([tmp_path / "c-khac"], prune=True)
    assert len(report.failed) == 1 and not report.changed
    assert len(library.documents()) == len(CORPUS)
