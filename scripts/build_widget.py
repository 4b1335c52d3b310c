"""Builds web/static/widget.js, the one file a portal's <script> tag loads, from the source modules in
web/widget/ (core, styles, storage, http, panel, citations, chat, tracker, main).

The modules share one function scope, in the order below, inside the widget's IIFE: each declares what it
gives the others (functions, and the few `var`s used once everything is declared, at mount). No bundler is
needed for that, so the build is a concatenation: comment-only lines, blank lines and indentation are left
out of the served file (it must stay under 50 kB), and nothing else is changed.

    python scripts/build_widget.py           write web/static/widget.js
    python scripts/build_widget.py --check   exit 1 when it is not what the sources build (tests and CI)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "web" / "widget"
OUTPUT = ROOT / "web" / "static" / "widget.js"
ORDER = ("core", "styles", "storage", "http", "panel", "citations", "chat", "tracker", "main")
_COMMENT_LINE = re.compile(r"^\s*//")


def build() -> str:
    header = (SOURCES / "header.txt").read_text(encoding="utf-8")
    lines = [
        header.rstrip("\n"),
        "/* Built from web/widget/*.js by scripts/build_widget.py: edit those, then run it. */",
        "(function () {",
        '"use strict";',
    ]
    for name in ORDER:
        for line in (SOURCES / f"{name}.js").read_text(encoding="utf-8").splitlines():
            if line.strip() and not _COMMENT_LINE.match(line):
                lines.append(line.strip())
    lines.append("})();")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="Only check that widget.js is up to date.")
    args = parser.parse_args(argv)
    built = build()
    if args.check:
        if not OUTPUT.is_file() or OUTPUT.read_text(encoding="utf-8") != built:
            print(
                f"{OUTPUT} is not built from {SOURCES}: run python scripts/build_widget.py", file=sys.stderr
            )
            return 1
        return 0
    OUTPUT.write_text(built, encoding="utf-8")
    print(f"{OUTPUT.relative_to(ROOT)}: {len(built.encode('utf-8'))} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
