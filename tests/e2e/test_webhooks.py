"""End to end with webhooks on: a stock change reaches the mart through the webhook path, and polling
still reconciles the mart to the truth afterwards.

Shopify and BigCommerce sandbox stores send signed webhooks (with duplicate and out-of-order deliveries) to
`inventory-webhooks serve`; the job `inventory-webhooks-sync` (tap-inventory-webhooks -> target-duckdb ->
dbt build of the models webhooks feed) brings them into `fct_inventory_levels` without any polling run. The
seconds from the change to the mart are printed (they are measured, never asserted; see
webhooks/bench/latency.py and docs/webhooks.md for the figures).
"""

from __future__ import annotations

import os
import subprocess
import time

import requests
from conftest import IN_CI, needs_module, needs, run_meltano, which
from support.duckdb_rows import duckdb_rows
from support.mart import BIGCOMMERCE, SHOPIFY, assert_mart_equals_truth, mart_levels

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

SECRET, TOKEN = "shpss_e2e", "bc_hook_e2e"
ITEMS = 100 if IN_CI else 200  # the webhook path does not depend on store size; keep CI short


def start_receiver(db: str) -> tuple[subprocess.Popen, str]:
    exe = which("inventory-webhooks")
    needs("inventory-webhooks is not installed (requirements-dev.txt)", available=exe is not None)
    proc = subprocess.Popen([exe, "serve", "--db", db, "--port", "0"], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "INVENTORY_WEBHOOKS_SHOPIFY_SECRET": SECRET,
                                 "INVENTORY_WEBHOOKS_BIGCOMMERCE_TOKEN": TOKEN})
    line = proc.stdout.readline()
    assert line.startswith("READY "), f"receiver did not start: {line!r}"
    return proc, line.split()[1]


def wait_delivered(sandbox, expected: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        hooks = sandbox.configure()["webhooks"]
        if hooks["sent"] >= expected and hooks["pending"] == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"webhooks not delivered: {hooks}")


