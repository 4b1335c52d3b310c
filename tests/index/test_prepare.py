"""Files loaded and embedded ahead of an ingest (what an ingest job does without the writer lock), then
merged into whatever generation is live when the job writes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index.ingestion import IngestProgress
from index.library import Library
from index.snapshot import SnapshotStore
from tests.index.helpers import CORPUS, HashingEmbedder, settings_for, write_corpus


class Stop(Exception):
    pass


def _stage(tmp_path: Path, files: dict[str, str]) -> list[tuple[Path, Path]]:
    """Files written under a staging folder, each paired with the path it will be ingested from."""
    staging, uploads = tmp_path / "staging", tmp_path / "uploads"
    staging.mkdir(exist_ok=True)
    uploads.mkdir(exist_ok=True)
    pairs = []
    for n, (name, text) in enumerate(files.items()):
        staged = staging / f"{n}"
        staged.write_text(text, encoding="utf-8")
        pairs.append((staged, uploads / name))
    return pairs


def _install(pairs: list[tuple[Path, Path]]) -> list[Path]:
    for staged, target in pairs:
        os.link(staged, target)
    return [target for _, target in pairs]


def test_prepared_files_are_ingested_without_loading_or_embedding_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = HashingEmbedder()
    library = Library.open(settings_for(tmp_path / "home"), embedder=embedder)
    flat = {name.replace("/", "-"): text for name, text in CORPUS.items()}
    pairs = _stage(tmp_path, flat)
    events: list[IngestProgress] = []
    prepared = library.prepare(pairs, progress=events.append)
    embedded = embedder.texts_embedded
    assert embedded > 0 and not prepared.failed

    def fail(*_: object) -> None:
        raise AssertionError("a prepared file was loaded again")

    monkeypatch.setattr("ingest.pipeline.document_from_bytes", fail)
    report = library.ingest(_install(pairs), ahead=prepared)
    assert report.counts["added"] == 3 and report.embedded == 0 and embedder.texts_embedded == embedded
    monkeypatch.undo()
    # Recorded under the path it was ingested from, so `rebuild` re-reads it after the staging is gone.
    shutil.rmtree(tmp_path / "staging")
    assert {f.path for f in SnapshotStore(library.settings.index_dir).open_current().files()} == {  # type: ignore[union-attr]
        str((tmp_path / "uploads" / name).resolve()) for name in flat
    }
    assert library.rebuild().counts["added"] == 3
    hits = library.search("Trung tâm hành chính công của Quảng Trị mở ở đâu?", k=1)
    assert hits[0].chunk.doc_id == "quang-tri.txt"
    # Per file: 'scan' when it starts, then 'embed' with that file's chunks done of its total.
    embeds = [e for e in events if e.phase == "embed"]
    for name in flat:
        mine = [e for e in embeds if e.source == name]
        assert mine and mine[-1].done == mine[-1].total == len(library.chunks(name))
        assert [e.done for e in mine] == sorted(e.done for e in mine)
    assert [e.source for e in events if e.phase == "scan"] == list(flat)


def test_chunk_texts_already_indexed_or_repeated_are_embedded_once(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    library = Library.open(settings_for(tmp_path / "home"), embedder=embedder)
    library.ingest([write_corpus(tmp_path / "corpus")])
    before = embedder.texts_embedded
    paragraph = "Xã Phú Mậu tổ chức tập huấn chuyển đổi số cho cán bộ một cửa vào sáng thứ Hai hằng tuần."
    repeated = "\n\n".join([paragraph] * 12)
    pairs = _stage(tmp_path, {"lap-lai.txt": repeated, "ban-sao.txt": CORPUS["can-tho.txt"]})
    events: list[IngestProgress] = []
    prepared = library.prepare(pairs, progress=events.append)
    assert embedder.texts_embedded - before == 1  # one distinct new text; the copy of can-tho.txt: none
    copy = [e for e in events if e.phase == "embed" and e.source == "ban-sao.txt"]
    assert copy[0].done == copy[0].total  # all re-used: done at once
    report = library.ingest(_install(pairs), ahead=prepared)
    assert report.counts["added"] == 2 and embedder.texts_embedded - before == 1
    assert len(library.chunks("lap-lai.txt")) > 1


def test_prepare_holds_no_lock_and_the_ingest_merges_onto_the_generation_live_then(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "home")
    library = Library.open(settings, embedder=HashingEmbedder())
    library.ingest([write_corpus(tmp_path / "corpus")])
    other = Library.open(settings, embedder=HashingEmbedder())  # a delete arriving while the job embeds
    removed: list[int | None] = []

    def checkpoint() -> None:
        if not removed:
            report = other.remove("quang-tri.txt")  # would wait on index/.lock if prepare held it
            removed.append(report.generation)

    pairs = _stage(tmp_path, {"moi.txt": "Thông báo mới\n\nXã Hương Thủy mở lớp tin học cho người cao tuổi."})
    prepared = library.prepare(pairs, checkpoint=checkpoint)
    assert removed and removed[0] is not None
    report = library.ingest(_install(pairs), ahead=prepared)
    assert report.counts["added"] == 1
    assert {d.id for d in library.documents()} == {"can-tho.txt", "nong-nghiep/lua.md", "moi.txt"}
    assert library.verify() == []


def test_a_checkpoint_that_raises_changes_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "home")
    library = Library.open(settings, embedder=HashingEmbedder())
    library.ingest([write_corpus(tmp_path / "corpus")])
    generation = library.generation
    pairs = _stage(tmp_path, {"moi.txt": "Thông báo mới\n\nXã Hương Thủy mở lớp tin học cho người cao tuổi."})

    def stop() -> None:
        raise Stop

    with pytest.raises(Stop):
        library.prepare(pairs, checkpoint=stop)
    prepared = library.prepare(pairs)
    calls: list[int] = []

    def stop_before_writing() -> None:
        calls.append(1)
        if len(calls) == 2:  # the second call: just before the generation is written
            raise Stop

    targets = _install(pairs)
    with pytest.raises(Stop):
        library.ingest(targets, ahead=prepared, checkpoint=stop_before_writing)
    assert library.generation == generation and library.document("moi.txt") is None
    assert not list(settings.index_dir.glob("gen-*.tmp"))
    assert library.ingest(targets, ahead=prepared).counts["added"] == 1


def test_a_file_changed_after_it_was_prepared_is_loaded_again(tmp_path: Path) -> None:
    library = Library.open(settings_for(tmp_path / "home"), embedder=HashingEmbedder())
    pairs = _stage(tmp_path, {"tb.txt": "Thông báo cũ\n\nLịch tiếp dân vào thứ Ba."})
    prepared = library.prepare(pairs)
    (target,) = _install(pairs)
    target.unlink()
    target.write_text("Thông báo mới\n\nLịch tiếp dân chuyển sang thứ Năm.", encoding="utf-8")
    library.ingest([target], ahead=prepared)
    document = library.document("tb.txt")
    assert document is not None and "thứ Năm" in document.text


def test_a_file_that_cannot_be_loaded_is_reported_and_the_others_prepared(tmp_path: Path) -> None:
    library = Library.open(settings_for(tmp_path / "home"), embedder=HashingEmbedder())
    pairs = _stage(tmp_path, {"rong.txt": "  \n", "tot.txt": "Thông báo\n\nXã mở cửa sáng thứ Bảy."})
    prepared = library.prepare(pairs)
    assert set(prepared.failed) == {"rong.txt"} and "rỗng" in prepared.failed["rong.txt"]
    assert [Path(p).name for p in prepared.loaded] == ["tot.txt"]
