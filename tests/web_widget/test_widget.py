"""The widget in a real browser (system Chromium) against a live server on loopback.

Each case runs against the real app (`web.app.create_app` over a real Library and the scripted chat
model) and against the stand-in API that speaks the same contract.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web_widget.backends import XSS_IMG, XSS_SCRIPT, Backend, open_demo
from tests.web_widget.driver import Widget
from tests.web_widget.server import serve
from tests.web_widget.standin_backend import StandInBackend, new_standin

pytestmark = pytest.mark.slow

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "widget.png"
# Refreshing the documentation's screenshot is opt-in, so a test run leaves the working tree as it was:
#   TROLY_WIDGET_SCREENSHOT=1 pytest tests/web_widget/test_widget.py -k "streams and real"


@pytest.fixture(scope="module", params=["real", "standin"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    if request.param == "standin":
        api = new_standin()
        with serve(api.app()) as url:
            yield StandInBackend(api, url)
        return
    from tests.web_widget.real_backend import real_backend

    with real_backend(tmp_path_factory.mktemp("troly-home")) as backend:
        yield backend


@pytest.fixture()
def widget(page: Any, backend: Backend) -> Widget:
    open_demo(page, backend)
    return Widget(page)


def test_ask_streams_answer_and_opens_citation(widget: Widget, backend: Backend) -> None:
    expected = backend.script_cited()
    widget.open()
    widget.ask("Lớp tập huấn kỹ năng số tổ chức ở đâu?")

    question = widget.panel.locator(".msg.user").last
    assert question.inner_text() == "Lớp tập huấn kỹ năng số tổ chức ở đâu?"
    # The answer appears piece by piece while the bubble is still busy.
    streaming = widget.panel.locator("article.msg.bot[aria-busy=true] .text")
    streaming.filter(has_not_text="Đang tìm").wait_for()
    partial = streaming.inner_text()
    answer = widget.wait_answered()
    final_text = answer.locator(".text").inner_text()
    assert partial and len(partial) < len(final_text)
    assert expected.answer_part in final_text

    cite = answer.locator(".text button.cite").first
    assert cite.inner_text() == "[1]"
    assert cite.get_attribute("aria-expanded") == "false"
    cite.click()
    detail = answer.locator(".detail")
    detail.wait_for()
    assert cite.get_attribute("aria-expanded") == "true"
    assert expected.citation_title in detail.locator(".dtitle").inner_text()
    assert expected.citation_date in detail.locator(".meta").inner_text()
    assert expected.quote_part in detail.locator("blockquote").inner_text()

    if backend.kind == "real" and os.environ.get("TROLY_WIDGET_SCREENSHOT"):  # the docs show the real app
        answer.evaluate("node => node.scrollIntoView({block: 'end'})")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        widget.page.screenshot(path=str(SCREENSHOT))

    cite.click()
    assert detail.count() == 0


def test_related_source_card_comes_first_then_follows_the_citations(widget: Widget, backend: Backend) -> None:
    expected = backend.script_cited()
    widget.open()
    widget.ask("Lớp tập huấn kỹ năng số tổ chức ở đâu?")
    # While the answer is still being written, the best passage is shown as a "Nguồn liên quan" card.
    pending = widget.panel.locator("article.msg.bot[aria-busy=true] section.evidence")
    pending.wait_for()
    assert pending.locator(".dtitle").inner_text().startswith("Nguồn liên quan: ")
    assert expected.citation_title in pending.locator(".dtitle").inner_text()
    assert expected.citation_date in pending.locator(".meta").inner_text()
    assert pending.locator("blockquote").inner_text()

    answer = widget.wait_answered()
    card = answer.locator("section.evidence")
    # Once cited, the card shows the cited passage with its number: kept when the answer cites the passage
    # shown first, else replaced by the first citation.
    assert card.locator(".dtitle").inner_text().startswith("Nguồn liên quan [1]: ")
    assert expected.quote_part in card.locator("blockquote").inner_text()
    if backend.kind == "standin":
        assert card.get_attribute("data-kept") == "false"
    widget.page.reload()  # the card is part of the stored conversation
    widget.host.wait_for(state="attached")
    restored = widget.panel.locator("article.msg.bot section.evidence").last
    assert expected.quote_part in restored.locator("blockquote").inner_text()


def test_thumbs_up_sends_feedback(widget: Widget, backend: Backend) -> None:
    backend.script_cited()
    widget.open()
    widget.ask("Lớp tập huấn kỹ năng số tổ chức ở đâu?")
    answer = widget.wait_answered()
    before = len(backend.feedback())

    up = answer.locator("button.up")
    up.click()
    widget.status.filter(has_text="Cảm ơn").wait_for()
    assert up.get_attribute("aria-pressed") == "true"
    rows = backend.feedback()[before:]
    assert len(rows) == 1
    assert rows[0]["rating"] == "up"
    assert rows[0]["answer_id"]


def test_thumbs_down_with_comment(widget: Widget, backend: Backend) -> None:
    backend.script_cited()
    widget.open()
    widget.ask("Lớp tập huấn kỹ năng số tổ chức ở đâu?")
    answer = widget.wait_answered()
    before = len(backend.feedback())

    answer.locator("button.down").click()
    comment = answer.locator(".comment textarea")
    comment.fill("Thiếu giờ bắt đầu")
    answer.locator(".comment button", has_text="Gửi góp ý").click()
    widget.status.filter(has_text="Cảm ơn").wait_for()
    rows = backend.feedback()[before:]
    assert [(r["rating"], r.get("comment")) for r in rows] == [("down", "Thiếu giờ bắt đầu")]
    assert answer.locator("button.down").get_attribute("aria-pressed") == "true"


def test_copy_answer(widget: Widget, backend: Backend) -> None:
    widget.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    expected = backend.script_cited()
    widget.open()
    widget.ask("Lớp tập huấn kỹ năng số tổ chức ở đâu?")
    answer = widget.wait_answered()
    answer.locator("button.copy").click()
    widget.status.filter(has_text="Đã sao chép").wait_for()
    copied = widget.page.evaluate("navigator.clipboard.readText()")
    answer_text, sources = copied.split("\n\nNguồn trích dẫn:\n")
    assert expected.answer_part in answer_text
    assert "[1]" in answer_text
    assert sources.startswith(f"[1] {expected.citation_title}")
    assert sources.endswith(f"({expected.citation_date})")


def test_conversation_survives_reload(widget: Widget, backend: Backend) -> None:
    expected = backend.script_cited()
    widget.open()
    widget.ask("Lớp tập huấn kỹ năng số tổ chức ở đâu?")
    widget.wait_answered()
    first_ids = backend.conversation_ids()

    widget.page.reload()
    widget.panel.wait_for(state="visible")  # it was open before the reload
    assert widget.panel.locator(".msg.user").last.inner_text() == "Lớp tập huấn kỹ năng số tổ chức ở đâu?"
    answer = widget.last_answer()
    assert expected.answer_part in answer.locator(".text").inner_text()
    answer.locator(".text button.cite").first.click()
    assert expected.quote_part in answer.locator(".detail blockquote").inner_text()

    # The follow-up question continues the same conversation.
    backend.script_cited()
    widget.ask("Còn lớp nào khác không?")
    widget.wait_answered(count=2)
    ids = backend.conversation_ids()
    assert len(ids) == len(first_ids) + 1
    assert ids[-1] is not None and ids[-1] == first_ids[-1]


def test_refusal_is_shown_as_refusal(widget: Widget, backend: Backend) -> None:
    expected = backend.script_refusal()
    widget.open()
    widget.ask("Lệ phí cấp phép xây dựng nhà ở trên sao Hỏa là bao nhiêu?")
    answer = widget.wait_answered()
    assert "refused" in (answer.get_attribute("class") or "")
    assert answer.locator(".badge").inner_text() == "Không đủ căn cứ để trả lời"
    assert expected.answer_part in answer.locator(".text").inner_text()
    # The final text replaces whatever was streamed before the refusal.
    assert answer.locator(".text button.cite").count() == 0


def test_a_list_answer_is_shown_as_a_list(widget: Widget, backend: Backend) -> None:
    expected = backend.script_list()
    widget.open()
    widget.ask("Phường An Khánh đã ký thỏa thuận hợp tác với những đơn vị nào?")
    answer = widget.wait_answered()
    items = answer.locator(".text ul.items li")
    assert items.count() == 2
    assert expected.answer_part in items.first.inner_text()
    assert answer.locator(".text p.lead").count() == 1
    for i in range(2):  # every item keeps its own citation button
        assert items.nth(i).locator("button.cite").count() == 1
    items.nth(1).locator("button.cite").click()
    assert expected.citation_title in answer.locator(".detail .dtitle").inner_text()


def test_markup_in_answer_and_quote_stays_inert(widget: Widget, backend: Backend) -> None:
    expected = backend.script_xss()
    widget.open()
    widget.ask("Trang thông tin phường từng hiển thị đoạn mã nhúng nào?")
    answer = widget.wait_answered()
    text = answer.locator(".text").inner_text()
    assert expected.answer_part in text
    answer.locator(".text button.cite").first.click()
    detail = answer.locator(".detail")
    assert expected.quote_part in detail.locator("blockquote").inner_text()
    assert expected.citation_title in detail.locator(".dtitle").inner_text()
    widget.page.wait_for_timeout(300)  # an injected image would have errored by now
    assert widget.page.locator("[data-troly-widget] img, [data-troly-widget] script").count() == 0
    assert widget.page.locator("img, script:not([src])").count() == 0
    assert widget.pwned() is None
    if XSS_IMG in expected.answer_part:  # the stand-in also sends live payloads: they show as literal text
        assert XSS_SCRIPT in text or XSS_SCRIPT in detail.inner_text()


HOSTILE_CSS = """
* { color: red !important; background: lime !important; font-size: 31px !important;
    display: inline !important; position: static !important; visibility: hidden !important;
    transform: rotate(3deg) !important; }