def test_stock_change_reaches_the_mart_through_webhooks(meltano_env, tmp_path) -> None:
    db = str(tmp_path / "webhooks.sqlite")
    receiver, url = start_receiver(db)
    try:
        with inventory_sandbox.ShopifySandbox(stores=[SHOPIFY.store], locations=3, items=ITEMS, seed=5) as shop, \
                inventory_sandbox.BigCommerceSandbox(stores=[BIGCOMMERCE.store], locations=3, items=ITEMS, seed=5,
                                                     quota=10_000) as bc:
            env = {
                **meltano_env,
                "INVENTORY_CHANNELS": "shopify,bigcommerce",
                "INVENTORY_WEBHOOKS": "shopify,bigcommerce",
                "TAP_SHOPIFY_INVENTORY_STORE": SHOPIFY.store,
                "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": shop.token(SHOPIFY.store),
                "TAP_SHOPIFY_INVENTORY_API_URL": shop.api_url(SHOPIFY.store),
                "TAP_SHOPIFY_INVENTORY_LOOKBACK": "0",
                "TAP_BIGCOMMERCE_INVENTORY_STORE_HASH": BIGCOMMERCE.store,
                "TAP_BIGCOMMERCE_INVENTORY_ACCESS_TOKEN": bc.token(BIGCOMMERCE.store),
                "TAP_BIGCOMMERCE_INVENTORY_API_URL": bc.api_url(BIGCOMMERCE.store),
                "TAP_INVENTORY_WEBHOOKS_DATABASE": db,
                "TAP_INVENTORY_WEBHOOKS_BIGCOMMERCE_STORE_HASH": BIGCOMMERCE.store,
                "TAP_INVENTORY_WEBHOOKS_BIGCOMMERCE_ACCESS_TOKEN": bc.token(BIGCOMMERCE.store),
                "TAP_INVENTORY_WEBHOOKS_BIGCOMMERCE_API_URL": bc.api_url(BIGCOMMERCE.store),
            }
            rows = duckdb_rows(env["WAREHOUSE_PATH"])
            polling = ("run", "tap-shopify-inventory", "target-duckdb", "tap-bigcommerce-inventory", "target-duckdb",
                       "dbt-duckdb:build")

            # 1. Polling first (no webhook synced yet: the webhook staging is empty and the build still works).
            run_meltano(env, *polling)
            assert_mart_equals_truth(rows, shop, SHOPIFY)
            assert_mart_equals_truth(rows, bc, BIGCOMMERCE)

            # 2. Webhooks on, with redeliveries and one delivery overtaken by the next.
            shop.configure(webhooks={"url": f"{url}/webhooks/shopify", "secret": SECRET, "faults": [
                {"kind": "duplicate", "count": 2}, {"kind": "out_of_order", "count": 1}]})
            bc.configure(webhooks={"url": f"{url}/webhooks/bigcommerce", "secret": TOKEN, "faults": [
                {"kind": "out_of_order", "count": 1}, {"kind": "duplicate", "count": 1}]})
            changed_at = time.monotonic()
            shop_changed = shop.change_stock(SHOPIFY.store, n=6, seed=21)
            bc_changed = bc.change_stock(BIGCOMMERCE.store, n=6, seed=21)
            wait_delivered(shop, 6 + 2)  # one per change, plus the two duplicates
            # BigCommerce sends one event per changed variant (per product when it tracks stock by product), so two
            # changed locations of one variant are one event; plus the duplicate.
            tracking = {i["inventory_item_id"]: i["inventory_tracking"]
                        for i in bc.truth(BIGCOMMERCE.store)["inventory_items"]}
            events = {("product", c["product_id"]) if tracking[c["inventory_item_id"]] == "product"
                      else ("variant", c["inventory_item_id"]) for c in bc_changed}
            wait_delivered(bc, len(events) + 1)

            # 3. Only the webhook job runs: the changes are in the mart.
            run_meltano(env, "run", "inventory-webhooks-sync")
            latency = time.monotonic() - changed_at
            truth = {(r["store_id"], r["location_id"], r["inventory_item_id"]): r
                     for r in shop.truth(SHOPIFY.store)["inventory_levels"]}
            mart = mart_levels(rows, SHOPIFY)
            keys = [(SHOPIFY.store, c["location_id"], c["inventory_item_id"]) for c in shop_changed]
            assert [mart[k]["available"] for k in keys] == [truth[k]["available"] for k in keys]
            by_webhook = rows("select count(*) as n from analytics.fct_inventory_levels "
                              "where channel = 'shopify' and observed_by = 'webhook'")[0]["n"]
            assert by_webhook == len(keys)
            # BigCommerce's thin events name the changed variants; the tap re-reads each through the Inventory API,
            # at every location: those levels (and only those) come by webhook, with the store's values.
            changed_items = {c["inventory_item_id"] for c in bc_changed}
            bc_keys = {(r["store_id"], r["location_id"], r["inventory_item_id"])
                       for r in bc.truth(BIGCOMMERCE.store)["inventory_levels"] if r["inventory_item_id"] in changed_items}
            bc_by_webhook = {(r["store_id"], r["location_id"], r["inventory_item_id"]) for r in rows(
                "select store_id, location_id, inventory_item_id from analytics.fct_inventory_levels "
                "where channel = 'bigcommerce' and observed_by = 'webhook'")}
            assert bc_by_webhook == bc_keys
            assert_mart_equals_truth(rows, bc, BIGCOMMERCE)
            print(f"\nchange -> mart through webhooks: {latency:.1f} s (one inventory-webhooks-sync run)")

            # 4. Polling again reconciles everything (Shopify's other quantities arrive by polling).
            run_meltano(env, *polling)
            assert_mart_equals_truth(rows, shop, SHOPIFY)
            assert_mart_equals_truth(rows, bc, BIGCOMMERCE)
            assert requests.get(f"{url}/health", timeout=10).json()["events"] >= 7
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
