"""A tiny corpus and QA set written for these tests (our own sentences)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from troly.settings import Settings

CORPUS = {
    "quang-tri.txt": (
        "VNPT và tỉnh Quảng Trị ký kết thỏa thuận hợp tác chuyển đổi số\n\n"
        "Lễ ký kết thỏa thuận hợp tác giữa VNPT và UBND tỉnh Quảng Trị diễn ra tại thành phố Đông Hà. "
        "Theo thỏa thuận, VNPT hỗ trợ tỉnh xây dựng trung tâm điều hành thông minh.\n\n"
        "Hai bên thống nhất triển khai y tế số và giáo dục thông minh trong giai đoạn 2025-2030."
    ),
    "tin/can-tho.txt": (
        "Cần Thơ đẩy mạnh chuyển đổi số\n\n"
        "Năm 2024, thành phố Cần Thơ xếp hạng thứ 12 cả nước về chỉ số chuyển đổi số cấp tỉnh. "
        "Hệ thống giải quyết thủ tục hành chính được triển khai cho 1.320 đơn vị trên địa bàn.\n\n"
        "Thành phố có 85 xã, phường đã kết nối mạng cáp quang tốc độ cao."
    ),
}
QUESTIONS = [
    {
        "id": "q1",
        "question": "Lễ ký kết giữa VNPT và tỉnh Quảng Trị diễn ra ở đâu?",
        "answers": ["Đông Hà"],
        "sources": ["quang-tri.txt"],
        "answerable": True,
    },
    {
        "id": "q2",
        "question": "he thong thu tuc hanh chinh cua Can Tho trien khai cho bao nhieu don vi",
        "answers": ["1320"],
        "sources": ["can-tho.txt"],
        "answerable": True,
    },
    {
        "id": "q3",
        "question": "Ai được đi du lịch lên mặt trăng miễn phí?",
        "answers": [],
        "sources": [],
        "answerable": False,
    },
]
# Replies of a scripted model that restate the evidence (q3 is refused before the model is called).
REPLIES = ["Lễ ký kết diễn ra tại thành phố Đông Hà.", "Hệ thống được triển khai cho 1.320 đơn vị."]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for name, text in CORPUS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def qa_file(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def bm25_settings(tmp_path: Path) -> Settings:
    """BM25 only: keeps the wiring tests fast; the real embedder has its own tests."""
    return Settings(home=tmp_path / "home", embedding={"backend": "none"})  # type: ignore[arg-type]
