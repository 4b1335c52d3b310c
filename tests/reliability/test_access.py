"""Access control over every /v1/ route, upload names that try to escape uploads/, and secrets kept out of logs.

The routes are enumerated from the app itself, so a route added later is checked without editing this file.
Requests go through the real app (auth, routers, the real Library over BM25 and the real AnswerPipeline with
a scripted model) in process, so every log record the request produces is captured.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from assistant.llm.scripted import ScriptedChatModel
from assistant.pipeline import AnswerPipeline
from index.library import Library
from tests.reliability.helpers import bm25_settings
from tests.web.conftest import eventually, wait_for_job
from troly.settings import ServerSettings
from web.app import create_app
from web.auth import require_admin
from web.db import Database
from web.services import Services
from web.uploads import MAX_NAME_BYTES, safe_filename

SECRET_SENTENCE = "Kho lưu trữ số của xã Tân Hòa đặt mật khẩu quản trị là ngọc-lam-tím-97."
DOCUMENT = (
    "Xã Tân Hòa số hóa kho lưu trữ\n\n"
    "Năm 2024, xã Tân Hòa số hóa 2.150 hồ sơ đất đai và hộ tịch của kho lưu trữ xã. "
    f"{SECRET_SENTENCE}\n"
)
QUESTION = "Xã Tân Hòa số hóa bao nhiêu hồ sơ?"
REPLY = "Năm 2024, xã Tân Hòa số hóa 2.150 hồ sơ đất đai và hộ tịch [1]."


@dataclass
class Api:
    app: FastAPI
    client: TestClient
    services: Services
    admin_key: str
    user_key: str

    def auth(self, key: str | None) -> dict[str, str]:
        return {} if key is None else {"Authorization": f"Bearer {key}"}

    def wait(self, job_id: str) -> dict[str, object]:
        """The job once it has ended and its staged copy (uploads/.jobs/<id>/) is gone, just after."""
        job = wait_for_job(lambda: self.client.get(f"/v1/jobs/{job_id}", headers=self.auth(self.admin_key)))
        assert eventually(lambda: not (self.services.uploads_dir / ".jobs" / job_id).exists()), job
        return job


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = bm25_settings(tmp_path / "home")
    settings = settings.model_copy(update={"server": ServerSettings(rate_limit_per_minute=10_000)})
    db = Database(settings.db_path)
    _, admin_key = db.create_key("quản trị", admin=True)
    _, user_key = db.create_key("điện thoại")
    library = Library.open(settings)
    model = ScriptedChatModel(default=REPLY)
    services = Services.create(
        settings, db=db, library=library, pipeline=AnswerPipeline(settings, library, model)
    )
    try:
        app = create_app(settings, services)
        yield Api(app, TestClient(app), services, admin_key, user_key)
    finally:
        services.close()


def v1_routes(api: Api) -> list[tuple[str, str, bool]]:
    """(method, path, admin only) of every /v1/ route of the app."""
    found = []
    for route in _flatten(api.app.routes):
        if isinstance(route, APIRoute) and route.path.startswith("/v1/"):
            admin = _needs(route.dependant, require_admin)
            found += [(method, route.path, admin) for method in sorted(route.methods or ())]
    return found


def _flatten(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """Routes of included routers too (FastAPI >= 0.16x keeps an included router as one route)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _flatten(inner.routes) if inner is not None else (route,)


def _needs(dependant: object, call: object) -> bool:
    dependencies = getattr(dependant, "dependencies", [])
    return any(getattr(d, "call", None) is call or _needs(d, call) for d in dependencies)


def _request(api: Api, method: str, path: str, key: str | None) -> int:
    url = re.sub(r"\{[^}]+\}", "ban-tin.txt", path)
    headers = api.auth(key)
    if method == "POST" and path == "/v1/documents":
        files = [("files", ("ban-tin.txt", DOCUMENT.encode(), "text/plain"))]
        return api.client.post(url, files=files, headers=headers).status_code
    if method in ("POST", "PUT", "PATCH"):
        return api.client.request(method, url, json={}, headers=headers).status_code
    return api.client.request(method, url, headers=headers).status_code


def test_the_route_list_covers_the_api(api: Api) -> None:
    routes = {(m, p) for m, p, _ in v1_routes(api)}
    documented = {
        (method.upper(), path)
        for path, operations in api.app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method in operations
    }
    assert documented <= {(m, p.replace(":path", "")) for m, p in routes}
    assert {("POST", "/v1/ask"), ("GET", "/v1/search"), ("POST", "/v1/documents")} <= routes
    admin = {(m, p) for m, p, is_admin in v1_routes(api) if is_admin}
    assert {("POST", "/v1/documents"), ("DELETE", "/v1/documents/{doc_id:path}")} <= admin
    assert {("GET", "/v1/jobs"), ("GET", "/v1/jobs/{job_id}"), ("DELETE", "/v1/jobs/{job_id}")} <= admin


