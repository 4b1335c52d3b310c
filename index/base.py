"""Seams of the index stage."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

EmbedKind = Literal["query", "passage"]
Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape (len(texts), dim)."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str], kind: EmbedKind = "passage") -> Vectors: ...


class VectorStore(Protocol):
    """Dense vectors keyed by chunk id; inner-product search over normalised vectors."""

    def add(self, ids: Sequence[str], vectors: Vectors) -> None: ...

    def remove(self, ids: Sequence[str]) -> None: ...

    def search(self, query: Vectors, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]: ...

    def save(self, folder: Path) -> None: ...

    def __len__(self) -> int: ...
