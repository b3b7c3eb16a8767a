"""Change -> mart latency with webhooks on (p50 / p95), on the sandbox stores and the DuckDB warehouse.

    .venv/bin/python webhooks/bench/latency.py [--changes 10] [--items 200] [--max-gap 5]

What runs: a Shopify and a BigCommerce sandbox store emitting signed webhooks to `inventory-webhooks serve`;
one polling sync first; then the job `inventory-webhooks-sync` in a loop, back to back, as a deployment would
run it (every few seconds). Meanwhile, at random moments (uniform gap 0..max-gap s), one Shopify level and one
BigCommerce variant get a new stock value. After each job run the mart is read; a change's latency is the time
from the change to the end of the first run whose mart shows it. Also reported: change -> receiver commit
(the webhook leg alone) and the job's own duration. Prints one JSON object; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import inventory_sandbox

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET, TOKEN = "shpss_bench", "bc_hook_bench"
SHOP, BC = "demo-store", "demostore"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))], 2)


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": pct(values, 0.5), "p95": pct(values, 0.95), "max": round(max(values), 2),
            "mean": round(statistics.fmean(values), 2)}


def meltano(env: dict, *args: str) -> None:
    proc = subprocess.run([str(BIN / "meltano"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False)
    if proc.returncode:
        sys.exit(f"meltano {' '.join(args)} failed:\n" + "\n".join((proc.stdout + proc.stderr).splitlines()[-40:]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=10, help="changes per platform")
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--max-gap", type=float, default=5.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="webhooks-bench-"))
    db, warehouse = work / "webhooks.sqlite", work / "warehouse.duckdb"
    receiver = subprocess.Popen([str(BIN / "inventory-webhooks"), "serve", "--db", str(db), "--port", "0"],
                                stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "INVENTORY_WEBHOOKS_SHOPIFY_SECRET": SECRET,
                                     "INVENTORY_WEBHOOKS_BIGCOMMERCE_TOKEN": TOKEN})
    url = receiver.stdout.readline().split()[1]
    try:
        with inventory_sandbox.ShopifySandbox(stores=[SHOP], locations=3, items=args.items, seed=3) as shop, \
                inventory_sandbox.BigCommerceSandbox(stores=[BC], locations=3, items=args.items, seed=3,
                                                     quota=100_000) as bc:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))}
            env.update(
                MELTANO_SEND_ANONYMOUS_USAGE_STATS="false", MELTANO_DATABASE_URI=f"sqlite:///{work / 'meltano.db'}",
                WAREHOUSE_PATH=str(warehouse), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                INVENTORY_CHANNELS="shopify,bigcommerce", INVENTORY_WEBHOOKS="shopify,bigcommerce",
                TAP_SHOPIFY_INVENTORY_STORE=SHOP, TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN=shop.token(SHOP),
                TAP_SHOPIFY_INVENTORY_API_URL=shop.api_url(SHOP),
                TAP_BIGCOMMERCE_INVENTORY_STORE_HASH=BC, TAP_BIGCOMMERCE_INVENTORY_ACCESS_TOKEN=bc.token(BC),
                TAP_BIGCOMMERCE_INVENTORY_API_URL=bc.api_url(BC),
                TAP_INVENTORY_WEBHOOKS_DATABASE=str(db), TAP_INVENTORY_WEBHOOKS_BIGCOMMERCE_STORE_HASH=BC,
                TAP_INVENTORY_WEBHOOKS_BIGCOMMERCE_ACCESS_TOKEN=bc.token(BC),
                TAP_INVENTORY_WEBHOOKS_BIGCOMMERCE_API_URL=bc.api_url(BC),
            )
            meltano(env, "run", "tap-shopify-inventory", "target-duckdb", "tap-bigcommerce-inventory",
                    "target-duckdb", "dbt-duckdb:build")
            meltano(env, "run", "inventory-webhooks-sync")  # first run creates the raw_webhooks tables
            shop.configure(webhooks={"url": f"{url}/webhooks/shopify", "secret": SECRET})
            bc.configure(webhooks={"url": f"{url}/webhooks/bigcommerce", "secret": TOKEN})

            shop_levels = shop.truth(SHOP)["inventory_levels"]
            bc_levels = [r for r in bc.truth(BC)["inventory_levels"] if r["available"] is not None]
            rng = random.Random(1)
            pending: list[dict] = []  # {"channel", "key", "value", "at"}
            lock = threading.Lock()
            done = threading.Event()

            def make_changes() -> None:
                for i in range(args.changes):
                    time.sleep(rng.uniform(0, args.max_gap))
                    s = rng.choice(shop_levels)
                    value = 1000 + i
                    at = time.time()
                    shop.set_stock(SHOP, [{"inventory_item_id": s["inventory_item_id"], "location_id": s["location_id"],
                                           "quantities": {"available": value}}])
                    b = rng.choice(bc_levels)
                    bc_at = time.time()
                    bc.set_stock(BC, [{"variant_id": b["inventory_item_id"], "location_id": b["location_id"],
                                       "quantities": {"on_hand": value + b["safety_stock"]}}])
                    with lock:
                        pending.append({"channel": "shopify", "key": (s["location_id"], s["inventory_item_id"]),
                                        "value": value, "at": at})
                        pending.append({"channel": "bigcommerce", "key": (b["location_id"], b["inventory_item_id"]),
                                        "value": value, "at": bc_at})
                done.set()

            changer = threading.Thread(target=make_changes)
            changer.start()
            to_mart: dict[str, list[float]] = {"shopify": [], "bigcommerce": []}
            runs: list[float] = []
            while True:
                started = time.time()
                meltano(env, "run", "inventory-webhooks-sync")
                ended = time.time()
                runs.append(ended - started)
                with duckdb.connect(str(warehouse), read_only=True) as con:
                    seen = {(c, loc, item): a for c, loc, item, a in con.execute(
                        "select channel, location_id, inventory_item_id, available from analytics.fct_inventory_levels"
                        " where channel in ('shopify', 'bigcommerce')").fetchall()}
                with lock:
                    for change in list(pending):
                        if seen.get((change["channel"], *change["key"])) == change["value"]:
                            to_mart[change["channel"]].append(ended - change["at"])
                            pending.remove(change)
                    if done.is_set() and not pending:
                        break
                if len(runs) > 4 * args.changes + 10:
                    sys.exit(f"changes never reached the mart: {pending}")
            changer.join()
            # The job's parts, timed alone (nothing new to load): where the floor of the latency comes from.
            phases: dict[str, list[float]] = {"tap+target": [], "dbt run": []}
            for _ in range(2):
                for name, job in (("tap+target", ("run", "tap-inventory-webhooks", "target-duckdb")),
                                  ("dbt run", ("run", "dbt-duckdb:run-webhooks"))):
                    started = time.time()
                    meltano(env, *job)
                    phases[name].append(time.time() - started)
        commits = sqlite3.connect(db).execute("select platform, triggered_at, received_at from events").fetchall()
        to_receiver = [received - triggered for platform, triggered, received in commits if platform == "shopify"]
        print(json.dumps({
            "changes_per_platform": args.changes, "items": args.items, "max_gap_s": args.max_gap,
            "change_to_mart_s": {"shopify": summary(to_mart["shopify"]), "bigcommerce": summary(to_mart["bigcommerce"]),
                                 "all": summary(to_mart["shopify"] + to_mart["bigcommerce"])},
            "change_to_receiver_commit_s_shopify": summary(to_receiver),
            "webhook_job_run_s": summary(runs),
            "job_phases_s": {name: summary(values) for name, values in phases.items()},
            "load_average_1m": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
        }, indent=2))
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)


if __name__ == "__main__":
    main()
