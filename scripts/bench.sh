#!/usr/bin/env bash
# The benchmark suite in one command (docs/benchmarks.md): starts sandbox stores at the chosen size, runs
# the taps, the floor, the loader and the Meltano job, writes benchmarks/results/<machine>-<size>.json,
# the PNG plots and docs/benchmarks.md.
#   scripts/bench.sh                 # --size small: every section in a few minutes
#   scripts/bench.sh --size full     # the published figures (1M levels per tap; about 30 minutes on 2 cores)
#   scripts/bench.sh --size full --sections scale --platforms shopify
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/meltano ] || scripts/setup.sh
exec .venv/bin/python benchmarks/bench.py "$@"
