"""Small real components: file names, SSE framing, key storage, rate limiter, the keys CLI."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from web.db import Database, hash_token
from web.errors import ApiError
from web.ratelimit import RateLimiter
from web.sse import sse_frame
from web.uploads import MAX_NAME_BYTES, install, safe_filename

from .conftest import LiveServer


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        (".env", "env"),
        ("...", None),
        ("Báo cáo  chuyển đổi số\tquý 3.docx", "Báo cáo chuyển đổi số quý 3.docx"),
        ("Nghị định số 42/2022.pdf", "2022.pdf"),
        ('a<b>:"c|?*.txt', "abc.txt"),
        ("", None),
    ],
)
def test_safe_filename(raw: str, safe: str | None) -> None:
    if safe is None:
        with pytest.raises(ApiError) as info:
            safe_filename(raw)
        assert info.value.code == "invalid_filename"
    else:
        assert safe_filename(raw) == safe


def test_safe_filename_keeps_vietnamese_nfc_and_caps_length() -> None:
    decomposed = "Quye\u0302\u0301t đi\u0323nh.txt"
    assert safe_filename(decomposed) == "Quyết định.txt"
    long_name = safe_filename("Thông báo " * 40 + ".pdf")
    assert len(long_name.encode()) <= MAX_NAME_BYTES and long_name.endswith(".pdf")


@pytest.mark.parametrize("letters", [80, 100, 300])
def test_names_are_limited_in_bytes_so_backup_names_fit_the_disk(tmp_path: Path, letters: int) -> None:
    """'ệ' is 3 bytes: 80 of them (240 bytes) were accepted by a 150-character limit, and the backup made on
    re-upload passed the disk's 255 bytes (a 500)."""
    name = safe_filename("ệ" * letters + ".txt")
    assert name.endswith(".txt") and name.startswith("ệ") and len(name.encode()) <= MAX_NAME_BYTES
    assert unicodedata.normalize("NFC", name) == name and "\ufffd" not in name  # never half a letter
    (tmp_path / name).write_text("bản cũ", encoding="utf-8")
    staged = tmp_path / "staged"
    staged.write_text("bản mới", encoding="utf-8")
    installed = install(staged, tmp_path, name)  # creates the longest hidden name: the backup
    assert installed.backup is not None and len(installed.backup.name.encode()) <= 255
    installed.rollback()
    assert (tmp_path / name).read_text(encoding="utf-8") == "bản cũ" and staged.is_file()


def test_sse_frame() -> None:
    assert sse_frame({"text": "Xin chào"}, "token") == 'event: token\ndata: {"text":"Xin chào"}\n\n'.encode()
    assert sse_frame("[DONE]") == b"data: [DONE]\n\n"
    frame = sse_frame({"text": "dòng 1\ndòng 2"}).decode()
    assert json.loads(frame.removeprefix("data: ")) == {"text": "dòng 1\ndòng 2"}


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    db = Database(tmp_path / "troly.sqlite3")
    key, token = db.create_key("xã Phú Mậu", admin=True)
    assert re.fullmatch(r"troly_[A-Za-z0-9_-]{43}", token)
    assert db.find_key(token) == key
    db.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert token.encode() not in raw
    assert hash_token(token).encode() in raw


def test_rate_limiter_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.check("a") is None and limiter.check("a") is None
    assert limiter.check("a") == 60
    assert limiter.check("b") is None
    now[0] = 45.0
    assert limiter.check("a") == 15
    now[0] = 60.0
    assert limiter.check("a") is None


def test_rate_limiter_forgets_idle_addresses() -> None:
    """Failed logins from ever new addresses must not grow the table without end."""
    now = [0.0]
    limiter = RateLimiter(5, clock=lambda: now[0])
    for i in range(1500):
        limiter.check(f"ip:10.0.{i // 256}.{i % 256}")
    now[0] = 61.0
    for _ in range(1000):
        limiter.check("ip:192.0.2.1")
    assert len(limiter) <= 2  # the sweep ran and dropped every address idle for a minute
    assert limiter.check("ip:192.0.2.1") is not None  # the active one is still limited


def test_keys_cli_create_list_revoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import troly.cli  # noqa: F401  (registers the command groups)
    from troly.cli.app import app

    monkeypatch.setenv("TROLY_HOME", str(tmp_path))
    runner = CliRunner()
    created = runner.invoke(app, ["keys", "create", "--name", "ứng dụng di động", "--admin"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("troly_")
    listed = runner.invoke(app, ["keys", "list"])
    assert "ứng dụng di động" in listed.output and token not in listed.output
    db = Database(tmp_path / "troly.sqlite3")
    key = db.find_key(token)
    assert key is not None and key.admin
    revoked = runner.invoke(app, ["keys", "revoke", str(key.id)])
    assert revoked.exit_code == 0
    assert db.find_key(token) is None
    db.close()
    again = runner.invoke(app, ["keys", "revoke", str(key.id)])
    assert again.exit_code != 0


def test_audit_cli_reads_what_the_api_recorded(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import troly.cli  # noqa: F401  (registers the command groups)
    from troly.cli.app import app

    asked = httpx.post(
        f"{server.url}/v1/ask", json={"question": "Lịch tiếp công dân xã?"}, headers=server.auth(), timeout=30
    )
    assert asked.status_code == 200, asked.text
    monkeypatch.setenv("TROLY_HOME", str(server.services.settings.home))
    runner = CliRunner()
    result = runner.invoke(app, ["audit", "--json", "--action", "ask"])
    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in result.output.splitlines()]
    assert entries[0]["action"] == "ask" and entries[0]["detail"] == "Lịch tiếp công dân xã?"
    assert entries[0]["key_id"] is not None
    table = runner.invoke(app, ["audit", "-n", "1"])
    assert "Lịch tiếp công dân xã?" in table.output and "troly_" not in table.output
    assert runner.invoke(app, ["audit", "--action", "xoa"]).exit_code != 0


def test_chunked_body_over_the_limit_is_413(server: LiveServer) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(3):
            yield b"x" * (512 * 1024)

    response = httpx.post(
        f"{server.url}/v1/ask",
        content=body(),
        headers={**server.auth(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


STATIC = Path(__file__).resolve().parents[2] / "web" / "static"


@pytest.mark.skipif(not (STATIC / "widget.js").is_file(), reason="widget.js not written yet")
def test_widget_and_demo_page_need_no_key(server: LiveServer) -> None:
    widget = httpx.get(f"{server.url}/widget.js")
    assert widget.status_code == 200
    assert "javascript" in widget.headers["content-type"]
    assert httpx.get(f"{server.url}/static/widget.js").content == widget.content
    if (STATIC / "index.html").is_file():
        page = httpx.get(f"{server.url}/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
