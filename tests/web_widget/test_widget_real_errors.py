"""Errors the real app gives, seen in the browser: a wrong key (401) and the per-key rate limit (429)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web_widget.backends import open_demo
from tests.web_widget.driver import Widget
from tests.web_widget.real_backend import RealBackend, real_backend

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def strict_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBackend]:
    with real_backend(tmp_path_factory.mktemp("troly-home"), rate_limit_per_minute=1) as backend:
        yield backend


def test_wrong_key_gets_a_vietnamese_explanation(page: Any, strict_backend: RealBackend) -> None:
    open_demo(page, strict_backend, key="troly_khoa-sai")
    widget = Widget(page)
    widget.open()
    widget.ask("Lớp tập huấn kỹ năng số tổ chức ở đâu?")
    error = widget.error_messages().last
    error.wait_for()
    assert "Khóa truy cập của trang không hợp lệ" in error.inner_text()
    assert strict_backend.conversation_ids() == []


def test_rate_limit_says_how_long_to_wait(page: Any, strict_backend: RealBackend) -> None:
    open_demo(page, strict_backend)
    widget = Widget(page)
    widget.open()
    strict_backend.script_cited()
    widget.ask("Lớp tập huấn kỹ năng số tổ chức ở đâu?")
    widget.wait_answered()
    widget.ask("Lớp tập huấn vào thứ mấy?")  # the second request within the minute
    error = widget.error_messages().last
    error.wait_for()
    message = error.inner_text()
    assert re.fullmatch(
        r"Bạn đã hỏi quá nhiều trong thời gian ngắn\. Vui lòng thử lại sau \d+ giây\.", message
    )
    assert len(strict_backend.conversation_ids()) == 1
