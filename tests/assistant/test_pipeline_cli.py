"""`troly ask` / `troly chat` wiring with the scripted model (the real stack is in test_pipeline_real.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.llm.scripted import ScriptedChatModel
from assistant.pipeline import AnswerPipeline
from tests.assistant.test_pipeline import DOCS, FakeRetriever, make_document
from troly.cli import ask_cmds
from troly.cli.app import app
from troly.settings import Settings


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ScriptedChatModel:
    scripted = ScriptedChatModel()
    retriever = FakeRetriever([make_document(d) for d in DOCS])
    pipeline = AnswerPipeline(Settings(home=tmp_path), retriever, scripted)
    monkeypatch.setattr(ask_cmds, "_pipeline", lambda ctx: pipeline)
    return scripted


def test_ask_prints_answer_then_sources_with_quotes(model: ScriptedChatModel) -> None:
    model.enqueue("Xã đã lắp đặt 1.320 camera an ninh [1].")
    result = CliRunner().invoke(app, ["ask", "Xã Hòa An lắp đặt bao nhiêu camera an ninh?"])
    assert result.exit_code == 0, result.output
    assert "Xã đã lắp đặt 1.320 camera an ninh [1]." in result.output
    assert "[1] Xã Hòa An tổng kết chuyển đổi số (2024-01-05): hoa-an.txt" in result.output
    assert "1.320 camera an ninh và mở 12 điểm" in result.output
    # The best evidence passage is printed before the answer's first sentence.
    related = result.output.index("Nguồn liên quan:")
    assert related < result.output.index("Xã đã lắp đặt 1.320 camera an ninh [1].")
    assert "hoa-an.txt" in result.output[related : result.output.index("Xã đã lắp đặt")]


def test_ask_json_is_the_answer_record(model: ScriptedChatModel) -> None:
    result = CliRunner().invoke(app, ["ask", "--json", "Thủ tục cấp giấy phép xây dựng nhà ở?"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["refused"] is True and data["citations"] == [] and "first_token" in data["timings_ms"]


def test_chat_keeps_the_conversation(model: ScriptedChatModel) -> None:
    model.enqueue("Lễ ký kết diễn ra tại hội trường huyện Tân Phú [1].")
    model.enqueue("Xã đã lắp đặt 1.320 camera an ninh [1].")
    turns = (
        "Lễ ký kết giữa VNPT và huyện Tân Phú diễn ra ở đâu?\n"
        "Xã Hòa An lắp bao nhiêu camera an ninh?\nthoát\n"
    )
    result = CliRunner().invoke(app, ["chat"], input=turns)
    assert result.exit_code == 0, result.output
    assert "hội trường huyện Tân Phú [1]." in result.output and "1.320 camera an ninh [1]." in result.output
    assert len(model.history) == 2
