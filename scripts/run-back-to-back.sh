#!/usr/bin/env bash
# Run `meltano run JOB...` again and again for most of a minute, for a one-minute cron line:
#
#   * * * * *  cd /srv/inventory && flock -w 50 output/sync.lock scripts/run-back-to-back.sh inventory-sync >>output/sync.log 2>&1
#
# A plain one-run-per-minute line leaves a change waiting 0-60 s for the next tick before its run even starts
# (p95 about 57 s plus one run). Here a new run starts as soon as the last one ends, while fewer than
# --for seconds (default 45) have passed; the run that starts last ends near the next tick, whose `flock -w`
# waits for it. A change then waits at most about one run, not a minute (docs/benchmarks.md, Freshness).
# A failing run stops the loop with its exit status; the next tick starts again.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=45
if [ "${1:-}" = "--for" ]; then
    seconds=${2:?"--for needs a number of seconds"}
    shift 2
fi
[ $# -gt 0 ] || { echo "usage: $0 [--for SECONDS] JOB_OR_BLOCK..." >&2; exit 2; }
[[ $seconds =~ ^[0-9]+$ ]] || { echo "$0: --for takes whole seconds, not '$seconds'" >&2; exit 2; }

meltano=${MELTANO:-.venv/bin/meltano}
# Microseconds since the epoch (bash's EPOCHREALTIME without its decimal point, whatever the locale): a clock
# that measures the window to the microsecond, where $SECONDS would round it to a whole second either way.
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
began=$(now_us)
while [ $(( $(now_us) - began )) -lt $(( seconds * 1000000 )) ]; do
    start=$(date +%s.%N)
    "$meltano" run "$@"
    status=$?
    echo "run-back-to-back: run started $start ended $(date +%s.%N) exit $status" >&2
    [ $status -eq 0 ] || exit $status
done
