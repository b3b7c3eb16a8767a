#!/usr/bin/env bash
# The README's test command: set up, then run every suite. Under CI=true nothing may be skipped
# for want of a server: the suites start the sandbox stores themselves and fail if they cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

status=0
# 1. The kit the taps share, then each tap, alone: built as a wheel, installed in a clean virtualenv (a tap
#    beside the kit's wheel, built once here), its own tests run there.
kit_dist="$(mktemp -d)"
trap 'rm -rf "$kit_dist"' EXIT
for package in kit taps/tap-*/; do
  KIT_DIST="$kit_dist" scripts/check-tap-alone.sh "${package%/}" || status=1
done
# 2. The sandbox stores' own tests.
.venv/bin/python -m pytest sandbox/tests -q -rs -p no:cacheprovider || status=1
# 2b. The webhook receiver and its tap (real servers on loopback).
.venv/bin/python -m pytest webhooks/tests -q -rs -p no:cacheprovider || status=1
# 2c. The push to the channels (the sandbox stores on loopback, DuckDB and PostgreSQL).
.venv/bin/python -m pytest utilities/inventory-push/tests -q -rs -p no:cacheprovider || status=1
# 2d. The demand forecast and reorder suggestions (statsforecast; DuckDB and PostgreSQL).
.venv/bin/python -m pytest utilities/inventory-forecast/tests -q -rs -p no:cacheprovider || status=1
# 2e. The scheduled pass (inventory-sync) with a stand-in meltano: blocks, lock, alerts, the push step.
.venv/bin/python -m pytest runner/tests -q -rs -p no:cacheprovider || status=1
# 3. Cross-package contract, loader, end-to-end and warehouse tests (Meltano, DuckDB, PostgreSQL, Snowflake emulator).
.venv/bin/python -m pytest tests -q -rs --durations=25 -p no:cacheprovider || status=1
exit "$status"
