"""Incremental ingest, snapshots and search of the Library, on the real ingest stage, BM25 and FAISS files.

The embedder here is a hashing stand-in (wiring only); tests/index/test_library_real.py runs the real model.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from index.ingestion import IngestProgress
from index.library import EmbedderMismatchError, EmptyQueryError, Library, SearchFilters, UnknownDocumentError
from index.snapshot import IndexBusyError, SnapshotStore
from tests.index.helpers import HashingEmbedder, settings_for, write_corpus
from troly.errors import IndexCorruptError


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library.open(settings_for(tmp_path / "home"), embedder=HashingEmbedder())


def _statuses(report: object) -> dict[str, str]:
    return {o.source: o.status for o in report.outcomes}  # type: ignore[attr-defined]


def test_ingest_then_search_finds_the_right_document(library: Library, corpus: Path) -> None:
    report = library.ingest([corpus])
    assert report.counts["added"] == 3 and not report.failed
    assert {d.id for d in library.documents()} == {"can-tho.txt", "quang-tri.txt", "nong-nghiep/lua.md"}
    hits = library.search("Trung tâm hành chính công của Quảng Trị mở ở đâu?", k=3)
    assert hits[0].chunk.doc_id == "quang-tri.txt"
    assert [h.rank for h in hits] == [1, 2, 3]
    doc = library.document("quang-tri.txt")
    assert doc is not None
    chunk = library.chunk(hits[0].chunk.id)
    assert chunk is not None and doc.text[chunk.start : chunk.end] == chunk.text


def test_unchanged_files_are_skipped_without_parsing_and_nothing_is_written(
    library: Library, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = library.ingest([corpus])
    index_dir = library.settings.index_dir
    before = sorted(p.name for p in index_dir.iterdir())

    def fail(*_args: object) -> None:
        raise AssertionError("an unchanged file was parsed")

    monkeypatch.setattr("ingest.pipeline.document_from_bytes", fail)
    again = library.ingest([corpus])
    assert again.counts["skipped"] == 3 and again.generation == first.generation
    assert sorted(p.name for p in index_dir.iterdir()) == before
    # A touched but identical file is recognised by its hash, still without parsing.
    path = corpus / "can-tho.txt"
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert library.ingest([corpus]).counts["skipped"] == 3


def test_changed_file_replaces_its_chunks_and_reuses_vectors_of_identical_text(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    library = Library.open(settings_for(tmp_path / "home"), embedder=embedder)
    corpus = write_corpus(tmp_path / "corpus")
    library.ingest([corpus])
    embedded_first = embedder.texts_embedded
    path = corpus / "can-tho.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nThành phố thí điểm trợ lý ảo cho cán bộ xã.")
    report = library.ingest([corpus])
    assert _statuses(report)["can-tho.txt"] == "updated"
    assert report.counts["skipped"] == 2
    # Only chunks whose text changed were embedded again.
    assert 0 < report.embedded < len(library.chunks("can-tho.txt")) + 1
    assert embedder.texts_embedded - embedded_first == report.embedded
    hits = library.search("trợ lý ảo cho cán bộ xã", k=1)
    assert hits[0].chunk.doc_id == "can-tho.txt" and "trợ lý ảo" in hits[0].chunk.text


def test_new_chunk_sizes_or_processing_version_reprocess_unchanged_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    settings = settings_for(tmp_path / "home")
    Library.open(settings, embedder=HashingEmbedder()).ingest([corpus])
    small = settings.model_copy(
        update={"chunking": settings.chunking.model_copy(update={"target_words": 20, "max_words": 40})}
    )
    library = Library.open(small, embedder=HashingEmbedder())
    report = library.ingest([corpus])
    assert _statuses(report) == {s: "updated" for s in ("can-tho.txt", "quang-tri.txt", "nong-nghiep/lua.md")}
    assert all(o.reason == "xử lý lại theo cách tách đoạn mới" for o in report.outcomes)
    assert all(len(c.text.split()) <= 40 for c in library.chunks())
    assert library.ingest([corpus]).counts["skipped"] == 3
    # A troly whose loading, cleaning or chunking changed says so by its version: files are processed again,
    # and the vectors of chunk texts that did not change are re-used.
    monkeypatch.setattr("ingest.pipeline.PROCESSING_VERSION", 999)
    embedder = HashingEmbedder()
    again = Library.open(small, embedder=embedder).ingest([corpus])
    assert again.counts["updated"] == 3 and again.embedded == 0 and embedder.texts_embedded == 0


def test_prune_removes_documents_whose_files_are_gone(library: Library, corpus: Path) -> None:
    library.ingest([corpus])
    (corpus / "quang-tri.txt").unlink()
    kept = library.ingest([corpus])
    assert "quang-tri.txt" in {d.id for d in library.documents()} and not kept.changed
    pruned = library.ingest([corpus], prune=True)
    assert _statuses(pruned)["quang-tri.txt"] == "removed"
    assert "quang-tri.txt" not in {d.id for d in library.documents()}
    assert all(c.doc_id != "quang-tri.txt" for c in library.chunks())


def test_remove_by_id(library: Library, corpus: Path) -> None:
    library.ingest([corpus])
    report = library.remove("nong-nghiep/lua.md")
    assert report.outcomes[0].status == "removed"
    assert library.document("nong-nghiep/lua.md") is None
    assert all(h.chunk.doc_id != "nong-nghiep/lua.md" for h in library.search("lúa đông xuân", k=5))
    with pytest.raises(UnknownDocumentError):
        library.remove("nong-nghiep/lua.md")


def test_failed_file_is_reported_and_leaves_its_previous_version(library: Library, corpus: Path) -> None:
    library.ingest([corpus])
    (corpus / "can-tho.txt").write_bytes(b"")
    (corpus / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    report = library.ingest([corpus])
    statuses = _statuses(report)
    assert statuses["can-tho.txt"] == "failed" and statuses["bad.pdf"] == "failed"
    assert all(o.reason for o in report.failed)
    assert not report.changed and report.generation == library.generation
    assert library.document("can-tho.txt") is not None


def test_missing_path_is_a_failed_outcome(library: Library, tmp_path: Path) -> None:
    report = library.ingest([tmp_path / "khong-co"])
    assert report.counts["failed"] == 1 and report.generation is None


def test_filters_by_source_prefix_and_date(library: Library, corpus: Path) -> None:
    library.ingest([corpus])
    hits = library.search("chuyển đổi số", k=5, filters=SearchFilters(source_prefix="nong-nghiep/"))
    assert hits and all(h.chunk.doc_id.startswith("nong-nghiep/") for h in hits)
    # None of our test files carries a date, so a date filter leaves nothing.
    assert library.search("chuyển đổi số", k=5, filters=SearchFilters(date_from="2020")) == []


def test_bm25_search_never_builds_the_embedder(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path / "home")
    Library.open(settings, embedder=HashingEmbedder()).ingest([corpus])
    bm25_only = settings_for(tmp_path / "home", fusion="bm25")
    reader = Library.open(bm25_only)
    assert reader.search("can tho xep hang", k=1)[0].chunk.doc_id == "can-tho.txt"
    assert reader._embedder is None


def test_unaccented_question_matches_folded_tokens(library: Library, corpus: Path) -> None:
    library.ingest([corpus])
    hit = library.search("nop ho so qua ung dung di dong", k=1)[0]
    assert hit.chunk.doc_id == "quang-tri.txt" and hit.bm25 is not None and hit.bm25 > 0


def test_empty_question_is_a_clear_error(library: Library) -> None:
    with pytest.raises(EmptyQueryError):
        library.search("   ")


def test_embedder_mismatch_suggests_rebuild(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path / "home")
    Library.open(settings, embedder=HashingEmbedder(dim=64)).ingest([corpus])
    other = Library.open(settings, embedder=HashingEmbedder(dim=32, name="other"))
    with pytest.raises(EmbedderMismatchError, match="troly index rebuild"):
        other.search("Cần Thơ")
    (corpus / "moi.txt").write_text("Tài liệu mới về dịch vụ công trực tuyến.", encoding="utf-8")
    with pytest.raises(EmbedderMismatchError):
        other.ingest([corpus])
    assert other.verify()  # verify reports it too
    report = other.rebuild()
    assert report.counts["added"] == 3  # rebuild re-reads the recorded files, not the new one
    assert other.search("Cần Thơ xếp hạng", k=1)[0].chunk.doc_id == "can-tho.txt"


def test_corrupted_manifest_raises_index_corrupt_and_rebuild_recovers(library: Library, corpus: Path) -> None:
    library.ingest([corpus])
    generation = library.settings.index_dir / f"gen-{library.generation:06d}"
    (generation / "manifest.json").write_text("{broken", encoding="utf-8")
    reader = Library.open(library.settings, embedder=HashingEmbedder())
    with pytest.raises(IndexCorruptError, match="troly index rebuild"):
        reader.search("Cần Thơ")
    report = reader.rebuild()
    assert report.counts["added"] == 3
    assert reader.search("Cần Thơ xếp hạng", k=1)[0].chunk.doc_id == "can-tho.txt"
    assert reader.verify() == []


def test_tampered_chunks_fail_their_checksum(library: Library, corpus: Path) -> None:
    library.ingest([corpus])
    generation = library.settings.index_dir / f"gen-{library.generation:06d}"
    chunks = generation / "chunks.jsonl"
    chunks.write_bytes(chunks.read_bytes().replace("Cần".encode(), "Cân".encode(), 1))
    reader = Library.open(library.settings, embedder=HashingEmbedder())
    with pytest.raises(IndexCorruptError, match="sha256"):
        reader.search("Cần Thơ")
    assert any("sha256" in p for p in reader.verify())


def test_crash_before_current_flips_leaves_previous_generation_live(
    library: Library, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library.ingest([corpus])
    live = library.generation

    def crash(self: SnapshotStore, generation: int) -> None:
        raise KeyboardInterrupt  # the process dies after writing gen-N, before CURRENT is replaced

    monkeypatch.setattr(SnapshotStore, "publish", crash)
    (corpus / "moi.txt").write_text("Xã triển khai ký số cho hồ sơ hộ tịch.", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        library.ingest([corpus])
    monkeypatch.undo()
    reader = Library.open(library.settings, embedder=HashingEmbedder())
    assert reader.generation == live
    assert reader.document("moi.txt") is None and reader.verify() == []
    # The next ingest succeeds and collects the orphaned generation.
    report = reader.ingest([corpus])
    assert report.counts["added"] == 1 and reader.generation == (live or 0) + 2
    names = sorted(p.name for p in library.settings.index_dir.glob("gen-*"))
    assert names == [f"gen-{live:06d}", f"gen-{(live or 0) + 2:06d}"]


def test_old_generations_are_collected_keeping_the_previous_one(library: Library, corpus: Path) -> None:
    library.ingest([corpus])
    for n in range(3):
        (corpus / f"moi-{n}.txt").write_text(f"Thông báo số {n} về lịch tiếp dân.", encoding="utf-8")
        library.ingest([corpus])
    names = sorted(p.name for p in library.settings.index_dir.glob("gen-*"))
    assert names == ["gen-000003", "gen-000004"]
    assert (library.settings.index_dir / "CURRENT").read_text().strip() == "gen-000004"


def test_second_writer_waits_then_fails_clearly(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path / "home")
    library = Library.open(settings, embedder=HashingEmbedder())
    library._store.lock_timeout_s = 0.2
    holder = SnapshotStore(settings.index_dir)
    with holder.writing(), pytest.raises(IndexBusyError, match="thử lại"):
        library.ingest([corpus])


def test_concurrent_ingests_serialise(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path / "home")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            Library.open(settings, embedder=HashingEmbedder()).ingest([corpus])
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    reader = Library.open(settings, embedder=HashingEmbedder())
    assert reader.verify() == [] and len(reader.documents()) == 3
    assert reader.generation == 1  # the second writer found everything unchanged


def test_reader_picks_up_a_new_generation(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path / "home")
    writer = Library.open(settings, embedder=HashingEmbedder())
    reader = Library.open(settings, embedder=HashingEmbedder())
    assert reader.documents() == []
    writer.ingest([corpus])
    assert len(reader.documents()) == 3


def test_rebuild_of_a_sound_index_reuses_its_vectors(library: Library, corpus: Path) -> None:
    first = library.ingest([corpus])
    report = library.rebuild()
    assert report.counts["added"] == 3 and report.embedded == 0 and first.embedded > 0
    assert library.generation == (first.generation or 0) + 1 and library.verify() == []


def test_progress_reports_each_phase(library: Library, corpus: Path) -> None:
    steps: list[IngestProgress] = []
    library.ingest([corpus], progress=steps.append)
    phases = [s.phase for s in steps]
    assert phases.count("scan") == 3 and "embed" in phases and phases[-1] == "write"
    assert steps[-1].done == steps[-1].total


def test_abbreviations_defined_in_the_corpus_expand_questions(tmp_path: Path) -> None:
    files = {
        "tien-tien.txt": "Quy định\n\nChương trình tiên tiến (CTTT) tuyển sinh viên giỏi ngoại ngữ.",
        "mau.txt": "Mẫu đơn\n\nSinh viên CTTT nộp đơn tại phòng đào tạo trước ngày 15.",
        "khac.txt": "Học phí\n\nChương trình tiên tiến do khoa quản lý, học phí theo tín chỉ.",
    }
    settings = settings_for(tmp_path / "home", fusion="bm25")
    library = Library.open(settings, embedder=HashingEmbedder())
    library.ingest([write_corpus(tmp_path / "corpus", files)])
    plain = settings.retrieval.model_copy(update={"expand_abbreviations": False})
    assert {h.chunk.doc_id for h in library.search("CTTT", k=3, retrieval=plain)} == {
        "tien-tien.txt",
        "mau.txt",
    }
    # The expansion learnt from tien-tien.txt reaches the document that only spells the words out.
    assert "khac.txt" in {h.chunk.doc_id for h in library.search("CTTT", k=3)}
    assert "khac.txt" in {h.chunk.doc_id for h in library.search("cttt", k=3)}
