"""The admin console's browser tests use the widget tests' Chromium fixtures."""

from tests.web_widget.conftest import browser, context, page  # noqa: F401
