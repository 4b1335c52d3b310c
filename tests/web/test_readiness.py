"""/readyz after warm-up: the index generation is read and the model loaded, or the reason is reported."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from assistant.llm.base import ChatModelError, ModelInfo
from assistant.llm.scripted import ScriptedChatModel
from index.library import Library
from troly.settings import Settings
from web.app import create_app
from web.db import Database
from web.server import serve_in_background
from web.services import LibraryLike, ModelLike, Services

from .conftest import make_settings
from .fakes import FakeLibrary, FakePipeline

CORPUS = {
    "lich-tiep-dan.txt": "Lịch tiếp công dân xã Phú Mậu\n\nChủ tịch xã tiếp công dân sáng thứ Năm hằng tuần.",
    "khai-sinh.txt": "Đăng ký khai sinh trực tuyến\n\nNgười dân nộp hồ sơ khai sinh qua Cổng dịch vụ công.",
}


class LoadingModel(ScriptedChatModel):
    """A scripted model with a `load` step, as llama.cpp has; `error` makes the load fail."""

    def __init__(self, error: Exception | None = None) -> None:
        super().__init__(default="Theo tài liệu [1].")
        self.error = error
        self.loads = 0

    def load(self) -> None:
        self.loads += 1
        if self.error is not None:
            raise self.error


class AbsentModel(ScriptedChatModel):
    """No `load`: warm-up asks `info()`, as for Ollama without the model pulled."""

    def info(self) -> ModelInfo:
        return ModelInfo(
            backend="ollama", name=self.name, ready=False, detail="chưa có mô hình; chạy: ollama pull x"
        )


class BrokenLibrary(FakeLibrary):
    def documents(self) -> list:  # type: ignore[type-arg]
        raise RuntimeError("chỉ mục hỏng")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "home")


@pytest.fixture
def indexed(settings: Settings, tmp_path: Path) -> Library:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    library = Library.open(settings)
    library.ingest([corpus])
    return library


@contextmanager
def serving(settings: Settings, library: LibraryLike, model: ModelLike) -> Iterator[str]:
    """The real pipeline over `library` and `model` (no pipeline injected), warm-up started by the app."""
    services = Services.create(settings, db=Database(settings.db_path), library=library, model=model)
    try:
        with serve_in_background(create_app(settings, services)) as url:
            yield url
    finally:
        services.close()


def _settled_readyz(url: str, timeout_s: float = 60) -> httpx.Response:
    """/readyz once warm-up has finished (ready, or failed with a reason)."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.get(f"{url}/readyz", timeout=10)
        if response.status_code == 200 or not response.json()["detail"].startswith("Đang khởi động"):
            return response
        assert time.monotonic() < deadline, "warm-up did not finish"
        time.sleep(0.05)


def test_readyz_turns_200_after_warm_up_over_a_real_index(settings: Settings, indexed: Library) -> None:
    model = LoadingModel()
    with serving(settings, Library.open(settings), model) as url:
        response = _settled_readyz(url)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["checks"] == {"index": True, "model": True}
    assert body["documents"] == len(CORPUS)
    assert body["detail"] == ""
    assert model.loads == 1


def test_empty_index_is_ready_and_says_so(settings: Settings) -> None:
    with serving(settings, Library.open(settings), LoadingModel()) as url:
        response = _settled_readyz(url)
    assert response.status_code == 200, response.text
    assert response.json()["documents"] == 0
    assert "chưa có tài liệu" in response.json()["detail"]


def test_readyz_is_503_with_a_detail_when_the_model_fails_to_load(
    settings: Settings, indexed: Library
) -> None:
    model = LoadingModel(ChatModelError("Không tìm thấy tệp mô hình qwen.gguf"))
    with serving(settings, Library.open(settings), model) as url:
        response = _settled_readyz(url)
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"index": True, "model": False}
    assert "Không nạp được mô hình" in body["detail"]
    assert "qwen.gguf" in body["detail"]


