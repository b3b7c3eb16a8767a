"""End to end for BigCommerce alone: sandbox store -> tap -> target-duckdb -> dbt, against ground truth.

The mart must hold exactly the levels the store holds: the same (store, location, variant) rows with the
quantities BigCommerce has (available_to_sell -> available, total_inventory_onhand -> on_hand,
safety_stock) and null for the ones it lacks. Levels are a full snapshot every run, so after stock
changes and a removed variant an ordinary second run converges again. INVENTORY_CHANNELS=bigcommerce
also proves a single-platform merchant's dbt build.
"""

from __future__ import annotations

from conftest import STORE_ITEMS, needs_module, run_meltano
from support.duckdb_rows import duckdb_rows
from support.mart import BIGCOMMERCE, assert_mart_equals_truth, mart_levels

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

STORE = BIGCOMMERCE.store
PIPELINE = ("run", "tap-bigcommerce-inventory", "target-duckdb", "dbt-duckdb:build")


def test_bigcommerce_sync_equals_ground_truth(meltano_env) -> None:
    with inventory_sandbox.BigCommerceSandbox(stores=[STORE], locations=4, items=STORE_ITEMS, seed=11,
                                              quota=10_000) as sandbox:
        env = {
            **meltano_env,
            "INVENTORY_CHANNELS": BIGCOMMERCE.name,
            "TAP_BIGCOMMERCE_INVENTORY_STORE_HASH": STORE,
            "TAP_BIGCOMMERCE_INVENTORY_ACCESS_TOKEN": sandbox.token(STORE),
            "TAP_BIGCOMMERCE_INVENTORY_API_URL": sandbox.api_url(STORE),
        }
        rows = duckdb_rows(env["WAREHOUSE_PATH"])

        # 1. First run: every level arrives.
        run_meltano(env, *PIPELINE)
        levels = assert_mart_equals_truth(rows, sandbox, BIGCOMMERCE)
        assert levels > STORE_ITEMS  # tracked variants are stocked at every location
        items = rows("select count(*) as n from analytics.stg_bigcommerce__inventory_items")
        assert items[0]["n"] == len(sandbox.truth(STORE)["inventory_items"])
        assert rows("select count(*) as n from analytics.dim_locations where channel = 'bigcommerce'")[0]["n"] == 4

        # 2. Stock moves and a variant is removed: the next run's snapshot converges again.
        truth = sandbox.truth(STORE)
        assert len(sandbox.change_stock(STORE, n=25, seed=3)) == 25
        victim = next(r for r in truth["inventory_items"] if r["is_tracked"] and not r["is_base_variant"])
        sandbox.delete_variant(STORE, victim["variant_id"])
        run_meltano(env, *PIPELINE)
        after = mart_levels(rows, BIGCOMMERCE)
        assert not [k for k in after if k[2] == victim["inventory_item_id"]]
        assert_mart_equals_truth(rows, sandbox, BIGCOMMERCE)
