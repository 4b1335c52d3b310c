"""The admin console in a real browser (Debian's Chromium) against the real app: the real Library (BM25),
the real answer pipeline over the scripted chat model, the real ingest worker; the widget on the demo page.

    sign in -> upload two files (one bad) -> ask in the widget, which finds the new document -> thumbs-down
    -> the inbox shows it -> review -> export -> `troly eval run --qa` on the export

Screenshots of every page go to docs/img/ when asked for (so a test run leaves the working tree as it was):
    TROLY_ADMIN_SCREENSHOTS=1 pytest tests/web_admin
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.fakes.ollama_server import FakeOllama
from tests.web_admin.driver import Console
from tests.web_widget.backends import open_demo
from tests.web_widget.driver import PWNED_FLAG, Widget
from tests.web_widget.real_backend import RealBackend, real_backend

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is a dev dependency").expect

IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
NEW_DOC = "ke-hoach-wifi.txt"
NEW_TEXT = """Kế hoạch phủ sóng wifi công cộng của phường An Khánh

Ngày đăng: 10/05/2024

Năm 2024, Ủy ban nhân dân phường An Khánh lắp đặt 40 điểm phát sóng wifi miễn phí tại các khu phố. \
Các điểm phát sóng đặt tại nhà văn hóa, trường học và chợ để người dân truy cập dịch vụ công trực tuyến.
"""
XSS_QUESTION = f"Điểm phát sóng wifi đặt ở đâu <img src=x onerror=window.{PWNED_FLAG}=4>?"
XSS_COMMENT = f"<script>window.{PWNED_FLAG}=5</script> thiếu giờ mở"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBackend]:
    with real_backend(tmp_path_factory.mktemp("troly-admin-home")) as backend:
        yield backend


@pytest.fixture(scope="module")
def admin_key(backend: RealBackend) -> str:
    _, token = backend.services.db.create_key("cán bộ CNTT phường", admin=True)
    return str(token)


def _shot(page: Any, name: str) -> None:
    if os.environ.get("TROLY_ADMIN_SCREENSHOTS"):
        IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMG / name), full_page=True)


def _wait_cards(page: Any, count: int) -> None:
    expect(page.locator("#feedback-list article.feedback")).to_have_count(count)


def _pwned(page: Any) -> Any:
    return page.evaluate(f"window.{PWNED_FLAG}")


def test_a_user_key_cannot_sign_in(page: Any, backend: RealBackend) -> None:
    console = Console(page, backend.base_url)
    console.goto()
    console.sign_in(backend.api_key)
    console.sign_in_error().filter(has_text="khóa người dùng").wait_for()
    assert console.tabs.is_hidden()
    console.sign_in("troly_khong-phai-khoa")
    console.sign_in_error().filter(has_text="không đúng").wait_for()
    assert console.tabs.is_hidden()
    _shot(page, "admin-sign-in.png")


def test_upload_ask_feedback_review_export_and_eval(
    page: Any, context: Any, backend: RealBackend, admin_key: str, tmp_path: Path, ollama_server: FakeOllama
) -> None:
    console = Console(page, backend.base_url)
    console.goto()
    console.sign_in(admin_key)
    console.document_rows().nth(3).wait_for()
    assert console.document_rows().count() == 4

    # Two files, one of a type that cannot be read: both results show, each with its own bar.
    console.upload((NEW_DOC, NEW_TEXT.encode()), ("bang-tinh.exe", b"MZ\x90\x00 binary"))
    console.upload_row(NEW_DOC).locator(".status", has_text="Đã thêm").wait_for(timeout=60_000)
    bad = console.upload_row("bang-tinh.exe")
    assert "Lỗi" in bad.inner_text() and "chưa hỗ trợ" in bad.inner_text()
    assert console.upload_row(NEW_DOC).locator("progress").evaluate("p => p.value") == 1
    console.page.locator("#doc-table tbody tr", has_text="Kế hoạch phủ sóng wifi").wait_for()
    assert console.document_rows().count() == 5
    page.locator("#doc-search").fill("phu song wifi")  # typed without diacritics
    assert console.document_rows().count() == 1
    assert NEW_DOC in console.document_rows().first.inner_text()
    page.locator("#doc-search").fill("")
    _shot(page, "admin-documents.png")

    # The widget finds the new document, and an official gives a thumbs-down with a comment.
    portal = context.new_page()
    open_demo(portal, backend)
    widget = Widget(portal)
    widget.open()
    backend.model.reply_with("Phường lắp đặt 40 điểm phát sóng wifi miễn phí tại các khu phố [1].")
    widget.ask("Phường lắp đặt bao nhiêu điểm phát sóng wifi miễn phí?")
    answer = widget.wait_answered()
    assert "40 điểm phát sóng" in answer.locator(".text").inner_text()
    answer.locator(".text button.cite").first.click()
    assert "Kế hoạch phủ sóng wifi" in answer.locator(".detail .dtitle").inner_text()
    answer.locator("button.down").click()
    answer.locator(".comment textarea").fill(XSS_COMMENT)
    answer.locator(".comment button", has_text="Gửi góp ý").click()
    widget.status.filter(has_text="Cảm ơn").wait_for()
    # Hostile text: a question with a script handler, and an answer quoting a document's markup.
    backend.model.reply_with("Các điểm phát sóng đặt tại nhà văn hóa, trường học và chợ [1].")
    widget.ask(XSS_QUESTION)
    widget.wait_answered(2)
    markup = backend.script_xss()
    widget.ask("Trang cũ từng hiển thị đoạn mã nhúng nào?")
    widget.wait_answered(3)
    # Thumbs-down after both questions: an open comment box would take the next question's text.
    for n in (1, 2):
        answered = widget.answers().nth(n)
        answered.locator("button.down").click()
        answered.locator(".comment button", has_text="Bỏ qua").click()
        answered.locator("button.down[aria-pressed=true]").wait_for()
    portal.close()

    # The inbox: thumbs-down first, the question, answer, quotes and comment as text.
    console.open("feedback")
    card = console.feedback_card("Phường lắp đặt bao nhiêu điểm phát sóng")
    card.wait_for()
    assert "40 điểm phát sóng" in card.locator(".answer").inner_text()
    assert NEW_DOC in card.locator(".citations").inner_text()
    assert "phát sóng wifi" in card.locator(".citations blockquote").first.inner_text()
    assert XSS_COMMENT in card.locator(".comment").inner_text()
    hostile = console.feedback_card("Điểm phát sóng wifi đặt ở đâu")
    assert hostile.locator(".question").inner_text() == XSS_QUESTION
    quoted = console.feedback_card("Trang cũ từng hiển thị đoạn mã nhúng nào?").locator(".citations")
    assert markup.quote_part in quoted.inner_text()  # the document's markup, shown as text
    assert page.locator("#feedback-list img, #feedback-list script, #feedback-list b").count() == 0
    page.locator("#feedback-filter select[name=document]").select_option(NEW_DOC)
    page.locator("#feedback-filter button[type=submit]").click()
    _wait_cards(page, 1)  # of the three, only the first answer cites the new document
    assert NEW_DOC in page.locator("#feedback-list article.feedback .citations").inner_text()

    # Review: the right answer and source typed by the reviewer.
    card.locator("textarea[name=answers]").fill("40 điểm\n40 điểm phát sóng")
    card.locator("select[name=source]").select_option(NEW_DOC)
    card.locator("button[type=submit]").click()
    reviewed = console.feedback_card("Phường lắp đặt bao nhiêu điểm phát sóng")
    reviewed.locator(".badge.done").wait_for()
    page.locator("#feedback-filter select[name=document]").select_option("")
    page.locator("#feedback-filter button[type=submit]").click()
    _wait_cards(page, 3)
    _shot(page, "admin-feedback.png")

    # Export, as the button downloads it, then the benchmark run on it.
    with page.expect_download() as download_info:
        page.locator("#export-form button[type=submit]").click()
    qa = tmp_path / "phan-hoi.jsonl"
    download_info.value.save_as(qa)
    assert "Đã xuất 1 câu hỏi" in page.locator("#export-result").inner_text()
    lines = [json.loads(line) for line in qa.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {
            "id": lines[0]["id"],
            "question": "Phường lắp đặt bao nhiêu điểm phát sóng wifi miễn phí?",
            "answers": ["40 điểm", "40 điểm phát sóng"],
            "all_of": [],
            "sources": [NEW_DOC],
            "answerable": True,
        }
    ]
    assert not _pwned(page)
    _run_eval(qa, backend, tmp_path, ollama_server)


def _run_eval(qa: Path, backend: RealBackend, tmp_path: Path, ollama_server: FakeOllama) -> None:
    """`troly eval run --qa` on the export, over the files the console uploaded (a home of its own, so the
    server's index is not touched); the LLM is the Ollama stand-in."""
    import troly.cli  # noqa: F401  (registers the command groups)
    from troly.cli.app import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for stored in backend.services.uploads_dir.glob("*.txt"):
        (corpus / stored.name).write_bytes(stored.read_bytes())
    env = {
        "TROLY_HOME": str(tmp_path / "eval-home"),
        "TROLY_EMBEDDING__BACKEND": "none",
        "TROLY_LLM__BACKEND": "ollama",
        "TROLY_OLLAMA__HOST": ollama_server.url,
        "COLUMNS": "200",
    }
    ollama_server.enqueue("Phường lắp đặt 40 điểm phát sóng wifi miễn phí tại các khu phố [1].")
    out = tmp_path / "ket-qua.jsonl"
    result = CliRunner().invoke(
        app, ["eval", "run", "--qa", str(qa), "--corpus", str(corpus), "--out", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["retrieved"][0]["source"] == NEW_DOC
    assert "40 điểm phát sóng" in row["answer"] and not row["refused"]
    summary = json.loads(out.with_suffix(".summary.json").read_text(encoding="utf-8"))
    assert summary["metrics"]["answer_accuracy"] == 1.0


def test_keys_audit_and_health_pages(page: Any, backend: RealBackend, admin_key: str) -> None:
    console = Console(page, backend.base_url)
    console.goto("keys")
    console.sign_in(admin_key)
    keys = console.open("keys")
    page.locator("#key-form input[name=name]").fill("ứng dụng Can Tho Smart")
    page.locator("#key-form button[type=submit]").click()
    token = page.locator("#new-key-token")
    token.wait_for()
    assert token.inner_text().startswith("troly_")
    keys.locator("#key-table tbody tr", has_text="ứng dụng Can Tho Smart").wait_for()
    assert "Đang dùng" in keys.locator("#key-table tbody tr", has_text="tiện ích trang phường").inner_text()
    _shot(page, "admin-keys.png")
    page.reload()  # the token was shown once: it is nowhere on the page now
    console.open("keys").locator("#key-table tbody tr").first.wait_for()
    assert "troly_" not in page.locator("#new-key-token").inner_text()

    console.open("audit")
    page.locator("#audit-filter select[name=action]").select_option("key_create")
    page.locator("#audit-filter button[type=submit]").click()
    others = page.locator("#audit-table tbody tr td:nth-child(3)").filter(has_not_text="key_create")
    expect(others).to_have_count(0)
    actions = page.locator("#audit-table tbody tr td:nth-child(3)").all_inner_texts()
    assert actions and set(actions) == {"key_create"}
    page.locator("#audit-filter select[name=action]").select_option("")
    page.locator("#audit-filter button[type=submit]").click()
    page.locator("#audit-table tbody tr", has_text="signin").first.wait_for()
    _shot(page, "admin-audit.png")

    health = console.open("health")
    health.locator("svg.plot").nth(2).wait_for()
    assert health.locator("svg.plot").count() == 3
    assert "Chỉ mục" in health.locator("#health-cards").inner_text()
    _shot(page, "admin-health.png")


def test_the_console_fits_a_phone_and_an_expired_session_asks_to_sign_in_again(
    browser: Any, backend: RealBackend, admin_key: str
) -> None:
    phone = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        console = Console(page, backend.base_url)
        console.goto("documents")
        console.sign_in(admin_key)
        console.document_rows().first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        _shot(page, "admin-phone.png")

        with closing(sqlite3.connect(backend.services.settings.db_path)) as conn:
            conn.execute("UPDATE admin_sessions SET expires_at = 0")
            conn.commit()
        page.locator("#tabs a[data-page=keys]").click()
        console.sign_in_form.wait_for(state="visible")
        assert "hết hạn" in console.sign_in_error().inner_text()
    finally:
        phone.close()
