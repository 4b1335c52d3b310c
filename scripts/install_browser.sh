#!/usr/bin/env bash
# Installs what the widget browser tests (tests/web_widget) need on a fresh Debian machine.
# Playwright's own browser download is not used: the tests drive the system Chromium at /usr/bin/chromium.
set -euo pipefail

if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
fi

PYTHON="${PYTHON:-python}"
if ! "$PYTHON" -c "import playwright" 2>/dev/null; then
    "$PYTHON" -m pip install "playwright>=1.45"
fi

/usr/bin/chromium --version 2>/dev/null
"$PYTHON" -c "from importlib.metadata import version; print('playwright', version('playwright'))"
