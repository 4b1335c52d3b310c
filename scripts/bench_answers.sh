#!/usr/bin/env bash
# Answer quality on the shared dev sets, each on a fresh TROLY_HOME (what issue 11's figures use):
#   bash scripts/bench_answers.sh OUT_DIR [SET ...]
# SETs: seeds-tasks seeds alqac alqac-na virhe virhe-na (default: all). ALQAC and ViRHE4QA take their first
# 60 questions. MODELS=<a models/ folder holding the assembled GGUF> is linked into each home instead of
# assembling the model again. Compare two runs with `troly eval compare A.summary.json B.summary.json`.
set -euo pipefail
out=${1:?usage: bench_answers.sh OUT_DIR [SET ...]}; shift || true
sets=${*:-seeds-tasks seeds alqac alqac-na virhe virhe-na}
shared=${SHARED:-$(cd "$(dirname "$0")/.." && pwd)/../shared}
troly=${TROLY:-troly}
mkdir -p "$out"
run() { # name qa corpus [limit]
  local name=$1 qa=$2 corpus=$3 limit=${4:-}
  local home="$out/home-$name"
  rm -rf "$home"; mkdir -p "$home"
  if [ -n "${MODELS:-}" ]; then ln -sfn "$MODELS" "$home/models"; fi
  echo "== $name" >&2
  TROLY_HOME="$home" $troly eval run --qa "$shared/qa/$qa.jsonl" --corpus "$shared/corpus/$corpus" \
    --out "$out/$name.jsonl" ${limit:+--limit $limit} --report "$out/report-$name" --fresh
}
for s in $sets; do
  case $s in
    seeds-tasks) run seeds-tasks seeds-tasks-dev seeds ;;
    seeds) run seeds seeds-dev seeds ;;
    alqac) run alqac alqac-dev alqac 60 ;;
    alqac-na) run alqac-na alqac-dev-noaccent alqac 60 ;;
    virhe) run virhe virhe4qa-dev virhe4qa 60 ;;
    virhe-na) run virhe-na virhe4qa-dev-noaccent virhe4qa 60 ;;
    *) echo "unknown set: $s" >&2; exit 2 ;;
  esac
done
