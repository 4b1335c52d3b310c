"""Real uvicorn servers on 127.0.0.1 (ephemeral port, background thread) with fakes or real components."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
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

    def upload(self, *files: tuple[str, bytes], timeout: float = 120) -> httpx.Response:
        """POST /v1/documents with an admin key; the answer is the job (202) or the refusal."""
        parts = [("files", (name, data, "text/plain")) for name, data in files]
        return httpx.post(
            f"{self.url}/v1/documents", files=parts, headers=self.auth(admin=True), timeout=timeout
        )

    def wait(self, job_id: str, timeout_s: float = 120) -> dict[str, Any]:
        """GET /v1/jobs/{id} until the job has ended, and its staged files are gone (just after)."""
        job = wait_for_job(
            lambda: httpx.get(f"{self.url}/v1/jobs/{job_id}", headers=self.auth(admin=True)), timeout_s
        )
        assert eventually(lambda: not (self.services.uploads_dir / ".jobs" / job_id).exists()), job
        return job

    def ingest(self, *files: tuple[str, bytes]) -> dict[str, str]:
        """Upload, wait for the job, and return each file's result (source -> status)."""
        return statuses(self.wait(accepted(self.upload(*files))))


def accepted(response: httpx.Response) -> str:
    """The job id of an accepted upload."""
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/jobs/{response.json()['id']}"
    return str(response.json()["id"])


def wait_for_job(get: Callable[[], Any], timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        response = get()
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["state"] in ("completed", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, f"job still {job['state']}: {job}"
        time.sleep(0.02)


def eventually(check: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Whether `check` holds within the timeout (for what a worker thread does right after a response)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def statuses(job: dict[str, Any]) -> dict[str, str]:
    assert job["state"] == "completed", job
    return {f["source"]: f["status"] for f in job["files"]}


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
