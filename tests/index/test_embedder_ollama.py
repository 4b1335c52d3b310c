"""OllamaEmbedder against a real HTTP server speaking Ollama's `/api/embed` (tests/fakes/ollama_server.py)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.llm.ollama_chat_model import OllamaError
from index.embedders.ollama_embedder import OllamaEmbedder
from tests.fakes import ollama_server as fake_ollama
from tests.fakes.ollama_server import EMBED_DIM, FakeOllama, fake_embedding
from troly.settings import OllamaSettings

ollama_server = fake_ollama.ollama_server  # the shared fixture, by name

TEXTS = [f"Đoạn văn số {i} về chuyển đổi số cấp xã." for i in range(7)]


def _embedder(server: FakeOllama, *, batch_size: int = 3, model: str = "") -> OllamaEmbedder:
    return OllamaEmbedder(OllamaSettings(host=server.url, timeout_s=5), model=model, batch_size=batch_size)


def test_vectors_are_normalised_batched_and_in_order(ollama_server: FakeOllama) -> None:
    vectors = _embedder(ollama_server).embed(TEXTS)
    assert vectors.shape == (7, EMBED_DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    calls = [body for endpoint, body in ollama_server.requests if endpoint == "POST /api/embed"]
    assert [len(body["input"]) for body in calls] == [3, 3, 1]
    assert calls[0]["model"] == "bge-m3"
    expected = np.asarray(fake_embedding(TEXTS[4]), dtype=np.float32)
    np.testing.assert_allclose(vectors[4], expected / np.linalg.norm(expected), rtol=1e-5)


def test_dim_is_learned_from_the_server(ollama_server: FakeOllama) -> None:
    embedder = _embedder(ollama_server)
    assert embedder.dim == EMBED_DIM
    assert embedder.name == "ollama:bge-m3"
    assert embedder.embed([]).shape == (0, EMBED_DIM)


def test_same_text_same_vector_for_query_and_passage(ollama_server: FakeOllama) -> None:
    embedder = _embedder(ollama_server)
    np.testing.assert_array_equal(embedder.embed(["hồ sơ"], "query"), embedder.embed(["hồ sơ"], "passage"))


def test_missing_model_and_server_down(ollama_server: FakeOllama) -> None:
    with pytest.raises(OllamaError) as info:
        _embedder(ollama_server, model="nomic-embed-text").embed(["a"])
    assert info.value.code == "ollama_model_missing"
    assert "ollama pull nomic-embed-text" in info.value.message
    url = ollama_server.url
    ollama_server.stop()
    down = OllamaEmbedder(OllamaSettings(host=url, timeout_s=2))
    with pytest.raises(OllamaError) as info:
        down.embed(["a"])
    assert info.value.code == "ollama_unreachable"
