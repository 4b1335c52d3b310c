"""What a hostile test of `troly serve` found (issue 16), each over a real HTTP server: feedback on another
key's answer, query strings in the access log, invisible questions, an unnamed file-count limit, and
failed authentication that was never rate-limited."""

from __future__ import annotations

import logging

import httpx
import pytest

from .conftest import LiveServer, ServerFactory, eventually

INVISIBLE = ["\u200b", "\u200b\u200c\u200d\ufeff", " \u2060 \u00ad ", "\u3164\u2800"]


def _ask(server: LiveServer, question: str, *, admin: bool = False) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/ask", json={"question": question}, headers=server.auth(admin), timeout=30
    )


def test_feedback_only_on_the_callers_own_answers_admins_excepted(server: LiveServer) -> None:
    answer_id = _ask(server, "Huế ký với ai?").json()["answer_id"]
    _, other_key = server.services.db.create_key("ứng dụng khác")
    vote = {"answer_id": answer_id, "rating": "down"}
    stranger = httpx.post(
        f"{server.url}/v1/feedback", json=vote, headers={"Authorization": f"Bearer {other_key}"}
    )
    # Reported as missing, like another key's conversation: the answer's existence does not leak.
    assert stranger.status_code == 404 and stranger.json()["error"]["code"] == "answer_not_found"
    own = httpx.post(f"{server.url}/v1/feedback", json=vote, headers=server.auth())
    assert own.status_code == 200
    admin = httpx.post(f"{server.url}/v1/feedback", json=vote, headers=server.auth(admin=True))
    assert admin.status_code == 200
    recorded = [row for row in server.services.db.audit_log() if row["action"] == "feedback"]
    assert len(recorded) == 2


@pytest.mark.parametrize("log_queries", [False, True], ids=["default", "query-logging-on"])
def test_the_access_log_has_no_query_strings_unless_turned_on(
    server_factory: ServerFactory, caplog: pytest.LogCaptureFixture, log_queries: bool
) -> None:
    server = server_factory(log_queries=log_queries)
    caplog.set_level(logging.INFO, logger="web.access")
    question = "hộ khẩu của ông Nguyễn Văn Tư số nhà 12"
    found = httpx.get(
        f"{server.url}/v1/search",
        params={"q": question, "api_key": "troly_lo-dan-vao-url"},
        headers=server.auth(),
    )
    assert found.status_code == 200
    _ask(server, question)

    def access_lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "web.access"]

    # A request's line is written once its response has gone out, so the client may read it first.
    assert eventually(lambda: any('"POST /v1/ask HTTP/1.1" 200' in line for line in access_lines()))
    lines = access_lines()
    search = [line for line in lines if '"GET /v1/search' in line]
    assert len(search) == 1 and " 200 " in search[0]
    logged = "\n".join(lines)
    if log_queries:
        assert "troly_lo-dan-vao-url" in logged and "q=" in logged
    else:
        # Neither the query string nor the question sent in the body of /v1/ask.
        assert "?" not in logged and "troly_lo-dan-vao-url" not in logged and "Nguy" not in logged


@pytest.mark.parametrize(
    "question", INVISIBLE, ids=["zwsp", "joiners-bom", "word-joiner-soft-hyphen", "fillers"]
)
def test_invisible_questions_are_empty_with_one_code_for_ask_and_search(
    server: LiveServer, question: str
) -> None:
    responses = [
        _ask(server, question),
        httpx.post(f"{server.url}/v1/ask/stream", json={"question": question}, headers=server.auth()),
        httpx.get(f"{server.url}/v1/search", params={"q": question}, headers=server.auth()),
        httpx.post(
            f"{server.url}/v1/chat/completions",
            json={"messages": [{"role": "user", "content": question}]},
            headers=server.auth(),
        ),
    ]
    for response in responses:
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "empty_question"


def test_empty_and_blank_queries_are_empty_question_too(server: LiveServer) -> None:
    for params in ({"q": ""}, {"q": "   "}, {}):
        response = httpx.get(f"{server.url}/v1/search", params=params, headers=server.auth())
        assert response.status_code == 422 and response.json()["error"]["code"] == "empty_question", params
    assert _ask(server, " \t ").json()["error"]["code"] == "empty_question"
    # Invisible characters inside a real question are dropped, not the question.
    found = httpx.get(
        f"{server.url}/v1/search", params={"q": "Qu\u200bảng Trị"}, headers=server.auth()
    ).json()
    assert found["query"] == "Quảng Trị" and found["results"][0]["source"] == "quang-tri.txt"


def test_the_file_count_limit_is_named(server_factory: ServerFactory) -> None:
    server = server_factory(max_upload_files=3)
    files = [(f"tb-{i}.txt", b"Thong bao so %d" % i) for i in range(4)]
    response = server.upload(*files)
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "too_many_files"
    assert "tối đa 3 tệp" in error["message"] and "TROLY_SERVER__MAX_UPLOAD_FILES" in error["message"]
    assert not server.services.uploads_dir.exists() or not list(server.services.uploads_dir.rglob("*.txt"))
    assert server.upload(*files[:3]).status_code == 202


def test_over_a_thousand_files_by_default_names_the_limit(server: LiveServer) -> None:
    response = server.upload(*((f"t{i}.txt", b"x") for i in range(1001)))
    assert response.status_code == 413
    assert "tối đa 1.000 tệp" in response.json()["error"]["message"]


def test_failed_authentication_is_rate_limited_per_client_address(server_factory: ServerFactory) -> None:
    server = server_factory(auth_failures_per_minute=3)
    bad = [
        {},
        {"Authorization": "Bearer troly_doan-bua"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer troly_doan-bua-nua"},
        {},
    ]
    codes = [httpx.get(f"{server.url}/v1/search", params={"q": "Huế"}, headers=h).status_code for h in bad]
    assert codes == [401, 401, 401, 429, 429]
    limited = httpx.get(f"{server.url}/v1/documents", headers={"Authorization": "Bearer troly_x"})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # A valid key from the same address is not refused because of the failures.
    assert httpx.get(f"{server.url}/v1/search", params={"q": "Huế"}, headers=server.auth()).status_code == 200
    assert httpx.get(f"{server.url}/healthz").status_code == 200