@pytest.mark.parametrize(
    "key", [None, "troly_khong-phai-khoa-that", "sk-abc", ""], ids=["missing", "unknown", "foreign", "empty"]
)
def test_every_v1_route_refuses_a_missing_or_bad_key(api: Api, key: str | None) -> None:
    refused = {(m, p): _request(api, m, p, key) for m, p, _ in v1_routes(api)}
    assert refused and set(refused.values()) == {401}, refused


def test_a_revoked_key_is_refused_everywhere(api: Api) -> None:
    record, key = api.services.db.create_key("cũ")
    api.services.db.revoke_key(record.id)
    refused = {(m, p): _request(api, m, p, key) for m, p, _ in v1_routes(api)}
    assert set(refused.values()) == {401}, refused


def test_admin_routes_refuse_a_user_key(api: Api) -> None:
    statuses = {(m, p): _request(api, m, p, api.user_key) for m, p, admin in v1_routes(api) if admin}
    assert statuses and set(statuses.values()) == {403}, statuses
    assert not (api.services.uploads_dir / "ban-tin.txt").exists()
    assert api.services.library.get().documents() == []


NASTY_NAMES = [
    "../../etc/passwd",
    "/etc/passwd",
    "..\\..\\x.txt",
    "C:\\Windows\\system32\\x.txt",
    "a\x00b.txt",
    "../" * 40 + "sau.txt",
    "dài-" * 120 + ".txt",
    "....//....//thoát.txt",
    "..",
]


@pytest.mark.parametrize("name", NASTY_NAMES, ids=range(len(NASTY_NAMES)))
def test_upload_names_stay_under_uploads(api: Api, name: str) -> None:
    try:
        expected = safe_filename(name)
    except Exception:
        expected = None
    files = [("files", (name, DOCUMENT.encode(), "text/plain"))]
    response = api.client.post("/v1/documents", files=files, headers=api.auth(api.admin_key))
    uploads = api.services.uploads_dir.resolve()
    home = api.services.settings.home.resolve()
    if expected is None or response.status_code != 202:
        assert response.status_code in (400, 422), response.text
        assert response.json()["error"]["code"]
    else:
        assert "/" not in expected and "\\" not in expected and "\x00" not in expected
        assert len(expected.encode()) <= MAX_NAME_BYTES and not expected.startswith(".")
        job = api.wait(response.json()["id"])
        assert job["state"] == "completed", job
        # httpx sends a NUL in a file name as %00; the server must make a safe name of whatever arrives.
        sources = [r["source"] for r in job["files"]]  # type: ignore[attr-defined]
        assert sources == [expected] or (
            "\x00" in name and sources == [safe_filename(name.replace("\x00", "%00"))]
        )
    stored = [p for p in home.rglob("*") if p.is_file() and p.read_bytes() == DOCUMENT.encode()]
    assert all(p.resolve().parent == uploads for p in stored), stored
    assert not (home.parent / "etc").exists() and not Path("/etc/passwd").read_bytes().startswith(b"X")


def test_control_characters_are_dropped_from_names() -> None:
    assert safe_filename("a\x00b\x07.txt") == "ab.txt"
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\x.txt") == "x.txt"


def test_keys_and_document_text_never_reach_the_logs(
    api: Api, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    files = [("files", ("tan-hoa.txt", DOCUMENT.encode(), "text/plain"))]
    upload = api.client.post("/v1/documents", files=files, headers=api.auth(api.admin_key))
    assert upload.status_code == 202, upload.text
    assert api.wait(upload.json()["id"])["files"][0]["status"] == "added"  # type: ignore[index]
    ask = api.client.post("/v1/ask", json={"question": QUESTION}, headers=api.auth(api.user_key))
    assert ask.status_code == 200 and not ask.json()["refused"], ask.text
    bad_key = api.user_key[:-4] + "abcd"
    assert (
        api.client.post("/v1/ask", json={"question": QUESTION}, headers=api.auth(bad_key)).status_code == 401
    )
    search = api.client.get("/v1/search", params={"q": "mật khẩu quản trị"}, headers=api.auth(api.user_key))
    assert search.status_code == 200
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    out, err = capfd.readouterr()
    assert caplog.records, "nothing was logged at DEBUG: the capture is not working"
    for text in (logged, out, err):
        for secret in (api.admin_key, api.user_key, bad_key, SECRET_SENTENCE, "ngọc-lam-tím-97"):
            assert secret not in text, f"{secret[:12]}… appears in the logs"
