"""Browser fixtures: the system Chromium driven by Playwright (no browser download is possible here).

Registered once, by tests/conftest.py, for the widget's and the admin console's tests alike: one Playwright
per test session (a second one started while the first runs fails: its event loop is already running)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is a dev dependency: pip install playwright"
    )
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: run scripts/install_browser.sh")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture()
def page(context: Any) -> Any:
    return context.new_page()
