"""The HTTP API over a real uvicorn server, with a fake library and pipeline (wiring)."""

from __future__ import annotations

import httpx

from .conftest import LiveServer, accepted
from .fakes import FakePipeline
from .sse_client import sse_events


def test_health_needs_no_key(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
    assert server.services.warmed.wait(timeout=10)  # warm-up runs on a thread started with the server
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"index": True, "model": True}


def test_readyz_is_503_until_the_model_is_ready(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory()
    assert server.services.warmed.wait(timeout=10)
    server.services.model_ready = lambda: False
    response = httpx.get(f"{server.url}/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["model"] is False


def test_missing_or_wrong_key_is_401_with_a_json_error(server: LiveServer) -> None:
    missing = httpx.post(f"{server.url}/v1/ask", json={"question": "Huế ký với ai?"})
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = httpx.get(
        f"{server.url}/v1/search", params={"q": "Huế"}, headers={"Authorization": "Bearer troly_x"}
    )
    assert wrong.status_code == 401
    assert "Khóa" in wrong.json()["error"]["message"]


def test_revoked_key_is_refused(server: LiveServer) -> None:
    key_id = next(k.id for k in server.services.db.list_keys() if not k.admin)
    assert server.services.db.revoke_key(key_id)
    response = httpx.get(f"{server.url}/v1/documents", headers=server.auth())
    assert response.status_code == 401


def test_document_writes_need_an_admin_key(server: LiveServer) -> None:
    files = {"files": ("a.txt", "Nội dung".encode(), "text/plain")}
    upload = httpx.post(f"{server.url}/v1/documents", files=files, headers=server.auth())
    assert upload.status_code == 403
    assert upload.json()["error"]["code"] == "forbidden"
    delete = httpx.delete(f"{server.url}/v1/documents/hue.txt", headers=server.auth())
    assert delete.status_code == 403


def test_ask_returns_an_answer_with_citations_and_follow_ups_carry_history(server: LiveServer) -> None:
    first = httpx.post(
        f"{server.url}/v1/ask",
        json={"question": "Thừa Thiên Huế ký thỏa thuận với ai?"},
        headers=server.auth(),
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["refused"] is False
    assert body["citations"][0]["source"] == "hue.txt"
    assert "VNPT" in body["answer"]
    assert body["conversation_id"]

    follow_up = httpx.post(
        f"{server.url}/v1/ask",
        json={"question": "còn Quảng Trị thì sao?", "conversation_id": body["conversation_id"]},
        headers=server.auth(),
    )
    assert follow_up.status_code == 200
    assert follow_up.json()["citations"][0]["source"] == "quang-tri.txt"
    pipeline = server.services.pipeline.get()
    assert isinstance(pipeline, FakePipeline)
    history = pipeline.histories[-1]
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[0].content == "Thừa Thiên Huế ký thỏa thuận với ai?"
    assert history[1].content == body["answer"]


def test_another_keys_conversation_is_not_found(server: LiveServer) -> None:
    first = httpx.post(f"{server.url}/v1/ask", json={"question": "Huế ký với ai?"}, headers=server.auth())
    other = httpx.post(
        f"{server.url}/v1/ask",
        json={"question": "còn gì nữa?", "conversation_id": first.json()["conversation_id"]},
        headers=server.auth(admin=True),
    )
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "conversation_not_found"


def test_streamed_answer_is_sse_ending_with_done(server: LiveServer) -> None:
    with httpx.stream(
        "POST",
        f"{server.url}/v1/ask/stream",
        json={"question": "Huế ký với VNPT khi nào?"},
        headers=server.auth(),
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response))
    names = [name for name, _ in events]
    assert names[0] == "token"
    assert names[-2:] == ["citations", "done"]
    tokens = "".join(data["text"] for name, data in events if name == "token")
    done = events[-1][1]
    assert done["answer"].startswith(tokens.strip())
    assert done["citations"][0]["chunk_id"] == "hue.txt#0"
    assert done["answer_id"]


def test_search_returns_ranked_passages_without_the_model(server: LiveServer) -> None:
    response = httpx.get(
        f"{server.url}/v1/search", params={"q": "Quảng Trị Viettel", "k": 2}, headers=server.auth()
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["source"] == "quang-tri.txt"
    assert set(results[0]) >= {"source", "chunk_id", "title", "date", "score", "snippet", "start", "end"}
    pipeline = server.services.pipeline.get()
    assert isinstance(pipeline, FakePipeline)
    assert pipeline.histories == []


def test_upload_then_search_then_delete(server: LiveServer) -> None:
    files = [
        (
            "files",
            (
                "xã-Phú-Mậu.txt",
                "Xã Phú Mậu triển khai dịch vụ công trực tuyến mức độ 4.".encode(),
                "text/plain",
            ),
        ),
        ("files", ("hỏng.bin", b"\xff\xfe\x00\x81", "application/octet-stream")),
    ]
    upload = httpx.post(f"{server.url}/v1/documents", files=files, headers=server.auth(admin=True))
    job = server.wait(accepted(upload))
    results = {r["source"]: r for r in job["files"]}
    assert results["xã-Phú-Mậu.txt"]["status"] == "added"
    assert results["hỏng.bin"]["status"] == "failed" and "not text" in results["hỏng.bin"]["reason"]
    uploads = server.services.uploads_dir
    assert (uploads / "xã-Phú-Mậu.txt").is_file()
    assert not (uploads / "hỏng.bin").exists()

    found = httpx.get(f"{server.url}/v1/search", params={"q": "Phú Mậu"}, headers=server.auth()).json()
    assert found["results"][0]["source"] == "xã-Phú-Mậu.txt"
    listed = httpx.get(f"{server.url}/v1/documents", headers=server.auth()).json()["documents"]
    assert "xã-Phú-Mậu.txt" in {d["id"] for d in listed}

    deleted = httpx.delete(f"{server.url}/v1/documents/xã-Phú-Mậu.txt", headers=server.auth(admin=True))
    assert deleted.status_code == 200
    assert not (uploads / "xã-Phú-Mậu.txt").exists()
    after = httpx.get(f"{server.url}/v1/search", params={"q": "Phú Mậu"}, headers=server.auth()).json()
    assert "xã-Phú-Mậu.txt" not in {r["source"] for r in after["results"]}
    again = httpx.delete(f"{server.url}/v1/documents/xã-Phú-Mậu.txt", headers=server.auth(admin=True))
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "document_not_found"


def test_path_traversal_upload_names_are_sanitised(server: LiveServer) -> None:
    files = [
        ("files", ("../../etc/evil.txt", b"noi dung doc hai", "text/plain")),
        ("files", ("..\\..\\.hidden.txt", b"an giau", "text/plain")),
    ]
    upload = httpx.post(f"{server.url}/v1/documents", files=files, headers=server.auth(admin=True))
    job = server.wait(accepted(upload))
    assert [r["source"] for r in job["files"]] == ["evil.txt", "hidden.txt"]
    uploads = server.services.uploads_dir
    assert sorted(p.name for p in uploads.iterdir()) == [".jobs", "evil.txt", "hidden.txt"]
    assert not any((uploads / ".jobs").iterdir())  # the job's staged files went with it
    home = server.services.settings.home
    assert not (home.parent / "etc").exists()


def test_oversized_upload_is_413(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(max_upload_mb=1)
    big = b"a" * ((1 << 20) + 10)
    response = httpx.post(
        f"{server.url}/v1/documents",
        files={"files": ("big.txt", big, "text/plain")},
        headers=server.auth(admin=True),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_too_large"
    assert not server.services.uploads_dir.exists() or not any(server.services.uploads_dir.iterdir())


def test_too_long_question_is_413(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(max_question_chars=20)
    response = httpx.post(f"{server.url}/v1/ask", json={"question": "Huế " * 20}, headers=server.auth())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "question_too_long"


def test_feedback_on_a_recorded_answer(server: LiveServer) -> None:
    answer = httpx.post(
        f"{server.url}/v1/ask", json={"question": "Huế ký với ai?"}, headers=server.auth()
    ).json()
    ok = httpx.post(
        f"{server.url}/v1/feedback",
        json={"answer_id": answer["answer_id"], "rating": "up", "comment": "Đúng"},
        headers=server.auth(),
    )
    assert ok.status_code == 200
    unknown = httpx.post(
        f"{server.url}/v1/feedback", json={"answer_id": "nope", "rating": "down"}, headers=server.auth()
    )
    assert unknown.status_code == 404
    invalid = httpx.post(
        f"{server.url}/v1/feedback",
        json={"answer_id": answer["answer_id"], "rating": "meh"},
        headers=server.auth(),
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid_request"
    audit = server.services.db.audit_log()
    assert {row["action"] for row in audit} >= {"ask", "feedback"}
    assert all(server.user_key not in str(row) for row in audit)


def test_rate_limit_is_429_with_retry_after(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(rate_limit_per_minute=3)
    codes = [
        httpx.get(f"{server.url}/v1/search", params={"q": "Huế"}, headers=server.auth()).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    limited = httpx.get(f"{server.url}/v1/search", params={"q": "Huế"}, headers=server.auth())
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Limits are per key: the admin key still passes.
    other = httpx.get(f"{server.url}/v1/search", params={"q": "Huế"}, headers=server.auth(admin=True))
    assert other.status_code == 200


def test_cors_allows_only_configured_origins(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(cors_origins=["https://xa-phu-mau.gov.vn"])
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = httpx.options(
        f"{server.url}/v1/ask", headers={"Origin": "https://xa-phu-mau.gov.vn", **preflight}
    )
    assert allowed.headers.get("access-control-allow-origin") == "https://xa-phu-mau.gov.vn"
    denied = httpx.options(f"{server.url}/v1/ask", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in denied.headers


def test_openapi_lists_the_routes(server: LiveServer) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert {
        "/v1/ask",
        "/v1/ask/stream",
        "/v1/search",
        "/v1/documents",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/feedback",
        "/v1/chat/completions",
    } <= set(paths)
    assert httpx.get(f"{server.url}/docs").status_code == 200
