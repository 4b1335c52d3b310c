"""What a browser test needs from a server: its URL, its key, scripted scenarios and the feedback it got."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from tests.web_widget.driver import PWNED_FLAG

DEMO_KEY = "troly-demo-key"  # the placeholder in web/static/index.html

# Markup that must stay inert text wherever it appears: in an answer or in a quoted document.
XSS_IMG = f"<img src=x onerror=window.{PWNED_FLAG}=1>"
XSS_SCRIPT = f"<script>window.{PWNED_FLAG}=2</script>"
# The real pipeline never takes a sentence with script markup or an on*= handler as evidence
# (assistant/injection.py), so the real backend's document carries markup that is only dangerous if parsed
# as HTML: rendered through innerHTML it would become an element the test finds.
MARKUP_IMG = '<img src=x alt="troly-markup">'
MARKUP_TAG = "<b>in đậm</b>"


@dataclass(frozen=True)
class Expected:
    """What the widget should show for a scripted answer."""

    answer_part: str
    citation_title: str = ""
    citation_date: str = ""  # as the widget shows it: DD/MM/YYYY
    quote_part: str = ""


class Backend(Protocol):
    @property
    def base_url(self) -> str: ...

    @property
    def api_key(self) -> str: ...

    @property
    def kind(self) -> str:
        """ "real" (web.app over the real pipeline) or "standin"."""
        ...

    def script_cited(self) -> Expected: ...

    def script_refusal(self) -> Expected: ...

    def script_xss(self) -> Expected: ...

    def script_list(self) -> Expected:
        """A list answer (a lead line, then items); `answer_part` is the first item's text."""
        ...

    def feedback(self) -> list[dict[str, Any]]: ...

    def conversation_ids(self) -> list[str | None]:
        """The conversation each answer the server gave belongs to, in order."""
        ...


def open_demo(page: Any, backend: Backend, key: str | None = None) -> None:
    """Loads the demo page; the placeholder key in its one script tag is swapped for `key` (default: the
    server's key)."""
    key = backend.api_key if key is None else key
    if key != DEMO_KEY:

        def swap_key(route: Any) -> None:
            response = route.fetch()
            html = response.text().replace(f'data-api-key="{DEMO_KEY}"', f'data-api-key="{key}"')
            route.fulfill(response=response, body=html)

        page.route(backend.base_url + "/", swap_key)
    page.goto(backend.base_url + "/")
    page.locator("[data-troly-widget]").wait_for(state="attached")
