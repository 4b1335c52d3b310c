"""Bulk commands (no LLM) give the embedder every core; the others keep the configured thread count."""

from __future__ import annotations

import pytest

from troly.cli import _uses_all_cores


def test_bulk_commands_use_all_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TROLY_EMBEDDING__THREADS", raising=False)
    assert _uses_all_cores(["troly", "ingest", "docs/"])
    assert _uses_all_cores(["troly", "index", "rebuild"])
    assert not _uses_all_cores(["troly", "serve"])
    assert not _uses_all_cores(["troly", "ask", "ingest"])
    assert not _uses_all_cores(["troly"])


def test_an_explicit_thread_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TROLY_EMBEDDING__THREADS", "1")
    assert not _uses_all_cores(["troly", "ingest", "docs/"])
