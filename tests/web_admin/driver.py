"""A thin page object over the admin console (web/static/admin)."""

from __future__ import annotations

from typing import Any


class Console:
    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.sign_in_form = page.locator("#sign-in")
        self.tabs = page.locator("#tabs")

    def goto(self, hash_: str = "documents") -> None:
        self.page.goto(f"{self.base_url}/admin#{hash_}")

    def sign_in(self, key: str) -> None:
        """Types the key and submits with the keyboard (Enter)."""
        self.sign_in_form.wait_for(state="visible")  # shown once the page has asked for its session
        field = self.page.locator("#sign-in-key")
        field.fill(key)
        field.press("Enter")

    def sign_in_error(self) -> Any:
        return self.page.locator("#sign-in-error")

    def open(self, name: str) -> Any:
        self.page.locator(f"#tabs a[data-page={name}]").click()
        section = self.page.locator(f"#page-{name}")
        section.wait_for(state="visible")
        return section

    def upload(self, *files: tuple[str, bytes]) -> None:
        self.page.set_input_files(
            "#upload-files", files=[{"name": n, "mimeType": "text/plain", "buffer": b} for n, b in files]
        )
        self.page.locator("#upload-form button[type=submit]").click()

    def upload_row(self, name: str) -> Any:
        return self.page.locator("#upload-list li.upload").filter(has_text=name)

    def document_rows(self) -> Any:
        return self.page.locator("#doc-table tbody tr")

    def feedback_card(self, question: str) -> Any:
        return self.page.locator("#feedback-list article.feedback").filter(has_text=question)
