#!/usr/bin/env bash
# The demo: prepare the embedded models, ingest the sample corpus, answer a search, then serve the widget and
# the API. Called by `make demo`; data lives in $TROLY_HOME (default: ./.troly).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export PATH="$VENV/bin:$PATH"
export TROLY_HOME="${TROLY_HOME:-$PWD/.troly}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"

echo "== TROLY_HOME=$TROLY_HOME"
troly models --prepare
troly ingest samples/corpus
troly search "can tho xep hang bao nhieu ve chuyen doi so" -k 3
troly ask "Thỏa thuận giữa VNPT và Quảng Trị được ký ở đâu?"

# A key for the demo page's widget; the page served at / carries it.
DEMO_KEY="$(troly keys create --name "demo-$(date +%s)" | tail -n 1)"
export TROLY_SERVER__DEMO_KEY="$DEMO_KEY"
# An admin key to sign in to the console at /admin (printed here once, as `troly keys create` does).
ADMIN_KEY="$(troly keys create --name "demo-admin-$(date +%s)" --admin | tail -n 1)"
echo "== Widget demo: http://$HOST:$PORT/   API docs: http://$HOST:$PORT/docs"
echo "== API key for this demo: $DEMO_KEY"
echo "== Admin console: http://$HOST:$PORT/admin   admin key: $ADMIN_KEY"
exec troly serve --host "$HOST" --port "$PORT"
