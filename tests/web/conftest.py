"""Real uvicorn servers on 127.0.0.1 (ephemeral port, background thread) with fakes or real components."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from troly.settings import ServerSettings, Settings
from web.app import create_app
from web.db import Database
from web.server import serve_in_background
from web.services import Lazy, LibraryLike, PipelineLike, Services

from .fakes import FakeLibrary, FakePipeline


@dataclass
class LiveServer:
    url: str
    services: Services
    admin_key: str
    user_key: str

    def auth(self, admin: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key if admin else self.user_key}"}


def make_settings(home: Path, **server: Any) -> Settings:
    return Settings(home=home, server=ServerSettings(**server))


@contextmanager
def live_server(
    settings: Settings,
    library: LibraryLike,
    pipeline: PipelineLike | Lazy[PipelineLike],
    **services_kw: Any,
) -> Iterator[LiveServer]:
    db = Database(settings.db_path)
    _, admin_key = db.create_key("quản trị", admin=True)
    _, user_key = db.create_key("điện thoại")
    services = Services.create(settings, db=db, library=library, pipeline=pipeline, **services_kw)
    try:
        with serve_in_background(create_app(settings, services)) as url:
            yield LiveServer(url, services, admin_key, user_key)
    finally:
        services.close()


ServerFactory = Callable[..., LiveServer]


@pytest.fixture
def fake_library() -> FakeLibrary:
    library = FakeLibrary()
    library.add_text(
        "hue.txt",
        "Thừa Thiên Huế ký thỏa thuận chuyển đổi số với Tập đoàn VNPT ngày 12/3/2021. Nội dung khác.",
    )
    library.add_text("quang-tri.txt", "Quảng Trị ký thỏa thuận chuyển đổi số với Viettel năm 2020. Thêm nữa.")
    return library


@pytest.fixture
def server_factory(tmp_path: Path, fake_library: FakeLibrary) -> Iterator[ServerFactory]:
    """Start servers with fakes; keyword args go to ServerSettings; `pipeline=` overrides the fake."""
    stack: list[Any] = []

    def start(pipeline: PipelineLike | None = None, **server: Any) -> LiveServer:
        settings = make_settings(tmp_path / f"home{len(stack)}", **server)
        context = live_server(settings, fake_library, pipeline or FakePipeline(fake_library))
        stack.append(context)
        return context.__enter__()

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture
def server(server_factory: ServerFactory) -> LiveServer:
    return server_factory()
