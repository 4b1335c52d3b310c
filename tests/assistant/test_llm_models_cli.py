"""`troly models` through typer's CliRunner, on fake part packages, a user file and the fake Ollama server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

import troly.cli.models_cmds  # noqa: F401  (registers the command on `app`)
from assistant.llm import model_files
from assistant.llm.model_files import EmbeddedModel, ModelCorruptError
from tests.assistant import test_llm_model_files as parts
from tests.fakes import ollama_server as fake_ollama
from tests.fakes.ollama_server import FakeOllama
from troly.cli.app import app, console
from troly.errors import ModelNotReadyError
from troly.settings import Settings

fake_model = parts.fake_model
settings = parts.settings
ollama_server = fake_ollama.ollama_server

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # rich sizes a non-terminal console to 80 columns and folds long paths; tests read them whole.
    monkeypatch.setattr(console, "_width", 200)


def test_prepare_assembles_and_reports_verified(fake_model: EmbeddedModel, settings: Settings) -> None:
    before = runner.invoke(app, ["models"], obj=settings)
    assert before.exit_code == 0, before.output
    assert "troly models --prepare" in before.output
    result = runner.invoke(app, ["models", "--prepare"], obj=settings)
    assert result.exit_code == 0, result.output
    assert "Đã sẵn sàng" in result.output
    assert str(settings.models_dir / fake_model.filename) in result.output
    assert "SHA-256 đúng │ có" in result.output


def test_corrupt_parts_fail_prepare(
    fake_model: EmbeddedModel, settings: Settings, monkeypatch: object
) -> None:

    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)

    monkeypatch.setitem(model_files.EMBEDDED_MODELS, "qwen2.5-0.5b", replace(fake_model, sha256="cd" * 32))
    result = runner.invoke(app, ["models", "--prepare"], obj=settings)
    assert isinstance(result.exception, ModelCorruptError)


def test_user_file_is_listed_without_hash(tmp_path: Path) -> None:
    own = tmp_path / "rieng.gguf"
    own.write_bytes(b"GGUF" + b"\x00" * 1024)
    settings = Settings(home=tmp_path)
    settings.llm.model_path = own
    result = runner.invoke(app, ["models"], obj=settings)
    assert result.exit_code == 0, result.output
    assert str(own) in result.output and "không kiểm tra" in result.output


def test_missing_user_file_fails_prepare(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    settings.llm.model_path = tmp_path / "khong-co.gguf"
    result = runner.invoke(app, ["models", "--prepare"], obj=settings)
    assert isinstance(result.exception, ModelNotReadyError)


def test_ollama_backend_shows_presence(ollama_server: FakeOllama, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    settings.llm.backend = "ollama"
    settings.ollama.host = ollama_server.url
    result = runner.invoke(app, ["models", "--prepare"], obj=settings)
    assert result.exit_code == 0, result.output
    assert "qwen2.5:7b-instruct" in result.output and "có" in result.output
    settings.ollama.chat_model = "khong-co"
    missing = runner.invoke(app, ["models", "--prepare"], obj=settings)
    assert isinstance(missing.exception, ModelNotReadyError)
    assert "ollama pull khong-co" in missing.exception.message
