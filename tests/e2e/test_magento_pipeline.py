"""End to end for Magento alone: sandbox store -> tap-magento-inventory -> target-duckdb -> dbt.

The mart must hold exactly the source items the store holds: the same (store, source, product) rows with
the same sku and contract quantities (null for those Magento lacks), no duplicates, nothing extra. Source
items are a full snapshot on every run, so a stock change and an unassigned source item show after one
more ordinary run. INVENTORY_CHANNELS=magento also proves a single-platform merchant's dbt build.
"""

from __future__ import annotations

from conftest import STORE_ITEMS, needs_module, run_meltano
from support.duckdb_rows import duckdb_rows
from support.mart import MAGENTO, assert_mart_equals_truth, mart_levels

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

STORE = MAGENTO.store
COMMAND = ("run", "tap-magento-inventory", "target-duckdb", "dbt-duckdb:build")


def test_magento_sync_equals_ground_truth_after_stock_changes_and_deletions(meltano_env) -> None:
    with inventory_sandbox.MagentoSandbox(stores=[STORE], locations=4, items=STORE_ITEMS, seed=11) as sandbox:
        env = {
            **meltano_env,
            "INVENTORY_CHANNELS": MAGENTO.name,
            "TAP_MAGENTO_INVENTORY_BASE_URL": sandbox.base_url(STORE),
            "TAP_MAGENTO_INVENTORY_STORE_ID": STORE,
            "TAP_MAGENTO_INVENTORY_ACCESS_TOKEN": sandbox.token(STORE),
            "TAP_MAGENTO_INVENTORY_LOOKBACK": "0",
        }
        rows = duckdb_rows(env["WAREHOUSE_PATH"])

        # 1. First sync: every source item arrives, keyed by product id and source code.
        run_meltano(env, *COMMAND)
        levels = assert_mart_equals_truth(rows, sandbox, MAGENTO)
        assert levels > STORE_ITEMS  # most products are stocked at several sources
        items = rows("select count(*) as n from analytics.stg_magento__inventory_items")
        assert items[0]["n"] == len(sandbox.truth(STORE, streams=["inventory_items"])["inventory_items"])
        locations = rows("select location_id, is_active from analytics.dim_locations where channel = 'magento'")
        truth_locations = sandbox.truth(STORE, streams=["locations"])["locations"]
        assert {(r["location_id"], r["is_active"]) for r in locations} == \
            {(r["location_id"], r["is_active"]) for r in truth_locations}

        # 2. Stock moves (product updated_at does not) and a source item is unassigned: the next ordinary
        #    run's snapshot brings both, with no reconcile job.
        assert len(sandbox.change_stock(STORE, n=25, seed=3)) == 25
        gone = sandbox.truth(STORE, streams=["inventory_levels"])["inventory_levels"][0]
        sandbox.delete_source_item(STORE, gone["sku"], gone["location_id"])
        run_meltano(env, *COMMAND)
        assert (STORE, gone["location_id"], gone["inventory_item_id"]) not in mart_levels(rows, MAGENTO)
        assert_mart_equals_truth(rows, sandbox, MAGENTO)
