#!/usr/bin/env bash
# The README's demo: start a sandbox Shopify store, run the inventory-sync job
# (tap -> DuckDB -> dbt), print a summary from the mart, stop the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

mkdir -p output
ready="$(mktemp)"
store="demo-store"
.venv/bin/inventory-sandbox serve --platform shopify --host 127.0.0.1 --port 0 --stores "$store" \
  --locations 4 --items "${DEMO_ITEMS:-2000}" --seed 7 --ready-file "$ready" >output/sandbox.log 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; rm -f "$ready"' EXIT
for _ in $(seq 1 100); do [ -s "$ready" ] && break; sleep 0.1; done
[ -s "$ready" ] || { echo "demo: the sandbox store did not start; see output/sandbox.log" >&2; exit 1; }
url="$(cat "$ready")"
echo "demo: sandbox Shopify store '$store' at $url"

export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
export WAREHOUSE_PATH="$PWD/output/demo.duckdb"
export TAP_SHOPIFY_INVENTORY_STORE="$store"
export TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN="shpat_sandbox_$store"
export TAP_SHOPIFY_INVENTORY_API_URL="$url/stores/$store"
rm -f "$WAREHOUSE_PATH"

echo "demo: meltano run inventory-sync (tap-shopify-inventory -> target-duckdb -> dbt build)"
started=$(date +%s)
.venv/bin/meltano --log-level=warning run --full-refresh inventory-sync >output/demo-run.log 2>&1 \
  || { tail -40 output/demo-run.log; echo "demo: the job failed; full log in output/demo-run.log" >&2; exit 1; }
echo "demo: job finished in $(( $(date +%s) - started ))s (log: output/demo-run.log)"
.venv/bin/python scripts/demo_summary.py --warehouse "$WAREHOUSE_PATH" --source "shopify=$store@$url"
