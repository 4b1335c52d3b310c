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
    raise ConfigError(f"Không có backend LLM '{backend}'. Chọn: llamacpp, ollama (TROLY_LLM__BACKEND).")
