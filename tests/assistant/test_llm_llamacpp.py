"""LlamaCppChatModel on its real path: the embedded Qwen2.5-0.5B GGUF, assembled from its PyPI part packages
into a temporary home, loaded by llama.cpp and asked in Vietnamese."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from assistant.llm import model_files
from assistant.llm.base import ChatMessage, ChatModelError, complete
from assistant.llm.llamacpp_chat_model import LlamaCppChatModel, LlamaCppError
from assistant.threads import thread_environment
from troly.errors import ModelNotReadyError, TrolyError
from troly.settings import Settings

SYSTEM = ChatMessage(role="system", content="Bạn là trợ lý của cán bộ xã. Trả lời ngắn gọn bằng tiếng Việt.")


def _ask(content: str) -> list[ChatMessage]:
    return [SYSTEM, ChatMessage(role="user", content=content)]


@pytest.fixture(scope="module")
def small_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("troly-home"))
    # libgomp reads its environment when llama.cpp's libraries load: set the production thread variables
    # for that moment only (without PASSIVE, a busy 2-core box generated ~10x slower in eval.llm_bench).
    with pytest.MonkeyPatch.context() as env:
        for key, value in thread_environment(settings).items():
            if key not in os.environ:
                env.setenv(key, value)
        pytest.importorskip("llama_cpp")
    settings.llm.model = "qwen2.5-0.5b"
    settings.llm.threads = 2
    settings.llm.context_tokens = 1024
    return settings


@pytest.fixture(scope="module")
def small_model(small_settings: Settings) -> LlamaCppChatModel:
    return LlamaCppChatModel(small_settings)


@pytest.mark.slow
def test_real_parts_assemble_to_the_published_hash(small_settings: Settings) -> None:
    path = model_files.prepare(small_settings)
    assert path.name == "qwen2.5-0.5b-instruct-q4_k_m.gguf"
    assert model_files.sha256_file(path) == model_files.EMBEDDED_MODELS["qwen2.5-0.5b"].sha256
    assert path.read_bytes()[:4] == b"GGUF"


@pytest.mark.slow
def test_real_model_repeats_a_number_in_vietnamese(small_model: LlamaCppChatModel) -> None:
    pieces = list(small_model.stream(_ask("Hãy nhắc lại chính xác số sau: 4817"), max_tokens=24))
    assert len(pieces) > 1
    assert "4817" in "".join(pieces)
    early = small_model.stream(_ask("Hãy nhắc lại chính xác số sau: 2718"), max_tokens=24)
    next(early)
    assert small_model.busy
    early.close()  # a client that disconnects: the model must be free for the next caller
    assert not small_model.busy
    info = small_model.info()
    assert info.ready and info.backend == "llamacpp" and info.size_bytes and info.size_bytes > 400_000_000


@pytest.mark.slow
def test_stop_and_max_tokens_are_honoured(small_model: LlamaCppChatModel) -> None:
    text = complete(small_model, _ask("Đếm từ 1 đến 20, mỗi số một dòng."), max_tokens=16)
    assert 0 < small_model.count_tokens(text) <= 16
    stopped = "".join(
        small_model.stream(_ask("Đếm từ 1 đến 20, mỗi số một dòng."), max_tokens=64, stop=["3"])
    )
    assert "3" not in stopped and "1" in stopped


@pytest.mark.slow
def test_concurrent_callers_are_serialised(small_model: LlamaCppChatModel) -> None:
    results: dict[str, str] = {}

    def ask(number: str) -> None:
        results[number] = complete(
            small_model, _ask(f"Hãy nhắc lại chính xác số sau: {number}"), max_tokens=24
        )

    threads = [threading.Thread(target=ask, args=(n,)) for n in ("5309", "7261")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert "5309" in results["5309"] and "7261" in results["7261"]


@pytest.mark.slow
def test_prompt_longer_than_the_context_is_a_clear_error(small_model: LlamaCppChatModel) -> None:
    too_long = "Biên bản họp dân về kế hoạch chuyển đổi số của xã. " * 120
    with pytest.raises(LlamaCppError) as info:
        list(small_model.stream(_ask(too_long), max_tokens=16))
    assert info.value.code == "llm_context_overflow"
    assert isinstance(info.value, ChatModelError) and isinstance(info.value, TrolyError)
    assert "4817" in complete(small_model, _ask("Hãy nhắc lại chính xác số sau: 4817"), max_tokens=24)


def test_missing_llama_cpp_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    model = LlamaCppChatModel(Settings(home=tmp_path))
    with pytest.raises(ModelNotReadyError) as info:
        list(model.stream(_ask("xin chào"), max_tokens=4))
    assert 'pip install "troly[local]"' in info.value.message


def test_unreadable_gguf_is_model_not_ready(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    bogus = tmp_path / "hong.gguf"
    bogus.write_bytes(b"GGUF" + b"\x00" * 64)
    settings = Settings(home=tmp_path)
    settings.llm.model_path = bogus
    model = LlamaCppChatModel(settings)
    with pytest.raises(ModelNotReadyError) as info:
        model.load()
    assert "hong.gguf" in info.value.message
    assert model.info().detail != "đã nạp"


@pytest.mark.slow
def test_warm_prefix_leaves_the_shared_prefix_evaluated(small_model: LlamaCppChatModel) -> None:
    llama = small_model.load()
    llama.reset()
    small_model.warm_prefix(_ask("Khởi động"))
    system_tokens = small_model.count_tokens(SYSTEM.content)
    # What llama.cpp keeps evaluated: the warm-up prompt, whose system turn every later prompt shares.
    assert llama.n_tokens > system_tokens
    kept = llama.detokenize(list(llama._input_ids[: llama.n_tokens])).decode("utf-8", "replace")
    assert SYSTEM.content in kept


# Evidence the model copies from: what prompt lookup drafts from. Generated for these tests.
PASSAGES = (
    "Ngày 18/12/2023, UBND xã Hòa An tổ chức hội nghị tổng kết; xã đã lắp đặt 1.320 camera an ninh.",
    "Bộ phận một cửa tiếp nhận hồ sơ từ thứ Hai đến thứ Sáu, sáng từ 7 giờ 30 đến 11 giờ 30.",
    "Theo thỏa thuận, VNPT hỗ trợ huyện Tân Phú xây dựng kho dữ liệu dùng chung và trung tâm điều hành.",
)


@pytest.mark.slow
def test_prompt_lookup_changes_no_answer(small_settings: Settings) -> None:
    """Greedy decoding with prompt-lookup drafts keeps only the tokens the model would have chosen itself: the
    answers are the same, token for token."""
    lookup = small_settings.model_copy(deep=True)
    lookup.llm.prompt_lookup = True
    plain, drafted = LlamaCppChatModel(small_settings), LlamaCppChatModel(lookup)
    for passage in PASSAGES:
        messages = _ask(f"Tài liệu: {passage}\nHãy chép lại nguyên văn câu trong tài liệu.")
        expected = complete(plain, messages, max_tokens=48)
        assert expected
        assert complete(drafted, messages, max_tokens=48) == expected
