"""One ChatModel per settings: the backend is chosen by `settings.llm.backend`; imports stay lazy so an
Ollama-only install never needs llama-cpp-python."""

from __future__ import annotations

from assistant.llm.base import ChatModel
from troly.errors import ConfigError
from troly.settings import Settings


def build_chat_model(settings: Settings) -> ChatModel:
    backend = settings.llm.backend
    if backend == "llamacpp":
        from assistant.llm.llamacpp_chat_model import LlamaCppChatModel

        return LlamaCppChatModel(settings)
    if backend == "ollama":
        from assistant.llm.ollama_chat_model import OllamaChatModel

        return OllamaChatModel(settings.ollama)
    if backend == "openai":
        from assistant.llm.openai_chat_model import OpenAiChatModel

        return OpenAiChatModel(settings.openai)
    raise ConfigError(
        f"Không có backend LLM '{backend}'. Chọn: llamacpp, ollama, openai (TROLY_LLM__BACKEND)."
    )


def describe_backend(settings: Settings) -> dict[str, str]:
    """Which backend generates answers, its model and where it runs (for /readyz), without building it."""
    backend = settings.llm.backend
    if backend == "ollama":
        return {"backend": backend, "model": settings.ollama.chat_model, "location": settings.ollama.host}
    if backend == "openai":
        return {"backend": backend, "model": settings.openai.chat_model, "location": settings.openai.base_url}
    model = settings.llm.model_path.name if settings.llm.model_path else settings.llm.model
    return {"backend": backend, "model": model, "location": "in-process"}
