"""Embeddings from an Ollama server (`/api/embed`), batched and L2-normalised here (Ollama's vectors are
normalised for most models but not guaranteed). The dimension is learned from the first call."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import ollama

from assistant.llm.ollama_chat_model import OllamaError, make_client, ollama_errors
from index.base import EmbedKind, Vectors
from troly.settings import OllamaSettings


class OllamaEmbedder:
    def __init__(
        self,
        settings: OllamaSettings,
        *,
        model: str = "",
        batch_size: int = 16,
        client: ollama.Client | None = None,
    ) -> None:
        self._host = settings.host
        self._model = model or settings.embed_model
        self._batch_size = batch_size
        self._client = client or make_client(settings)
        self._dim: int | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"ollama:{self._model}"

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed(["dim"], "query")
        assert self._dim is not None
        return self._dim

    def embed(self, texts: Sequence[str], kind: EmbedKind = "passage") -> Vectors:
        # `kind` is unused: Ollama embedding models take raw text (bge-m3 needs no query/passage prefix).
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [
            self._embed_batch(texts[i : i + self._batch_size]) for i in range(0, len(texts), self._batch_size)
        ]
        vectors = np.concatenate(batches, axis=0)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise OllamaError(
                f"Ollama trả về vector rỗng cho mô hình {self._model}.", code="ollama_bad_vector"
            )
        return np.ascontiguousarray(vectors / norms, dtype=np.float32)

    def _embed_batch(self, texts: Sequence[str]) -> Vectors:
        with ollama_errors(self._host, self._model):
            response = self._client.embed(model=self._model, input=list(texts))
        vectors = np.asarray(response.embeddings, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise OllamaError(
                f"Ollama trả về {vectors.shape[0] if vectors.ndim else 0} vector cho {len(texts)} đoạn văn "
                f"(mô hình {self._model} có phải mô hình embedding?).",
                code="ollama_bad_vector",
            )
        with self._lock:
            if self._dim is None:
                self._dim = int(vectors.shape[1])
            elif vectors.shape[1] != self._dim:
                raise OllamaError(
                    f"Số chiều vector của {self._model} đổi từ {self._dim} sang {vectors.shape[1]}.",
                    code="ollama_bad_vector",
                )
        return vectors
