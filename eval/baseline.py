"""The naive RAG pipeline troly is compared against, with the same embedder and the same LLM.

Deliberately naive, as a reader of a RAG tutorial would first build it: files read as they are (no Unicode
normalisation, no boilerplate cleaning), fixed word windows, dense-only FAISS search (no BM25, no accent
folding), the top-k chunks pasted whole into the prompt (no evidence selection), and the model's [n] markers
taken as citations without any check that the quote supports the answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.llm.base import ChatMessage, ChatModel, ChatModelError
from index.base import Embedder
from index.faiss_store import FaissStore
from troly.errors import TrolyError
from troly.records import Answer, Chunk, Citation, SearchHit

SYSTEM_PROMPT = (
    "Bạn là trợ lý trả lời câu hỏi dựa trên tài liệu được cung cấp. Trả lời ngắn gọn bằng tiếng Việt và ghi "
    "số nguồn dạng [1]. Nếu tài liệu không có thông tin, hãy nói: Không tìm thấy thông tin trong tài liệu."
)
# Phrases by which the model says the documents do not hold the answer.
REFUSAL_PHRASES = (
    "không tìm thấy",
    "không có thông tin",
    "không được đề cập",
    "không đề cập",
    "không có trong",
)
_CITATION = re.compile(r"\[(\d+)\]")
TEXT_SUFFIXES = (".txt", ".md")


class BaselineError(TrolyError):
    code = "baseline"


def read_corpus(folder: Path) -> list[tuple[str, str]]:
    """(source relative to `folder`, raw text) of every .txt/.md file, as read, without cleaning."""
    if not folder.is_dir():
        raise BaselineError(f"Không tìm thấy thư mục tài liệu: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
    if not files:
        raise BaselineError(f"Thư mục {folder} không có tệp .txt hoặc .md nào cho pipeline so sánh.")
    return [
        (p.relative_to(folder).as_posix(), p.read_text(encoding="utf-8", errors="replace")) for p in files
    ]


def window_chunks(source: str, text: str, words: int) -> list[Chunk]:
    """Consecutive windows of `words` whitespace-separated words, with offsets into `text`."""
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    chunks: list[Chunk] = []
    for ordinal, first in enumerate(range(0, len(spans), words)):
        start, end = spans[first][0], spans[min(first + words, len(spans)) - 1][1]
        chunks.append(
            Chunk(
                id=f"{source}#{ordinal}",
                doc_id=source,
                ordinal=ordinal,
                text=text[start:end],
                start=start,
                end=end,
            )
        )
    return chunks


class BaselinePipeline:
    """Dense-only retrieval and whole chunks in the prompt; `answer()` returns a troly `Answer` record."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        embedder: Embedder,
        chat_model: ChatModel,
        *,
        k: int = 5,
        max_tokens: int = 160,
        batch_size: int = 32,
    ) -> None:
        if not chunks:
            raise BaselineError("Pipeline so sánh không có đoạn văn nào để tìm kiếm.")
        self._chunks = {c.id: c for c in chunks}
        self._embedder = embedder
        self._chat = chat_model
        self._k = k
        self._max_tokens = max_tokens
        self._store = FaissStore(embedder.dim)
        for first in range(0, len(chunks), batch_size):
            batch = chunks[first : first + batch_size]
            self._store.add([c.id for c in batch], embedder.embed([c.text for c in batch], kind="passage"))

    @classmethod
    def from_folder(
        cls, folder: Path, embedder: Embedder, chat_model: ChatModel, *, k: int = 5, words: int = 220
    ) -> BaselinePipeline:
        chunks = [c for source, text in read_corpus(folder) for c in window_chunks(source, text, words)]
        return cls(chunks, embedder, chat_model, k=k)

    def search(self, question: str) -> list[SearchHit]:
        query = np.asarray(self._embedder.embed([question], kind="query"), dtype=np.float32)
        found = self._store.search(query[0], self._k)
        return [
            SearchHit(chunk=self._chunks[cid], score=score, rank=rank, dense=score)
            for rank, (cid, score) in enumerate(found, start=1)
        ]

    def messages(self, question: str, hits: Sequence[SearchHit]) -> list[ChatMessage]:
        context = "\n\n".join(f"[{h.rank}] ({h.chunk.doc_id})\n{h.chunk.text}" for h in hits)
        user = f"Tài liệu:\n{context}\n\nCâu hỏi: {question}"
        return [ChatMessage(role="system", content=SYSTEM_PROMPT), ChatMessage(role="user", content=user)]

    def answer(self, question: str, *, id: str = "") -> Answer:
        started = time.perf_counter()
        hits = self.search(question)
        retrieved_at = time.perf_counter()
        first_token: float | None = None
        pieces: list[str] = []
        failed = False
        try:
            for piece in self._chat.stream(self.messages(question, hits), max_tokens=self._max_tokens):
                if first_token is None:
                    first_token = time.perf_counter()
                pieces.append(piece)
        except ChatModelError:
            # Whole chunks can overflow the model's context: the naive pipeline then has no answer, which
            # scores as wrong (and not as a refusal) instead of stopping the comparison.
            failed, pieces = True, []
        done = time.perf_counter()
        text = "".join(pieces).strip()
        # Same meaning as AnswerPipeline's timings: first_token from the start, generate from the first token.
        timings = {"retrieve": (retrieved_at - started) * 1000, "total": (done - started) * 1000}
        if first_token is not None:
            timings["first_token"] = (first_token - started) * 1000
            timings["generate"] = (done - first_token) * 1000
        return Answer(
            id=id,
            question=question,
            text=text,
            refused=not failed and is_refusal(text),
            citations=cited(text, hits),
            retrieved=hits,
            timings_ms=timings,
            model=self._chat.name,
        )


def is_refusal(text: str) -> bool:
    lowered = text.lower()
    return not lowered or any(phrase in lowered for phrase in REFUSAL_PHRASES)


def cited(text: str, hits: Sequence[SearchHit]) -> list[Citation]:
    """The [n] markers the model wrote, each taken as citing the whole n-th chunk (unchecked)."""
    by_rank = {h.rank: h.chunk for h in hits}
    citations: list[Citation] = []
    for n in dict.fromkeys(int(m) for m in _CITATION.findall(text)):
        chunk = by_rank.get(n)
        if chunk is not None:
            citations.append(
                Citation(
                    n=n,
                    source=chunk.doc_id,
                    chunk_id=chunk.id,
                    quote=chunk.text,
                    start=chunk.start,
                    end=chunk.end,
                )
            )
    return citations
