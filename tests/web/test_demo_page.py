"""The demo page served at / carries the demo key when one is configured (the demo script sets it)."""

from __future__ import annotations

from pathlib import Path

import httpx

from troly.settings import Settings
from web.app import create_app
from web.server import serve_in_background


def test_demo_page_carries_the_configured_key(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    settings.server.demo_key = "troly_demo<&>"
    with serve_in_background(create_app(settings)) as url:
        page = httpx.get(f"{url}/").text
    assert 'data-api-key="troly_demo&lt;&amp;&gt;"' in page
    assert "troly-demo-key" not in page


def test_demo_page_keeps_the_placeholder_without_a_key(tmp_path: Path) -> None:
    with serve_in_background(create_app(Settings(home=tmp_path))) as url:
        page = httpx.get(f"{url}/").text
    assert 'data-api-key="troly-demo-key"' in page
