"""BM25 over pre-tokenised chunks (bm25s: sparse matrices, scores for every chunk in one pass)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from index.text import QueryTokens

if TYPE_CHECKING:
    import bm25s

Scores = NDArray[np.float32]

# Anserini's defaults rather than bm25s's (1.5, 0.75): short statute articles and news chunks gain from a
# faster-saturating term frequency and milder length normalisation (measured with eval.bench_retrieval).
K1 = 0.9
B = 0.4


class Bm25Index:
    """Scores of every indexed chunk (by position) for a tokenised query."""

    def __init__(self, model: bm25s.BM25 | None, size: int) -> None:
        self._model = model
        self._size = size

    @classmethod
    def build(cls, corpus_tokens: Sequence[list[str]]) -> Bm25Index:
        if not corpus_tokens:
            return cls(None, 0)
        import bm25s  # on first use: it pulls scipy, which re-ingesting unchanged files never needs

        model = bm25s.BM25(k1=K1, b=B)
        model.index([list(tokens) for tokens in corpus_tokens], show_progress=False)
        return cls(model, len(corpus_tokens))

    def __len__(self) -> int:
        return self._size

    def scores(self, tokens: Sequence[str]) -> Scores:
        """BM25 score of each chunk; tokens the corpus never saw are ignored."""
        if self._model is None:
            return np.zeros(self._size, dtype=np.float32)
        vocab = self._model.vocab_dict
        known = [t for t in tokens if t in vocab and t != ""]
        if not known:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def query_scores(self, query: QueryTokens, folded_weight: float) -> Scores:
        """Exact scores plus `folded_weight` times folded scores; an unaccented query: folded only."""
        folded = self.scores(query.folded)
        if not query.accented:
            return folded
        return self.scores(query.exact) + np.float32(folded_weight) * folded

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._model is not None:
            self._model.save(str(folder))

    @classmethod
    def load(cls, folder: Path, size: int) -> Bm25Index:
        if size == 0:
            return cls(None, 0)
        import bm25s

        return cls(bm25s.BM25.load(str(folder)), size)
