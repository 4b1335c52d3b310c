"""Shared fixtures. Tests that read ../shared skip when it is absent (a clean clone has no ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip("../shared is not available")
    return SHARED


@pytest.fixture
def sample_corpus() -> Path:
    return REPO_ROOT / "samples" / "corpus"
