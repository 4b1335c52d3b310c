"""LangChain adapters: the Library as a `BaseRetriever`, any troly `Embedder` as LangChain `Embeddings`.

They let troly's index drop into an LCEL chain (retriever | format | prompt | llm) without LangChain owning
any of troly's own pipeline.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LcDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from index.base import Embedder
from index.library import Library, SearchFilters
from troly.records import SearchHit


def to_langchain(hit: SearchHit) -> LcDocument:
    """A search hit as a LangChain Document; metadata keeps what a citation needs (source, offsets)."""
    chunk = hit.chunk
    metadata: dict[str, Any] = {
        "source": chunk.doc_id,
        "chunk_id": chunk.id,
        "title": chunk.title,
        "date": chunk.date,
        "start": chunk.start,
        "end": chunk.end,
        "score": hit.score,
        "rank": hit.rank,
    }
    return LcDocument(page_content=chunk.text, metadata=metadata, id=chunk.id)


class LibraryRetriever(BaseRetriever):
    """`retriever.invoke("câu hỏi")` -> the k best chunks as LangChain Documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    library: Library
    k: int = 5
    filters: SearchFilters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LcDocument]:
        return [to_langchain(hit) for hit in self.library.search(query, self.k, self.filters)]


class EmbedderEmbeddings(Embeddings):
    """A troly `Embedder` seen as LangChain `Embeddings` (query and passage kinds kept apart)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self.embedder.embed(texts, "passage")]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.embedder.embed([text], "query")[0]]
