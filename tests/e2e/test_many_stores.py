"""Many stores of one platform in one job: three Shopify stores and two BigCommerce stores (docs/many-stores.md).

The store list (orchestrate/stores.yml) names the stores; orchestrate/generate.py makes one plugin per store
(`inherit_from` the platform's tap) and the serial job `inventory-sync--many-stores` in the file meltano.yml
includes. The proof:
1. after the job, every store's levels are in the raw tables under their own `store_id`, and the mart equals the
   union of the stores' ground truths (nothing missing, extra or different);
2. Meltano keeps one state per store plugin (`meltano state list/get`), each with its own bookmarks;
3. stock moves in one Shopify store and one BigCommerce store only: the next run of the same store plugins
   re-reads exactly that Shopify store's changed levels (the other stores' bookmarks are their own and hold),
   and every store's raw levels equal its truth again. (It runs the job's extract-load part only: the mart was
   proven in step 1, and a second dbt build would double the test's time.)
"""

from __future__ import annotations

import json
from contextlib import ExitStack

import yaml
from conftest import IN_CI, ROOT, needs_module, run_meltano
from support.duckdb_rows import duckdb_rows
from support.mart import BIGCOMMERCE, SHOPIFY, control
from support.many_stores import assert_channel_equals_stores, assert_raw_equals_stores, raw_levels_per_store

from orchestrate import sandbox_stores
from orchestrate.generate import SERIAL_JOB, plugin_name

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

_, STORES = sandbox_stores.load()
#: Store plugin -> the store it reads, per platform, from the store list.
SHOPIFY_STORES = {plugin_name(s): sandbox_stores.sandbox_name(s) for s in STORES if s["platform"] == "shopify"}
BIGCOMMERCE_STORES = {plugin_name(s): sandbox_stores.sandbox_name(s) for s in STORES if s["platform"] == "bigcommerce"}
ITEMS = 30 if IN_CI else 200


def job_tasks() -> list[str]:
    """The serial job's extract-load blocks as `meltano run` arguments (its dbt step left out)."""
    project = yaml.safe_load((ROOT / "orchestrate" / "stores.meltano.yml").read_text())
    (tasks,) = next(j["tasks"] for j in project["jobs"] if j["name"] == SERIAL_JOB)
    words = tasks.split()
    assert words[-1] == "dbt-duckdb:build", words
    assert words[:-1:2] == [plugin_name(s) for s in STORES], "the job does not list the store list's stores in order"
    assert len(SHOPIFY_STORES) == 3 and len(BIGCOMMERCE_STORES) == 2, "this test expects 3 Shopify, 2 BigCommerce"
    return words[:-1]


EXTRACT_LOAD = job_tasks()


def store_env(env: dict[str, str], shopify, bigcommerce) -> dict[str, str]:
    """Each store's secret in the variable the store list names, its plugin's URL; nothing on the parent taps."""
    env = {**env, "INVENTORY_CHANNELS": "shopify,bigcommerce",
           **sandbox_stores.store_env(STORES, {"shopify": shopify.url, "bigcommerce": bigcommerce.url})}
    for plugin in SHOPIFY_STORES:
        env[sandbox_stores.setting_env(plugin, "lookback")] = "0"
    assert not [k for k in env if k.startswith(("TAP_SHOPIFY_INVENTORY_", "TAP_BIGCOMMERCE_INVENTORY_"))
                and "__" not in k], "a parent tap setting would leak into every store"
    return env


def test_three_shopify_and_two_bigcommerce_stores_in_one_job(meltano_env) -> None:
    with ExitStack() as stack:
        shopify = stack.enter_context(inventory_sandbox.ShopifySandbox(
            stores=list(SHOPIFY_STORES.values()), locations=3, items=ITEMS, seed=21))
        bigcommerce = stack.enter_context(inventory_sandbox.BigCommerceSandbox(
            stores=list(BIGCOMMERCE_STORES.values()), locations=3, items=ITEMS, seed=21, quota=10_000))
        env = store_env(meltano_env, shopify, bigcommerce)
        rows = duckdb_rows(env["WAREHOUSE_PATH"])

        # 1. One job: every store lands under its own store_id, and the mart is the union of the truths.
        run_meltano(env, "run", SERIAL_JOB)
        shopify_counts = assert_channel_equals_stores(rows, shopify, SHOPIFY, list(SHOPIFY_STORES.values()))
        bigcommerce_counts = assert_channel_equals_stores(
            rows, bigcommerce, BIGCOMMERCE, list(BIGCOMMERCE_STORES.values()))
        assert all(n > 0 for n in (*shopify_counts.values(), *bigcommerce_counts.values()))
        assert raw_levels_per_store(rows, "raw_shopify") == {
            s: len(shopify.truth(s)["inventory_levels"]) for s in SHOPIFY_STORES.values()}
        assert raw_levels_per_store(rows, "raw_bigcommerce") == {
            s: len(bigcommerce.truth(s)["inventory_levels"]) for s in BIGCOMMERCE_STORES.values()}

        # 2. One state per store plugin; each Shopify store's holds its own bookmarks (each `meltano` call costs
        #    seconds, so the BigCommerce states are only listed).
        listed = set(run_meltano(env, "state", "list").stdout.split())
        state_ids = {p: f"dev:{p}-to-target-duckdb" for p in (*SHOPIFY_STORES, *BIGCOMMERCE_STORES)}
        assert set(state_ids.values()) <= listed, f"state ids {sorted(listed)}"
        for plugin in SHOPIFY_STORES:
            state = json.loads(run_meltano(env, "state", "get", state_ids[plugin]).stdout)
            bookmarks = state.get("singer_state", state)["bookmarks"]
            assert bookmarks["inventory_levels"]["replication_key_value"], plugin
            assert bookmarks["inventory_items"]["replication_key_value"], plugin

        # 3. Stock moves in one store per platform only.
        first_run = rows("select max(synced_at) as t from raw_shopify.inventory_levels")[0]["t"]
        moved = control(shopify, "stock", store="acme-us", changes=7, seed=3)["changed"]
        assert len(moved) == 7
        assert len(bigcommerce.change_stock("acmeus", n=7, seed=3)) == 7
        run_meltano(env, "run", *EXTRACT_LOAD)
        # Shopify reads incrementally per store: only acme-us's moved levels were read again.
        assert raw_levels_per_store(rows, "raw_shopify", since=first_run) == {"acme-us": 7}
        again = rows(f"select inventory_item_id, location_id from raw_shopify.inventory_levels "
                     f"where synced_at > '{first_run}'")
        assert {(r["inventory_item_id"], r["location_id"]) for r in again} == {
            (m["inventory_item_id"], m["location_id"]) for m in moved}
        assert_raw_equals_stores(rows, "raw_shopify", shopify, list(SHOPIFY_STORES.values()))
        assert_raw_equals_stores(rows, "raw_bigcommerce", bigcommerce, list(BIGCOMMERCE_STORES.values()))