def test_model_without_load_is_ready_only_when_its_backend_says_so(settings: Settings) -> None:
    with serving(settings, FakeLibrary(), AbsentModel()) as url:
        response = _settled_readyz(url)
    assert response.status_code == 503
    assert "ollama pull" in response.json()["detail"]


def test_unreadable_index_is_reported(settings: Settings) -> None:
    with serving(settings, BrokenLibrary(), LoadingModel()) as url:
        response = _settled_readyz(url)
    assert response.status_code == 503
    assert response.json()["checks"] == {"index": False, "model": True}
    assert "Không đọc được chỉ mục: chỉ mục hỏng" in response.json()["detail"]


def test_not_ready_until_warm_up_has_run(settings: Settings) -> None:
    library = FakeLibrary()
    services = Services.create(
        settings, db=Database(settings.db_path), library=library, pipeline=FakePipeline(library)
    )
    try:
        assert services.readiness() == {"index": False, "model": False}
        assert services.readiness_detail().startswith("Đang khởi động")
        services.warm_up()
        assert services.readiness() == {"index": True, "model": True}
    finally:
        services.close()


def test_document_count_follows_uploads(settings: Settings) -> None:
    library = FakeLibrary()
    services = Services.create(
        settings, db=Database(settings.db_path), library=library, pipeline=FakePipeline(library)
    )
    try:
        services.warm_up()
        assert services.documents_count() == 0
        library.add_text("moi.txt", "van ban moi")
        assert services.documents_count() == 1
        assert services.readiness_detail() == ""
    finally:
        services.close()


def test_a_failed_warm_up_is_tried_again_once_the_cause_is_fixed(
    settings: Settings, indexed: Library
) -> None:
    model = LoadingModel(ChatModelError("Không tìm thấy tệp mô hình qwen.gguf"))
    services = Services.create(
        settings, db=Database(settings.db_path), library=Library.open(settings), model=model
    )
    services.retry_warm_up_s = 0.0
    try:
        with serve_in_background(create_app(settings, services)) as url:
            assert _settled_readyz(url).status_code == 503
            model.error = None  # the operator ran `troly models --prepare`
            deadline = time.monotonic() + 30
            while (response := httpx.get(f"{url}/readyz", timeout=10)).status_code != 200:
                assert time.monotonic() < deadline, response.text
                time.sleep(0.05)
        assert response.json()["checks"] == {"index": True, "model": True}
        assert response.json()["detail"] == ""
        loads = model.loads
        assert not services.retry_failed_warm_up() and model.loads == loads  # ready: nothing more to do
    finally:
        services.close()


def test_retries_are_spaced(settings: Settings) -> None:
    services = Services.create(
        settings, db=Database(settings.db_path), library=BrokenLibrary(), model=LoadingModel()
    )
    try:
        services.warm_up()
        assert services.startup_error
        assert not services.retry_failed_warm_up()  # within retry_warm_up_s of the last attempt
        services.retry_warm_up_s = 0.0
        assert services.retry_failed_warm_up()
    finally:
        services.close()


class WarmingPipeline(FakePipeline):
    """Records whether /readyz already said ready when the pipeline's warm-up ran; `error` makes it fail."""

    def __init__(self, library: FakeLibrary, error: Exception | None = None) -> None:
        super().__init__(library)
        self.error = error
        self.ready_when_warmed: list[bool] = []
        self.services: Services | None = None

    def warm_up(self) -> None:
        assert self.services is not None
        self.ready_when_warmed.append(self.services.readiness()["model"])
        if self.error is not None:
            raise self.error


@pytest.mark.parametrize("error", [None, RuntimeError("tìm thử thất bại")])
def test_the_pipeline_warms_before_ready_and_its_failure_is_not_a_load_failure(
    settings: Settings, error: Exception | None
) -> None:
    library = FakeLibrary()
    pipeline = WarmingPipeline(library, error)
    services = Services.create(settings, db=Database(settings.db_path), library=library, pipeline=pipeline)
    pipeline.services = services
    try:
        services.warm_up()
        assert pipeline.ready_when_warmed == [False]
        assert services.readiness() == {"index": True, "model": True}
        assert services.startup_error == ""
    finally:
        services.close()
