#!/usr/bin/env bash
# The reliability suite in one command: fault matrix, bad configuration, secrets, bad data and overlapping
# runs (tests/reliability), then docs/reliability.md from their results (output/reliability/*.json).
# The property-based tests live with each tap (scripts/check-tap-alone.sh runs them).
set -euo pipefail
cd "$(dirname "$0")/.."
export RELIABILITY_RESULTS="${RELIABILITY_RESULTS:-$PWD/output/reliability}"
rm -rf "$RELIABILITY_RESULTS"
status=0
.venv/bin/python -m pytest tests/reliability -q -rs -p no:cacheprovider "$@" || status=$?
.venv/bin/python tests/reliability/report.py "$RELIABILITY_RESULTS" docs/reliability.md
exit "$status"
