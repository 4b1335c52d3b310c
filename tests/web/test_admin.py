"""The admin console's routes (/admin, /admin/api) over a real uvicorn server with the fake library: sign-in,
sessions, CSRF and Origin checks, uploads, deletes, the feedback inbox, reviews, export, keys, audit, health."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from eval.qa import parse_qa_line

from .conftest import LiveServer, eventually, wait_for_job


class Console:
    """A signed-in browser, as far as the server can tell: the session cookie and the CSRF token."""

    def __init__(self, server: LiveServer, key: str | None = None) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.url, timeout=30)
        self.csrf = ""
        response = self.client.post("/admin/api/session", json={"key": key or server.admin_key})
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf"]

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get("/admin/api" + path, params=params)

    def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.client.request(method, "/admin/api" + path, headers=headers, **kw)


def _ask_and_rate(server: LiveServer, question: str, rating: str, comment: str | None = None) -> str:
    answer = httpx.post(f"{server.url}/v1/ask", json={"question": question}, headers=server.auth())
    assert answer.status_code == 200, answer.text
    answer_id = str(answer.json()["answer_id"])
    body = {"answer_id": answer_id, "rating": rating, "comment": comment}
    assert httpx.post(f"{server.url}/v1/feedback", json=body, headers=server.auth()).status_code == 200
    return answer_id


def _rows(server: LiveServer, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(server.services.settings.db_path)) as conn:
        return list(conn.execute(sql))


def test_the_page_is_served_with_a_strict_content_policy(server: LiveServer) -> None:
    page = httpx.get(f"{server.url}/admin")
    assert page.status_code == 200
    assert "Quản trị Trợ lý số" in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self' covers scripts
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert httpx.get(f"{server.url}/static/admin/main.js").status_code == 200


def test_sign_in_sets_a_strict_http_only_cookie_and_the_session_reads_back(server: LiveServer) -> None:
    client = httpx.Client(base_url=server.url)
    response = client.post("/admin/api/session", json={"key": server.admin_key})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/admin" in cookie
    assert "max-age=3600" in cookie
    assert server.admin_key not in response.text  # the key is never sent back
    session = client.get("/admin/api/session").json()
    assert session["name"] == "quản trị" and session["csrf"] == response.json()["csrf"]
    assert _rows(server, "SELECT action FROM audit WHERE action = 'signin'") == [("signin",)]


@pytest.mark.parametrize(
    ("which", "status", "code"),
    [("user", 403, "not_admin"), ("wrong", 401, "unauthorized"), ("revoked", 401, "unauthorized")],
)
def test_a_user_wrong_or_revoked_key_cannot_sign_in(
    server: LiveServer, which: str, status: int, code: str
) -> None:
    key = {"user": server.user_key, "wrong": "troly_not-a-key", "revoked": server.admin_key}[which]
    if which == "revoked":
        admin_id = next(k.id for k in server.services.db.list_keys() if k.admin)
        server.services.db.revoke_key(admin_id)
    client = httpx.Client(base_url=server.url)
    response = client.post("/admin/api/session", json={"key": key})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert "set-cookie" not in response.headers
    assert client.get("/admin/api/documents").status_code == 401
    assert _rows(server, "SELECT count(*) FROM admin_sessions") == [(0,)]


def test_api_keys_do_not_open_the_console_routes(server: LiveServer) -> None:
    for key in (server.admin_key, server.user_key):
        response = httpx.get(f"{server.url}/admin/api/keys", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "session_expired"


def test_an_expired_session_is_refused_and_changes_nothing(server: LiveServer) -> None:
    console = Console(server)
    with closing(sqlite3.connect(server.services.settings.db_path)) as conn:
        conn.execute("UPDATE admin_sessions SET expires_at = 0")
        conn.commit()
    created = console.send("POST", "/keys", json={"name": "khóa mới"})
    assert created.status_code == 401
    assert created.json()["error"]["code"] == "session_expired"
    assert "hết hạn" in created.json()["error"]["message"]
    assert [k.name for k in server.services.db.list_keys()] == ["quản trị", "điện thoại"]


def test_revoking_the_signed_in_key_ends_its_session(server: LiveServer) -> None:
    console = Console(server)
    admin_id = next(k.id for k in server.services.db.list_keys() if k.admin)
    assert console.get("/keys").status_code == 200
    server.services.db.revoke_key(admin_id)
    assert console.get("/keys").status_code == 401


def test_forged_requests_are_refused_and_change_nothing(server: LiveServer) -> None:
    console = Console(server)
    no_token = console.client.post("/admin/api/keys", json={"name": "giả mạo"})
    assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "bad_csrf"
    wrong_token = console.send("POST", "/keys", json={"name": "giả mạo"}, headers={"X-CSRF-Token": "x"})
    assert wrong_token.status_code == 403
    other_site = console.send(
        "POST", "/keys", json={"name": "giả mạo"}, headers={"Origin": "http://evil.test"}
    )
    assert other_site.status_code == 403 and other_site.json()["error"]["code"] == "bad_origin"
    cross = console.send("DELETE", "/documents/hue.txt", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    login = httpx.post(
        f"{server.url}/admin/api/session",
        json={"key": server.admin_key},
        headers={"Origin": "http://evil.test"},
    )
    assert login.status_code == 403 and "set-cookie" not in login.headers
    assert [k.name for k in server.services.db.list_keys()] == ["quản trị", "điện thoại"]
    assert "hue.txt" in server.services.library.get().texts  # type: ignore[attr-defined]
    same_site = console.send("POST", "/keys", json={"name": "hợp lệ"}, headers={"Origin": server.url})
    assert same_site.status_code == 201


def test_upload_shows_each_file_result_and_the_list_its_documents(server: LiveServer) -> None:
    console = Console(server)
    files = [
        ("files", ("thong-bao.txt", "Thông báo lịch tiếp dân của phường.".encode(), "text/plain")),
        ("files", ("hong.txt", b"\xff\xfe\x00 not text", "text/plain")),
    ]
    response = console.send("POST", "/documents", files=files)
    assert response.status_code == 202, response.text
    job = wait_for_job(lambda: console.get(f"/jobs/{response.json()['id']}"))
    results = {f["filename"]: f for f in job["files"]}
    assert results["thong-bao.txt"]["status"] == "added"
    assert results["hong.txt"]["status"] == "failed" and results["hong.txt"]["reason"]
    assert eventually(lambda: not (server.services.uploads_dir / ".jobs" / job["id"]).exists())
    listed = console.get("/documents").json()
    assert {d["id"] for d in listed["documents"]} == {"hue.txt", "quang-tri.txt", "thong-bao.txt"}
    assert listed["generation"] is not None
    actions = [row[0] for row in _rows(server, "SELECT action FROM audit ORDER BY id")]
    assert "upload" in actions and "ingest" in actions


def test_upload_over_the_limit_is_refused_and_stores_nothing(server_factory: Any) -> None:
    server = server_factory(max_upload_mb=4)
    # Under the request limit the app was built with, over the per-file limit: the whole body is read (no
    # connection reset while sending) and the route refuses the file.
    server.services.settings.server.max_upload_mb = 1
    console = Console(server)
    big = [("files", ("lon.txt", b"a" * ((1 << 20) + 10), "text/plain"))]
    response = console.send("POST", "/documents", files=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert "1 MB" in response.json()["error"]["message"]
    assert server.services.db.list_jobs() == []
    uploads = server.services.uploads_dir
    assert not uploads.exists() or not any(uploads.iterdir())


def test_deleting_a_document_already_gone_is_a_clear_404(server: LiveServer) -> None:
    console = Console(server)
    assert console.send("DELETE", "/documents/hue.txt").status_code == 200
    again = console.send("DELETE", "/documents/hue.txt")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "document_not_found"
    assert {d["id"] for d in console.get("/documents").json()["documents"]} == {"quang-tri.txt"}


def test_inbox_review_and_export_make_a_qa_file(server: LiveServer) -> None:
    _ask_and_rate(server, "Quảng Trị ký với ai?", "up")
    down = _ask_and_rate(server, "Thừa Thiên Huế ký thỏa thuận với ai?", "down", "Thiếu ngày ký")
    _ask_and_rate(server, "Lệ phí cấp giấy phép xây dựng là bao nhiêu?", "down")
    console = Console(server)

    items = console.get("/feedback").json()["items"]
    assert [i["rating"] for i in items] == ["down", "down", "up"]  # thumbs-down first
    first = next(i for i in items if i["answer_id"] == down)
    assert first["comment"] == "Thiếu ngày ký"
    assert first["citations"][0]["source"] == "hue.txt" and first["citations"][0]["quote"]
    cited = console.get("/feedback", document="hue.txt").json()["items"]
    assert [i["answer_id"] for i in cited] == [down]
    today = datetime.now(UTC).date().isoformat()
    assert len(console.get("/feedback", since=today, until=today).json()["items"]) == 3
    assert console.get("/feedback", since="2000-01-01", until="2000-01-02").json()["items"] == []
    assert console.get("/feedback", since="01/02/2024").status_code == 422

    missing = console.send("POST", f"/feedback/{first['id']}/review", json={"answerable": True})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "answer_required"
    gone = console.send("POST", "/feedback/999/review", json={"answerable": False})
    assert gone.status_code == 404
    verdict = {"answerable": True, "answers": ["Tập đoàn VNPT", "VNPT"], "sources": ["hue.txt"]}
    reviewed = console.send("POST", f"/feedback/{first['id']}/review", json=verdict)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["items"][0]["review"]["answers"] == ["Tập đoàn VNPT", "VNPT"]
    fee = next(i for i in items if i["question"].startswith("Lệ phí"))
    assert (
        console.send("POST", f"/feedback/{fee['id']}/review", json={"answerable": False}).status_code == 200
    )
    assert len(console.get("/feedback", status="open").json()["items"]) == 1

    exported = console.send("POST", "/feedback/export")
    assert exported.status_code == 200
    lines = exported.json()["content"].splitlines()
    assert exported.json()["count"] == 2 and len(lines) == 2
    parsed = [parse_qa_line(line, where=f"export:{n}") for n, line in enumerate(lines, 1)]
    assert json.loads(lines[0]) == {
        "id": f"feedback-{first['id']}",
        "question": "Thừa Thiên Huế ký thỏa thuận với ai?",
        "answers": ["Tập đoàn VNPT", "VNPT"],
        "all_of": [],
        "sources": ["hue.txt"],
        "answerable": True,
    }
    assert parsed[1].answerable is False and parsed[1].answers == [] and parsed[1].sources == []
    tomorrow = "2999-01-01"
    assert console.send("POST", "/feedback/export", params={"since": tomorrow}).json()["count"] == 0
    assert {"review", "export"} <= {row[0] for row in _rows(server, "SELECT action FROM audit")}


def test_keys_are_created_once_revoked_and_show_their_last_use(server: LiveServer) -> None:
    console = Console(server)
    created = console.send("POST", "/keys", json={"name": "ứng dụng Can Tho Smart"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("troly_") and created.json()["admin"] is False
    assert (
        httpx.get(f"{server.url}/v1/documents", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    keys = {k["name"]: k for k in console.get("/keys").json()["keys"]}
    assert "token" not in keys["ứng dụng Can Tho Smart"]
    assert keys["ứng dụng Can Tho Smart"]["last_used_at"] is not None
    assert keys["điện thoại"]["last_used_at"] is None
    assert console.send("POST", "/keys", json={"name": "   "}).status_code == 422
    key_id = created.json()["id"]
    revoked = console.send("DELETE", f"/keys/{key_id}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (
        httpx.get(f"{server.url}/v1/documents", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert console.send("DELETE", f"/keys/{key_id}").status_code == 404


def test_audit_filters_by_action_key_and_date(server: LiveServer) -> None:
    _ask_and_rate(server, "Quảng Trị ký với ai?", "down")
    console = Console(server)
    user_id = next(k.id for k in server.services.db.list_keys() if not k.admin)
    by_action = console.get("/audit", action="feedback").json()["entries"]
    assert [e["action"] for e in by_action] == ["feedback"]
    by_key = console.get("/audit", key_id=user_id).json()["entries"]
    assert {e["action"] for e in by_key} == {"ask", "feedback"}
    today = datetime.now(UTC).date().isoformat()
    assert len(console.get("/audit", since=today, until=today).json()["entries"]) >= 3
    assert console.get("/audit", until="2000-01-01").json()["entries"] == []


def test_health_reports_the_index_queues_and_daily_figures(server: LiveServer) -> None:
    _ask_and_rate(server, "Quảng Trị ký với ai?", "up")
    _ask_and_rate(server, "Huế ký với ai?", "down")
    console = Console(server)
    health = console.get("/health").json()
    assert health["index"]["documents"] == 2 and health["index"]["chunks"] == 2
    assert health["queue"] == {"answers_waiting": 0, "jobs_queued": 0, "jobs_running": 0}
    assert health["model"]["backend"] == "llamacpp"
    today = health["answers_per_day"][-1]
    assert today["day"] == datetime.now(UTC).date().isoformat()
    assert today["answers"] == 2 and today["p50_ms"] is not None
    assert len(health["answers_per_day"]) == 14
    assert health["feedback_per_day"][-1] == {"day": today["day"], "up": 1, "down": 1}


def test_sign_out_ends_the_session(server: LiveServer) -> None:
    console = Console(server)
    assert console.send("DELETE", "/session").status_code == 204
    assert console.get("/keys").status_code == 401
    assert _rows(server, "SELECT count(*) FROM admin_sessions") == [(0,)]