div, section, button, textarea { display: none !important; opacity: 0 !important; }
[data-troly-widget] { display: none !important; width: 1px !important; }
body { visibility: visible !important; }
"""


def test_hostile_host_css_does_not_break_widget(widget: Widget, backend: Backend) -> None:
    widget.page.add_style_tag(content=HOSTILE_CSS)
    launcher = widget.launcher
    assert launcher.is_visible()
    box = launcher.bounding_box()
    assert box is not None
    viewport = widget.page.viewport_size
    assert box["x"] + box["width"] > viewport["width"] - 60
    assert box["y"] + box["height"] > viewport["height"] - 60
    color = launcher.evaluate("node => getComputedStyle(node).color")
    assert color == "rgb(255, 255, 255)"

    expected = backend.script_cited()
    widget.open()
    panel_box = widget.panel.bounding_box()
    assert panel_box is not None and panel_box["width"] >= 300 and panel_box["height"] >= 400
    widget.ask("Lớp tập huấn kỹ năng số tổ chức ở đâu?")
    answer = widget.wait_answered()
    assert expected.answer_part in answer.locator(".text").inner_text()
    assert answer.evaluate("node => getComputedStyle(node).fontSize") == "15px"
    # And the widget's own styles do not leak onto the host page.
    assert widget.page.locator("header.portal h1").evaluate("node => getComputedStyle(node).fontWeight") != ""
    assert widget.page.evaluate("getComputedStyle(document.querySelector('main')).borderRadius") == "0px"


def test_phone_viewport_uses_full_screen(browser: Any, backend: Backend) -> None:
    context = browser.new_context(
        locale="vi-VN", viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        open_demo(page, backend)
        widget = Widget(page)
        widget.launcher.tap()
        widget.panel.wait_for(state="visible")
        page.wait_for_timeout(250)  # the opening animation
        box = widget.panel.bounding_box()
        assert box is not None
        assert [round(box[k]) for k in ("x", "y", "width", "height")] == [0, 0, 375, 667]
        assert not widget.launcher.is_visible()
        expected = backend.script_cited()
        widget.input.fill("Lớp tập huấn kỹ năng số tổ chức ở đâu?")
        widget.panel.locator("button.send").tap()
        answer = widget.wait_answered()
        assert expected.answer_part in answer.locator(".text").inner_text()
        widget.panel.locator("button.close").tap()
        assert widget.panel.is_hidden()
        assert widget.launcher.is_visible()
    finally:
        context.close()


def _active_class(widget: Widget) -> str:
    return str(
        widget.page.evaluate(
            "() => { const r = document.querySelector('[data-troly-widget]').shadowRoot;"
            " const a = r.activeElement; return a ? a.tagName + '.' + a.className : ''; }"
        )
    )


def test_keyboard_only_use(widget: Widget, backend: Backend) -> None:
    page = widget.page
    page.keyboard.press("Tab")  # keyboard modality, so :focus-visible applies
    widget.launcher.focus()
    outline = widget.launcher.evaluate("node => getComputedStyle(node).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    widget.panel.wait_for(state="visible")
    assert _active_class(widget) == "TEXTAREA."
    assert widget.launcher.get_attribute("aria-expanded") == "true"

    # Shift+Enter is a newline, not a send.
    page.keyboard.type("Dòng một")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("dòng hai")
    assert widget.input.input_value() == "Dòng một\ndòng hai"
    assert widget.panel.locator(".msg.user").count() == 0

    # Focus stays inside the open panel.
    seen = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.add(_active_class(widget))
    assert "" not in seen
    assert any(s.startswith("BUTTON.close") for s in seen)
    page.keyboard.press("Shift+Tab")
    assert _active_class(widget) != ""

    widget.input.focus()
    backend.script_cited()
    page.keyboard.press("Enter")
    widget.wait_answered()
    assert widget.panel.locator(".msg.user").last.inner_text() == "Dòng một\ndòng hai"

    page.keyboard.press("Escape")
    assert widget.panel.is_hidden()
    assert _active_class(widget).startswith("BUTTON.launcher")
    assert widget.launcher.get_attribute("aria-expanded") == "false"


def test_screen_reader_structure(widget: Widget) -> None:
    launcher = widget.page.get_by_role("button", name="Mở khung trò chuyện Trợ lý số")
    assert launcher.get_attribute("aria-haspopup") == "dialog"
    widget.open()
    dialog = widget.panel
    assert dialog.get_attribute("aria-modal") == "true"
    title_id = dialog.get_attribute("aria-labelledby")
    assert title_id and widget.page.locator(f"[data-troly-widget] #{title_id}").inner_text() == "Trợ lý số"
    log = dialog.locator("[role=log]")
    assert log.get_attribute("aria-live") == "polite"
    assert widget.page.get_by_label("Câu hỏi của bạn").count() == 1
    assert widget.page.get_by_role("button", name=re.compile("Đóng trợ lý")).count() == 1
