"""The widget's "Cam kết" view in a real browser (system Chromium) against the real app over a real Library
(BM25 only) holding two agreements written for these tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.ingest.commitment_texts import write_agreements
from tests.web_widget.backends import open_demo
from tests.web_widget.driver import Widget
from tests.web_widget.server import serve

pytestmark = pytest.mark.slow


@dataclass
class TrackerBackend:
    base_url: str
    api_key: str
    kind: str = "real"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackerBackend]:
    from index.library import Library
    from tests.web.fakes import FakeLibrary, FakePipeline
    from troly.settings import EmbeddingSettings, Settings
    from web.app import create_app
    from web.db import Database
    from web.services import Services

    home = tmp_path_factory.mktemp("troly-tracker")
    corpus = write_agreements(home / "corpus")
    settings = Settings(home=home, embedding=EmbeddingSettings(backend="none"))
    library = Library.open(settings)
    assert not library.ingest([corpus]).failed
    db = Database(settings.db_path)
    _, key = db.create_key("tiện ích trang phường")
    services = Services.create(settings, db=db, library=library, pipeline=FakePipeline(FakeLibrary()))
    try:
        with serve(create_app(settings, services)) as url:
            yield TrackerBackend(url, key)
    finally:
        services.close()


def _open_tracker(page: Any, backend: TrackerBackend, key: str | None = None) -> Widget:
    open_demo(page, backend, key)  # type: ignore[arg-type]
    widget = Widget(page)
    widget.open()
    widget.panel.get_by_role("tab", name="Cam kết").click()
    return widget


def test_agreements_by_pillar_with_filters_and_quotes(page: Any, backend: TrackerBackend) -> None:
    widget = _open_tracker(page, backend)
    view = widget.panel.locator("[role=tabpanel]")
    view.locator("article.agreement").nth(1).wait_for()
    assert widget.panel.locator(".log").is_hidden() and widget.panel.locator("form").is_hidden()
    titles = view.locator("article.agreement h3").all_inner_texts()
    assert sorted(titles) == ["Bắc Kạn – VNPT", "Lạng Sơn – VNPT"]  # the news article is no agreement
    lang_son = view.locator("article.agreement", has_text="Lạng Sơn")
    assert lang_son.locator("h4").first.inner_text().lower() == "hạ tầng số"
    commitment = lang_son.locator("button.commitment", has_text="phủ sóng 5G")
    assert commitment.locator(".party").inner_text() == "VNPT"
    assert commitment.get_attribute("aria-expanded") == "false"
    commitment.click()
    quote = lang_son.locator(".detail blockquote", has_text="phủ sóng 5G")
    quote.wait_for()
    assert commitment.get_attribute("aria-expanded") == "true"
    assert "200 xã vùng cao" in quote.inner_text()
    assert "lang-son.txt" in lang_son.locator(".detail:visible .meta").inner_text()

    view.locator("select.pillar").select_option("kinh tế số")
    assert view.locator("h4").all_inner_texts() == ["KINH TẾ SỐ"]
    assert view.locator("article.agreement h3").all_inner_texts() == ["Bắc Kạn – VNPT"]
    view.locator("select.pillar").select_option("")
    view.locator("select.province").select_option(label="Lạng Sơn")
    assert view.locator("article.agreement h3").all_inner_texts() == ["Lạng Sơn – VNPT"]

    # The chosen view survives a reload, as the conversation does.
    page.reload()
    Widget(page).panel.locator("article.agreement").first.wait_for()


def test_keyboard_moves_between_tabs_and_opens_a_quote(page: Any, backend: TrackerBackend) -> None:
    open_demo(page, backend)  # type: ignore[arg-type]
    widget = Widget(page)
    widget.open()
    chat_tab = widget.panel.get_by_role("tab", name="Trò chuyện")
    chat_tab.focus()
    page.keyboard.press("ArrowRight")
    tracker_tab = widget.panel.get_by_role("tab", name="Cam kết")
    assert tracker_tab.get_attribute("aria-selected") == "true"
    assert tracker_tab.evaluate("node => node.getRootNode().activeElement === node")
    first = widget.panel.locator("button.commitment").first
    first.wait_for()
    first.focus()
    page.keyboard.press("Enter")
    assert first.get_attribute("aria-expanded") == "true"
    tracker_tab.focus()
    page.keyboard.press("Home")
    assert chat_tab.get_attribute("aria-selected") == "true"
    assert widget.panel.locator("textarea").is_visible()
    page.keyboard.press("Escape")
    widget.panel.wait_for(state="hidden")


def test_phone_layout_fills_the_screen_without_sideways_scroll(context: Any, backend: TrackerBackend) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 740})
    widget = _open_tracker(page, backend)
    view = widget.panel.locator("[role=tabpanel]")
    view.locator("article.agreement").first.wait_for()
    box = widget.panel.bounding_box()
    assert box is not None and box["width"] == 375 and box["height"] == 740
    select = view.locator("select.province").bounding_box()
    assert select is not None and select["width"] > 300  # one filter per line on a phone
    assert view.evaluate("node => node.scrollWidth <= node.clientWidth")


def test_a_bad_key_is_explained_with_a_retry(page: Any, backend: TrackerBackend) -> None:
    widget = _open_tracker(page, backend, key="troly_sai-khoa")
    alert = widget.panel.locator("[role=tabpanel] [role=alert]")
    alert.wait_for()
    assert "Khóa truy cập" in alert.inner_text()
    assert widget.panel.locator("[role=tabpanel] button.retry").is_visible()
