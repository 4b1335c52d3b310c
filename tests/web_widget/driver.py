"""A thin page object over the widget: Playwright's CSS locators pierce its open shadow root."""

from __future__ import annotations

from typing import Any

# Set by any script that an answer or a quote might smuggle in; the XSS tests check it stays unset.
PWNED_FLAG = "__trolyPwned"


class Widget:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.host = page.locator("[data-troly-widget]")
        self.launcher = page.locator("[data-troly-widget] .launcher")
        self.panel = page.locator("[data-troly-widget] [role=dialog]")
        self.input = self.panel.locator("textarea").first
        self.status = self.panel.locator("[role=status]")

    def goto(self, url: str) -> None:
        self.page.goto(url)
        self.host.wait_for(state="attached")

    def open(self) -> None:
        self.launcher.click()
        self.panel.wait_for(state="visible")

    def ask(self, question: str) -> None:
        self.input.fill(question)
        self.input.press("Enter")

    def answers(self) -> Any:
        return self.panel.locator("article.msg.bot")

    def last_answer(self) -> Any:
        return self.answers().last

    def wait_answered(self, count: int = 1) -> Any:
        """Waits until `count` answers are final (aria-busy false, actions shown) and returns the last."""
        self.panel.locator("article.msg.bot[aria-busy=false]").nth(count - 1).wait_for()
        return self.last_answer()

    def error_messages(self) -> Any:
        return self.panel.locator(".msg.error")

    def pwned(self) -> Any:
        return self.page.evaluate(f"window.{PWNED_FLAG}")
