"""The LangChain adapters inside a small LCEL chain (retriever | prompt | fake chat model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from langchain_core.documents import Document as LcDocument
from langchain_core.language_models.fake_chat_models import ParrotFakeChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

from index.langchain import EmbedderEmbeddings, LibraryRetriever
from index.library import Library
from tests.index.helpers import HashingEmbedder, settings_for, write_corpus


def _format(docs: list[LcDocument]) -> str:
    return "\n".join(f"[{d.metadata['source']}] {d.page_content}" for d in docs)


def test_retriever_in_an_lcel_chain(tmp_path: Path) -> None:
    library = Library.open(settings_for(tmp_path / "home"), embedder=HashingEmbedder())
    library.ingest([write_corpus(tmp_path / "corpus")])
    retriever = LibraryRetriever(library=library, k=2)
    docs = retriever.invoke("trung tam hanh chinh cong Quang Tri")
    assert docs[0].metadata["source"] == "quang-tri.txt" and docs[0].metadata["rank"] == 1
    assert docs[0].page_content == library.chunk(docs[0].metadata["chunk_id"]).text  # type: ignore[union-attr]

    prompt = ChatPromptTemplate.from_messages([("human", "Nguồn:\n{context}\n\nCâu hỏi: {question}")])
    chain = (
        {"context": retriever | _format, "question": RunnablePassthrough()}
        | prompt
        | ParrotFakeChatModel()  # echoes the prompt back, so we can see what reached the model
        | StrOutputParser()
    )
    out = chain.invoke("Người dân nộp hồ sơ qua đâu?")
    assert "[quang-tri.txt]" in out and "Câu hỏi: Người dân nộp hồ sơ qua đâu?" in out


def test_embeddings_adapter_keeps_query_and_passage_apart() -> None:
    embeddings = EmbedderEmbeddings(HashingEmbedder(dim=16))
    docs = embeddings.embed_documents(["Cần Thơ", "lúa"])
    query = embeddings.embed_query("can tho")
    assert len(docs) == 2 and len(query) == 16
    assert np.dot(docs[0], query) > np.dot(docs[1], query)
