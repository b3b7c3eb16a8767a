#!/usr/bin/env bash
# The README's demo: start sandbox Shopify, BigCommerce and Magento stores sharing one catalog (stocked like a shop,
# over six locations each, with seeded discrepancies and oversell risks; Magento is the system of record), run the
# inventory-sync job (each tap -> DuckDB, then dbt), let shoppers buy for a simulated week (every channel kept equal,
# as a sync would), run the job again, print a summary from the mart (stock, accuracy KPI, top risks, projected
# stock-outs), write the health report, stop the sandboxes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

mkdir -p output
items="${DEMO_ITEMS:-2000}"
sales_days="${DEMO_SALES_DAYS:-7}"
pids=()
ready_files=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "${ready_files[@]}"
}
trap cleanup EXIT

# start_sandbox PLATFORM STORE: starts one sandbox server and prints its base URL.
start_sandbox() {
  local platform="$1" store="$2" ready
  ready="$(mktemp)"
  ready_files+=("$ready")
  .venv/bin/inventory-sandbox serve --platform "$platform" --host 127.0.0.1 --port 0 --stores "$store" \
    --locations 6 --items "$items" --seed 7 --catalog shared --ready-file "$ready" \
    >"output/sandbox-$platform.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do [ -s "$ready" ] && break; sleep 0.1; done
  [ -s "$ready" ] || { echo "demo: the $platform sandbox did not start; see output/sandbox-$platform.log" >&2; exit 1; }
  SANDBOX_URL="$(cat "$ready")"
}

start_sandbox shopify demo-store;   shopify_url="$SANDBOX_URL"
start_sandbox bigcommerce demostore; bigcommerce_url="$SANDBOX_URL"
start_sandbox magento demo-store;   magento_url="$SANDBOX_URL"
echo "demo: sandbox stores: Shopify $shopify_url, BigCommerce $bigcommerce_url, Magento $magento_url"

# Where the job's alerts go: a local SMTP server and webhook endpoint (scripts/demo_receivers.py), kept in
# output/alerts/. Real deployments set these settings to their mail server and Slack webhook (docs/monitoring.md).
rm -rf output/alerts
receivers_ready="$(mktemp)"; ready_files+=("$receivers_ready")
.venv/bin/python scripts/demo_receivers.py --out output/alerts --ready-file "$receivers_ready" \
  >output/alert-receivers.log 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do [ -s "$receivers_ready" ] && break; sleep 0.1; done
[ -s "$receivers_ready" ] || { echo "demo: the alert receivers did not start; see output/alert-receivers.log" >&2; exit 1; }
read -r smtp_port webhook_url <"$receivers_ready"
export INVENTORY_ALERTS_SMTP_HOST=127.0.0.1 INVENTORY_ALERTS_SMTP_PORT="$smtp_port" INVENTORY_ALERTS_SMTP_TLS=none
export INVENTORY_ALERTS_EMAIL_TO=ops@demo.example INVENTORY_ALERTS_WEBHOOK_URL="$webhook_url"
export INVENTORY_ALERTS_REPORT_PATH="$PWD/output/health-report.html"

export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
export WAREHOUSE_PATH="$PWD/output/demo.duckdb"
export TAP_SHOPIFY_INVENTORY_STORE=demo-store
export TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN=shpat_sandbox_demo-store
export TAP_SHOPIFY_INVENTORY_API_URL="$shopify_url/stores/demo-store"
export TAP_BIGCOMMERCE_INVENTORY_STORE_HASH=demostore
export TAP_BIGCOMMERCE_INVENTORY_ACCESS_TOKEN=bc_sandbox_demostore
export TAP_BIGCOMMERCE_INVENTORY_API_URL="$bigcommerce_url/stores/demostore"
export TAP_MAGENTO_INVENTORY_BASE_URL="$magento_url/stores/demo-store"
export TAP_MAGENTO_INVENTORY_STORE_ID=demo-store
export TAP_MAGENTO_INVENTORY_ACCESS_TOKEN=mg_sandbox_demo-store
rm -f "$WAREHOUSE_PATH"

# The demo has its own Meltano environment (its state ids and its system of record never meet a real store's)
# and starts from scratch every time (--full-refresh): the sandbox stores are new on every run.
export MELTANO_ENVIRONMENT=demo
# The sales velocity behind the stock-out forecast is measured over the simulated week.
export INVENTORY_VELOCITY_WINDOW_DAYS="$sales_days"
rm -f output/demo-run.log

# sync [ARGS]: one pass of the job. The taps' progress and per-stream summary lines, the alerts' lines and the
# pass's last line, as they come; everything in output/demo-run.log.
sync() {
  local started job_status
  started=$(date +%s)
  set +e
  .venv/bin/inventory-sync "$@" --lock output/demo.lock 2>&1 | tee -a output/demo-run.log \
    | grep --line-buffered -E "(Progress of|Synced) [a-z_]+: |inventory-alerts +alerts: |inventory-sync: " \
    | sed -u -E 's/^[^ ]+ +\[[a-z ]+\] +/  /'
  job_status=${PIPESTATUS[0]}
  set -e
  [ "$job_status" = 0 ] \
    || { tail -40 output/demo-run.log; echo "demo: the job failed; full log in output/demo-run.log" >&2; exit 1; }
  echo "demo: job finished in $(( $(date +%s) - started ))s (log: output/demo-run.log)"
}

echo "demo: inventory-sync (three taps -> target-duckdb, dbt build, source freshness, alerts)"
sync --full-refresh

# A week of shoppers on every channel (seeded demand; each order taken from every channel at once, as a sync keeps
# them equal; the seeded cases are left as they are), then the job again: the snapshot sees the movement, and the
# forecast a rate of sale.
echo "demo: $sales_days simulated days of sales on every channel"
.venv/bin/inventory-sandbox sales --shopify "$shopify_url" --bigcommerce "$bigcommerce_url" --magento "$magento_url" \
  --seed 7 --days "$sales_days" --rate 0.5 --demand mix --mirror --skip-cases --output output/demo-sales.json
echo "demo: inventory-sync again"
sync
.venv/bin/python scripts/demo_summary.py --warehouse "$WAREHOUSE_PATH" \
  --source "shopify=demo-store@$shopify_url" \
  --source "bigcommerce=demostore@$bigcommerce_url" \
  --source "magento=demo-store@$magento_url"
.venv/bin/python scripts/demo_receivers.py --out output/alerts --show
.venv/bin/meltano --log-level=warning invoke inventory-alerts:report >>output/demo-run.log 2>&1 \
  || { echo "demo: the health report failed; see output/demo-run.log" >&2; exit 1; }
echo "demo: health report written to output/health-report.html (open it in a browser)"
