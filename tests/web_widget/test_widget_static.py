"""Checks on the widget's source that need no browser: size budget and no HTML sinks."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
WIDGET = STATIC / "widget.js"


def test_widget_fits_size_budget() -> None:
    assert WIDGET.stat().st_size <= 50 * 1024


def test_widget_never_parses_html() -> None:
    source = WIDGET.read_text(encoding="utf-8")
    sinks = [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "srcdoc",
    ]
    assert [sink for sink in sinks if sink in source] == []
    # No string-built event handlers either: listeners are attached with addEventListener only.
    assert re.search(r"setAttribute\(\s*[\"']on", source) is None


def test_demo_page_has_the_one_tag() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    tags = re.findall(r"<script[^>]*>", html)
    assert tags == ['<script src="/widget.js" data-api-key="troly-demo-key" data-title="Trợ lý số">']


def test_widget_is_built_from_its_source_modules() -> None:
    """web/static/widget.js is what scripts/build_widget.py makes of web/widget/*.js (edit those)."""
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "scripts" / "build_widget.py"
    spec = importlib.util.spec_from_file_location("build_widget", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0
    names = {p.stem for p in module.SOURCES.glob("*.js")}
    assert names == set(module.ORDER)  # no module left out of the build
