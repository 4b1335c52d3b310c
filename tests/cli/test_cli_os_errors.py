"""A folder that cannot be written is a clear message, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_unwritable_home_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text("Thủ tục đăng ký khai sinh tại UBND xã.", encoding="utf-8")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    env = {
        **os.environ,
        "TROLY_HOME": str(blocker / "home"),
        "TROLY_EMBEDDING__BACKEND": "none",
        "TROLY_RETRIEVAL__FUSION": "bm25",
    }
    result = subprocess.run(
        [sys.executable, "-c", "from troly.cli import main; main()", "ingest", str(tmp_path / "doc.txt")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Lỗi" in result.stderr
