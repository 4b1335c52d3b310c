"""The scripted fake, the backend factory and thread configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.llm.base import ChatMessage, ChatModel, ChatModelError, complete
from assistant.llm.factory import build_chat_model
from assistant.llm.llamacpp_chat_model import LlamaCppChatModel
from assistant.llm.ollama_chat_model import OllamaChatModel
from assistant.llm.scripted import ScriptedChatModel
from assistant.threads import configure_threads, thread_environment
from troly.settings import Settings

HELLO = [ChatMessage(role="user", content="Xin chào")]


def test_scripted_replays_in_order_and_records_calls() -> None:
    model = ScriptedChatModel(["Chào anh."])
    model.enqueue("Theo tài liệu [1], xã có 12 điểm phát sóng.")
    assert complete(model, HELLO, max_tokens=50) == "Chào anh."
    pieces = list(model.stream(HELLO, max_tokens=50, temperature=0.3, stop=["\n"]))
    assert "".join(pieces) == "Theo tài liệu [1], xã có 12 điểm phát sóng."
    assert pieces[:3] == ["Theo ", "tài ", "liệu "] and len(pieces) == 10
    assert [call.temperature for call in model.history] == [0.0, 0.3]
    assert model.history[1].stop == ("\n",) and model.history[1].messages == HELLO


def test_scripted_honours_stop_and_max_tokens() -> None:
    model = ScriptedChatModel(default="một hai ba\nbốn năm")
    assert complete(model, HELLO, max_tokens=2) == "một hai "
    assert "".join(model.stream(HELLO, max_tokens=50, stop=["\n"])) == "một hai ba"


def test_scripted_without_reply_or_with_error_fails_loudly() -> None:
    model = ScriptedChatModel()
    with pytest.raises(ChatModelError):
        complete(model, HELLO, max_tokens=5)
    model.enqueue_error(ChatModelError("máy chủ mất kết nối"))
    with pytest.raises(ChatModelError, match="mất kết nối"):
        complete(model, HELLO, max_tokens=5)


def test_factory_builds_the_configured_backend_without_loading(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    local: ChatModel = build_chat_model(settings)
    assert isinstance(local, LlamaCppChatModel) and local.name == "qwen2.5-coder-1.5b"
    assert not (tmp_path / "models").exists()  # lazy: nothing assembled or loaded yet
    settings.llm.backend = "ollama"
    settings.ollama.chat_model = "qwen2.5:3b"
    remote = build_chat_model(settings)
    assert isinstance(remote, OllamaChatModel) and remote.name == "qwen2.5:3b"


def test_configure_threads_fills_defaults_and_keeps_user_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in thread_environment(Settings()):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    settings = Settings()
    settings.embedding.threads = 1
    applied = configure_threads(settings)
    assert os.environ["OMP_NUM_THREADS"] == "3" and "OMP_NUM_THREADS" not in applied
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["TOKENIZERS_PARALLELISM"] == "false"
    assert configure_threads(settings) == {}


def test_scripted_model_paces_its_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.llm import scripted

    pauses: list[float] = []
    monkeypatch.setattr(scripted.time, "sleep", pauses.append)
    model = scripted.ScriptedChatModel(default="một hai ba", delay_s=0.02)
    assert "".join(model.stream([], max_tokens=10)) == "một hai ba"
    assert pauses == [0.02, 0.02, 0.02]
