"""Paths in a real browser that only the stand-in API can script: what the real app does under load (429,
503 with Retry-After), a dropped stream, a failed connection, unverified details, odd embeddings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web_widget.backends import open_demo
from tests.web_widget.driver import Widget
from tests.web_widget.server import serve
from tests.web_widget.standin import ScriptedReply, StandInApi
from tests.web_widget.standin_backend import StandInBackend, new_standin

pytestmark = pytest.mark.slow

QUESTION = "Thủ tục đăng ký khai sinh cần giấy tờ gì?"


@pytest.fixture(scope="module")
def standin() -> Iterator[StandInBackend]:
    api = new_standin()
    with serve(api.app()) as url:
        yield StandInBackend(api, url)


@pytest.fixture()
def widget(page: Any, standin: StandInBackend) -> Widget:
    standin.api.replies.clear()
    open_demo(page, standin)
    widget = Widget(page)
    widget.open()
    return widget


def _error_after_asking(widget: Widget) -> str:
    widget.ask(QUESTION)
    error = widget.error_messages().last
    error.wait_for()
    assert error.get_attribute("role") == "alert"
    assert widget.panel.locator("article.msg.bot").count() == 0
    return str(error.inner_text())


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, 30, "Bạn đã hỏi quá nhiều trong thời gian ngắn. Vui lòng thử lại sau 30 giây."),
        (503, 5, "Hệ thống đang bận. Vui lòng thử lại sau 5 giây."),
        (503, None, "Hệ thống đang bận. Vui lòng thử lại sau ít phút."),
        (500, None, "Máy chủ gặp lỗi. Vui lòng thử lại sau."),
    ],
)
def test_http_errors_in_vietnamese(
    widget: Widget, standin: StandInBackend, status: int, retry_after: int | None, expected: str
) -> None:
    standin.script(ScriptedReply(status=status, error_code="busy", retry_after=retry_after))
    assert _error_after_asking(widget) == expected
    # The widget recovers: the next question goes through.
    standin.script(ScriptedReply(tokens=["Cần ", "tờ khai."]))
    widget.ask(QUESTION)
    assert widget.wait_answered().locator(".text").inner_text() == "Cần tờ khai."


def test_wrong_key_is_explained(page: Any) -> None:
    api = StandInApi(api_key="khoa-khac")  # the demo page still carries its placeholder key
    with serve(api.app()) as url:
        page.goto(url + "/")
        widget = Widget(page)
        widget.open()
        assert "Khóa truy cập của trang không hợp lệ" in _error_after_asking(widget)
    assert api.questions == []


def test_network_failure(widget: Widget) -> None:
    widget.page.route("**/v1/ask/stream", lambda route: route.abort("connectionrefused"))
    assert _error_after_asking(widget) == "Không kết nối được máy chủ. Vui lòng kiểm tra mạng và thử lại."


def test_stream_cut_before_done(widget: Widget, standin: StandInBackend) -> None:
    standin.script(ScriptedReply(tokens=["Cần ", "mang "], cut_before_done=True))
    assert "gián đoạn" in _error_after_asking(widget)


def test_error_event_message_is_shown(widget: Widget, standin: StandInBackend) -> None:
    message = "Mô hình ngôn ngữ chưa sẵn sàng. Vui lòng thử lại sau."
    standin.script(
        ScriptedReply(tokens=["Cần "], stream_error={"code": "model_not_ready", "message": message})
    )
    assert _error_after_asking(widget) == message


def test_errors_survive_reload_and_reset_clears(widget: Widget, standin: StandInBackend) -> None:
    standin.script(ScriptedReply(status=503, retry_after=5))
    _error_after_asking(widget)
    widget.page.reload()
    widget.panel.wait_for(state="visible")
    assert widget.error_messages().count() == 1
    widget.panel.locator("button.reset").click()
    assert widget.panel.locator(".msg.user, .msg.error, article.msg.bot").count() == 0
    widget.page.reload()
    widget.panel.wait_for(state="visible")
    assert widget.panel.locator(".msg.user").count() == 0


def test_empty_question_is_not_sent(widget: Widget, standin: StandInBackend) -> None:
    before = len(standin.api.questions)
    widget.ask("   ")
    widget.status.filter(has_text="Vui lòng nhập câu hỏi").wait_for()
    assert len(standin.api.questions) == before


def test_unsupported_details_are_flagged(widget: Widget, standin: StandInBackend) -> None:
    standin.script(ScriptedReply(tokens=["Cần 3 bản sao."], unsupported=["3"]))
    widget.ask(QUESTION)
    answer = widget.wait_answered()
    warning = answer.locator(".warn").inner_text()
    assert warning == "Một số chi tiết không có trong tài liệu nguồn đã được lược bỏ khỏi câu trả lời."
    assert "3" not in warning  # the dropped claim itself is never shown


def test_tag_in_head_with_api_base_mounts_once(page: Any, standin: StandInBackend) -> None:
    attributes = f'data-api-key="{standin.api_key}" data-api-base="{standin.base_url}/"'
    script = f'<script src="/widget.js" {attributes}></script>'
    html = f"<!doctype html><html><head>{script}{script}</head><body><p>Trang khác</p></body></html>"
    page.route(
        standin.base_url + "/trang-khac", lambda route: route.fulfill(body=html, content_type="text/html")
    )
    page.goto(standin.base_url + "/trang-khac")
    widget = Widget(page)
    widget.launcher.wait_for()
    assert page.locator("[data-troly-widget]").count() == 1
    assert widget.launcher.inner_text() == "Trợ lý số"
    widget.open()
    standin.script(ScriptedReply(tokens=["Được."]))
    widget.ask(QUESTION)
    assert widget.wait_answered().locator(".text").inner_text() == "Được."


def test_forgotten_conversation_starts_a_new_one(widget: Widget, standin: StandInBackend) -> None:
    standin.script(ScriptedReply(tokens=["Một."]))
    widget.ask(QUESTION)
    widget.wait_answered()
    first = standin.api.answer_conversations[-1]
    standin.api.forgotten_conversations.add(first)  # as if the server's database had been reset
    asked = len(standin.api.questions)
    standin.script(ScriptedReply(tokens=["Hai."]))
    widget.ask("Còn gì nữa không?")
    assert widget.wait_answered(count=2).locator(".text").inner_text() == "Hai."
    retried = [q.get("conversation_id") for q in standin.api.questions[asked:]]
    assert retried == [first, None]
    assert standin.api.answer_conversations[-1] != first
    assert widget.error_messages().count() == 0


def test_strict_content_security_policy(page: Any, standin: StandInBackend) -> None:
    # A portal that forbids inline scripts and styles: the widget's own stylesheet must still apply.
    policy = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'"
    violations: list[str] = []
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )

    def with_policy(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    page.route(standin.base_url + "/", with_policy)
    page.goto(standin.base_url + "/")
    widget = Widget(page)
    assert widget.launcher.evaluate("node => getComputedStyle(node).backgroundColor") == "rgb(179, 38, 30)"
    widget.open()
    assert widget.panel.evaluate("node => getComputedStyle(node).position") == "fixed"
    standin.script(ScriptedReply(tokens=["Được."]))
    widget.ask(QUESTION)
    assert widget.wait_answered().locator(".text").inner_text() == "Được."
    # The policy was in force (the demo page's own inline <style> was refused), and nothing of the widget was.
    assert any("inline style" in v for v in violations)
    assert all("widget.js" not in v for v in violations)
