"""The embedded LLM: llama.cpp in-process (llama-cpp-python) over the assembled GGUF.

Prefix reuse: llama-cpp-python keeps the KV cache of the previous call and re-evaluates only the tokens
after the longest common prefix. Our prompts start with a fixed system prompt and few-shot examples, so
consecutive questions skip that prefix without a separate `LlamaRAMCache` (which would copy the whole KV
state per entry). Measured with `python -m eval.llm_bench` (1.5B, 2 threads, busy 2-core box): a ~640-token
prompt takes 19.4 s to the first token cold and 0.74 s when only the question after it changed.
Generations are serialised by a lock: one llama context cannot run two at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.llm import model_files
from assistant.llm.base import ChatMessage, ChatModelError, ModelInfo
from troly.errors import ModelNotReadyError, TrolyError
from troly.settings import Settings

if TYPE_CHECKING:
    from llama_cpp import Llama


class LlamaCppError(ChatModelError, TrolyError):
    """A generation failure of the embedded model (prompt too long, llama.cpp error)."""

    code = "llm_failed"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        TrolyError.__init__(self, message, code=code)


def _import_llama() -> type[Llama]:
    try:
        from llama_cpp import Llama
    except ImportError:
        raise ModelNotReadyError(
            f"Chưa cài llama-cpp-python để chạy mô hình nhúng. Hãy cài: {model_files.INSTALL_HINT} "
            "hoặc dùng Ollama (TROLY_LLM__BACKEND=ollama)."
        ) from None
    return Llama


class LlamaCppChatModel:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._llama: Llama | None = None
        self._path: Path | None = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()
        self.load_seconds: float | None = None

    @property
    def in_process(self) -> bool:
        """In this process: admitted by the generation queue."""
        return True

    @property
    def name(self) -> str:
        path = self._settings.llm.model_path
        return path.name if path is not None else self._settings.llm.model

    @property
    def busy(self) -> bool:
        """True while a generation holds the model (the server can answer 'busy' instead of queueing)."""
        return self._generate_lock.locked()

    def load(self) -> Llama:
        """Assemble/verify the file and load it once; later calls return the loaded model."""
        with self._load_lock:
            if self._llama is None:
                llama_cls = _import_llama()
                path = model_files.prepare(self._settings)
                started = time.perf_counter()
                llm = self._settings.llm
                draft: dict[str, Any] = {}
                if llm.prompt_lookup:
                    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

                    # Verification compares the drafted tokens with the model's own choice at each position,
                    # which needs the logits of every position, not only the last.
                    draft = {
                        "draft_model": LlamaPromptLookupDecoding(num_pred_tokens=llm.draft_tokens),
                        "logits_all": True,
                    }
                try:
                    self._llama = llama_cls(
                        model_path=str(path),
                        n_ctx=llm.context_tokens,
                        n_threads=llm.threads,
                        n_threads_batch=llm.threads,
                        verbose=False,
                        **draft,
                    )
                except (ValueError, RuntimeError) as exc:
                    raise ModelNotReadyError(f"llama.cpp không nạp được mô hình {path}: {exc}") from None
                self.load_seconds = time.perf_counter() - started
                self._path = path
            return self._llama

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Generator[str, None, None]:
        llama = self.load()
        payload: Any = [{"role": m.role, "content": m.content} for m in messages]
        # Held until the generator finishes or is closed (a client that disconnects closes it).
        with self._generate_lock:
            try:
                chunks: Iterator[Any] = llama.create_chat_completion(  # type: ignore[assignment]
                    messages=payload,
                    stream=True,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=list(stop) or None,
                )
                for chunk in chunks:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield str(piece)
            except ValueError as exc:
                if "exceed context window" in str(exc):
                    raise LlamaCppError(
                        f"Câu hỏi và tài liệu dài quá ngữ cảnh {self._settings.llm.context_tokens} token "
                        "của mô hình. Hãy hỏi ngắn hơn hoặc tăng TROLY_LLM__CONTEXT_TOKENS.",
                        code="llm_context_overflow",
                    ) from None
                raise LlamaCppError(f"llama.cpp lỗi khi sinh câu trả lời: {exc}") from None

    def warm_prefix(self, messages: Sequence[ChatMessage]) -> None:
        """Evaluate `messages` now (one token generated): the KV cache then holds their prefix, which every
        later prompt shares, so the first real question reads only what follows it."""
        if self._settings.llm.warm_prefix:
            for _ in self.stream(messages, max_tokens=1):
                pass

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` under this model's tokenizer (loads the model)."""
        return len(self.load().tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def info(self) -> ModelInfo:
        status = model_files.status(self._settings)
        ready = self._llama is not None or status.ready
        detail = "đã nạp" if self._llama is not None else status.detail
        return ModelInfo(
            backend="llamacpp",
            name=self.name,
            location=str(self._path or status.path),
            size_bytes=status.size_bytes,
            ready=ready,
            detail=detail,
        )
