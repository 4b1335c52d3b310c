"""Retrieval quality on the shared seeds dev set, through `eval.runner` (skipped without ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.runner import run_retrieval
from index.library import Library
from troly.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def test_seeds_dev_hybrid_retrieval(shared_dir: Path, tmp_path: Path) -> None:
    library = Library.open(Settings(home=tmp_path / "home"))
    out = tmp_path / "results.jsonl"
    run = run_retrieval(library, shared_dir / "qa" / "seeds-dev.jsonl", shared_dir / "corpus" / "seeds", out)
    assert run.ingest.counts["added"] == 5 and not run.ingest.failed
    retrieval = run.metrics["retrieval"]
    assert isinstance(retrieval, dict)
    assert retrieval["hit@5"] >= 0.97 and retrieval["count"] == 18
    assert len(out.read_text(encoding="utf-8").splitlines()) == 20
