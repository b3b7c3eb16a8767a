#!/usr/bin/env bash
# The README's test command: set up, then run every suite. Under CI=true nothing may be skipped
# for want of a server: the suites start the sandbox stores themselves and fail if they cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

status=0
# 1. Each tap alone: built as a wheel, installed in a clean virtualenv, its own tests run there.
for tap in taps/tap-*/; do
  scripts/check-tap-alone.sh "${tap%/}" || status=1
done
# 2. The sandbox stores' own tests.
.venv/bin/python -m pytest sandbox/tests -q -rs -p no:cacheprovider || status=1
# 2b. The webhook receiver and its tap (real servers on loopback).
.venv/bin/python -m pytest webhooks/tests -q -rs -p no:cacheprovider || status=1
# 2c. The push to the channels (the sandbox stores on loopback, DuckDB and PostgreSQL).
.venv/bin/python -m pytest utilities/inventory-push/tests -q -rs -p no:cacheprovider || status=1
# 2d. The scheduled pass (inventory-sync) with a stand-in meltano: blocks, lock, alerts, the push step.
.venv/bin/python -m pytest runner/tests -q -rs -p no:cacheprovider || status=1
# 3. Cross-package contract, loader, end-to-end and warehouse tests (Meltano, DuckDB, PostgreSQL, Snowflake emulator).
.venv/bin/python -m pytest tests -q -rs -p no:cacheprovider || status=1
exit "$status"
