"""Small corpora written for these tests (our own sentences) and a hashing embedder for wiring tests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.base import EmbedKind, Vectors
from ingest.vietnamese import fold, syllables
from troly.settings import ChunkSettings, Settings

CORPUS = {
    "can-tho.txt": (
        "Cần Thơ đẩy mạnh chuyển đổi số\n\n"
        "Năm 2024, thành phố Cần Thơ xếp hạng thứ 12 trong cả nước về chỉ số chuyển đổi số cấp tỉnh, "
        "tăng 9 bậc so với năm trước nhờ đưa dịch vụ công trực tuyến về tận phường, xã.\n\n"
        "Lãnh đạo thành phố giao Sở Thông tin và Truyền thông hướng dẫn cán bộ cấp xã dùng chữ ký số."
    ),
    "quang-tri.txt": (
        "Quảng Trị mở trung tâm hành chính công\n\n"
        "Tỉnh Quảng Trị khai trương trung tâm phục vụ hành chính công tại thành phố Đông Hà vào tháng 3, "
        "tiếp nhận hồ sơ đất đai, hộ tịch và đăng ký kinh doanh tại một cửa.\n\n"
        "Người dân có thể nộp hồ sơ qua ứng dụng di động và nhận kết quả tại nhà qua bưu điện."
    ),
    "nong-nghiep/lua.md": (
        "# Vụ lúa đông xuân ở Phong Điền\n\n"
        "Huyện Phong Điền thu hoạch vụ lúa đông xuân với năng suất bình quân 65 tạ mỗi héc-ta, "
        "cao nhất trong năm năm gần đây.\n\n"
        "Hợp tác xã nông nghiệp hỗ trợ nông dân bán lúa qua sàn thương mại điện tử của tỉnh."
    ),
}


def write_corpus(root: Path, files: dict[str, str] | None = None) -> Path:
    for name, text in (files or CORPUS).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def settings_for(home: Path, **retrieval: object) -> Settings:
    settings = Settings(home=home, chunking=ChunkSettings(target_words=30, max_words=60, overlap_words=0))
    if retrieval:
        settings = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update=retrieval)})
    return settings


class HashingEmbedder:
    """Deterministic bag-of-folded-syllables vectors: enough to wire the dense path, not a real model."""

    def __init__(self, dim: int = 64, name: str = "test-hashing") -> None:
        self._dim = dim
        self._name = name
        self.calls = 0
        self.texts_embedded = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str], kind: EmbedKind = "passage") -> Vectors:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in syllables(text):
                bucket = int(hashlib.md5(fold(word).encode()).hexdigest(), 16) % self._dim
                out[row, bucket] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms == 0, 1.0, norms)).astype(np.float32)
