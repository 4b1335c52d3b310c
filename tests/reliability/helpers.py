"""Shared pieces of the reliability tests: a generated corpus, BM25-only settings, the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from troly.settings import ChunkSettings, EmbeddingSettings, RetrievalSettings, Settings

PLACES = ["Phú Mậu", "Hương Thủy", "Phong Điền", "Quảng Điền", "A Lưới", "Nam Đông", "Phú Vang", "Hương Trà"]
TOPICS = [
    ("dịch vụ công trực tuyến", "người dân nộp hồ sơ khai sinh qua cổng dịch vụ công"),
    ("chữ ký số", "cán bộ một cửa được cấp chữ ký số để ký văn bản điện tử"),
    ("thanh toán không dùng tiền mặt", "chợ và trường học nhận thanh toán bằng mã QR"),
    ("nông nghiệp số", "hợp tác xã dùng nhật ký điện tử để truy xuất nguồn gốc nông sản"),
    ("hạ tầng mạng", "cáp quang được kéo đến nhà văn hóa thôn và trạm y tế"),
]
CLI = "from troly.cli import main; main()"


def bulletin(i: int, version: int = 0, paragraphs: int = 2) -> str:
    """A short Vietnamese news item, distinct per `i`; `version` is written into every paragraph."""
    place = PLACES[i % len(PLACES)]
    topic, detail = TOPICS[i % len(TOPICS)]
    body = [f"Xã {place} đẩy mạnh {topic} (bản tin mã BT{i:05d}, phiên bản {version})"]
    for p in range(paragraphs):
        body.append(
            f"Năm {2019 + (i + p) % 6}, xã {place} triển khai {topic}: {detail}. "
            f"Đến cuối quý {p + 1} có {100 + (7 * i + p) % 800} hộ gia đình tham gia (phiên bản {version}). "
            "Ủy ban nhân dân xã giao công chức văn hóa - xã hội theo dõi và báo cáo hằng quý."
        )
    return "\n\n".join(body) + "\n"


def write_bulletins(
    folder: Path, count: int, *, start: int = 0, version: int = 0, paragraphs: int = 2
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + count):
        (folder / f"ban-tin-{i:05d}.txt").write_text(bulletin(i, version, paragraphs), encoding="utf-8")
    return folder


def bm25_settings(home: Path) -> Settings:
    """No embedder: BM25-only search keeps these tests fast and free of model files."""
    return Settings(
        home=home,
        embedding=EmbeddingSettings(backend="none"),
        retrieval=RetrievalSettings(fusion="bm25"),
        chunking=ChunkSettings(target_words=40, max_words=80, overlap_words=0),
    )


def cli_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROLY_")}
    env.update(
        TROLY_HOME=str(home),
        TROLY_EMBEDDING__BACKEND="none",
        TROLY_RETRIEVAL__FUSION="bm25",
        TROLY_CHUNKING__TARGET_WORDS="40",
        TROLY_CHUNKING__MAX_WORDS="80",
        TROLY_CHUNKING__OVERLAP_WORDS="0",
        COLUMNS="200",
        PYTHONUNBUFFERED="1",
    )
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-c", CLI, *args]


def run_cli(
    home: Path, *args: str, timeout: float = 120.0, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process; `env` overrides the BM25-only defaults (e.g. a real embedder)."""
    return subprocess.run(
        cli_command(*args),
        env={**cli_env(home), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command(*args), env=cli_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
