"""End to end for Magento: sandbox store -> tap-magento-inventory -> target-duckdb -> dbt, against ground truth.

The mart must hold exactly the source items the store holds: the same (store, source, product) rows with
the same sku and contract quantities, no duplicates, nothing extra. Source items are a full snapshot on
every run, so a stock change and an unassigned source item show after one more ordinary run.
"""

from __future__ import annotations

import duckdb
import pytest

from conftest import STORE_ITEMS, run_meltano

inventory_sandbox = pytest.importorskip("inventory_sandbox", reason="the sandbox package is not installed")

STORE = "demo-store"
CHANNEL = "magento"
QUANTITIES = ("available", "on_hand", "committed", "reserved", "incoming")
ABSENT = ("damaged", "quality_control", "safety_stock")  # Magento has none of these: null in the mart
LEVEL_KEY = ("store_id", "location_id", "inventory_item_id")
COMMAND = ("run", "tap-magento-inventory", "target-duckdb", "dbt-duckdb:build")


def _tap_env(sandbox, env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "INVENTORY_CHANNELS": CHANNEL,
        "TAP_MAGENTO_INVENTORY_BASE_URL": sandbox.base_url(STORE),
        "TAP_MAGENTO_INVENTORY_STORE_ID": STORE,
        "TAP_MAGENTO_INVENTORY_ACCESS_TOKEN": sandbox.token(STORE),
        "TAP_MAGENTO_INVENTORY_LOOKBACK": "0",
    }


def _rows(warehouse: str, sql: str) -> list[dict]:
    with duckdb.connect(warehouse, read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _mart_levels(warehouse: str) -> dict[tuple, dict]:
    columns = ", ".join((*LEVEL_KEY, "sku", *QUANTITIES, *ABSENT))
    rows = _rows(warehouse, f"select {columns} from analytics.fct_inventory_levels where channel = '{CHANNEL}'")
    keyed = {tuple(r[k] for k in LEVEL_KEY): r for r in rows}
    assert len(keyed) == len(rows), "duplicate levels in fct_inventory_levels"
    for row in rows:
        assert all(row.pop(name) is None for name in ABSENT), row
    return keyed


def _truth_levels(sandbox) -> dict[tuple, dict]:
    truth = sandbox.truth(STORE, streams=["inventory_levels"])["inventory_levels"]
    return {tuple(r[k] for k in LEVEL_KEY): {k: r[k] for k in (*LEVEL_KEY, "sku", *QUANTITIES)} for r in truth}


def _assert_mart_equals_truth(warehouse: str, sandbox) -> int:
    mart, truth = _mart_levels(warehouse), _truth_levels(sandbox)
    missing = truth.keys() - mart.keys()
    extra = mart.keys() - truth.keys()
    differ = [k for k in truth.keys() & mart.keys() if truth[k] != mart[k]]
    assert not missing and not extra and not differ, (
        f"{len(missing)} missing, {len(extra)} extra, {len(differ)} differ; "
        f"e.g. missing={sorted(missing)[:3]} extra={sorted(extra)[:3]} "
        f"differ={[(truth[k], mart[k]) for k in differ[:2]]}"
    )
    return len(truth)


def test_magento_sync_equals_ground_truth_after_stock_changes_and_deletions(meltano_env) -> None:
    with inventory_sandbox.MagentoSandbox(stores=[STORE], locations=4, items=STORE_ITEMS, seed=11) as sandbox:
        env = _tap_env(sandbox, meltano_env)
        warehouse = env["WAREHOUSE_PATH"]

        # 1. First sync: every source item arrives, keyed by product id and source code.
        run_meltano(env, *COMMAND)
        levels = _assert_mart_equals_truth(warehouse, sandbox)
        assert levels > STORE_ITEMS  # most products are stocked at several sources
        items = _rows(warehouse, "select count(*) as n from analytics.stg_magento__inventory_items")
        assert items[0]["n"] == len(sandbox.truth(STORE, streams=["inventory_items"])["inventory_items"])
        locations = _rows(warehouse, "select location_id, is_active from analytics.dim_locations "
                                     f"where channel = '{CHANNEL}' order by location_id")
        truth_locations = sandbox.truth(STORE, streams=["locations"])["locations"]
        assert {(r["location_id"], r["is_active"]) for r in locations} == \
            {(r["location_id"], r["is_active"]) for r in truth_locations}

        # 2. Stock moves (product updated_at does not) and a source item is unassigned: the next ordinary
        #    run's snapshot brings both, with no reconcile job.
        changed = sandbox.change_stock(STORE, n=25, seed=3)
        assert len(changed) == 25
        gone = sandbox.truth(STORE, streams=["inventory_levels"])["inventory_levels"][0]
        sandbox.delete_source_item(STORE, gone["sku"], gone["location_id"])
        run_meltano(env, *COMMAND)
        after = _mart_levels(warehouse)
        assert (STORE, gone["location_id"], gone["inventory_item_id"]) not in after
        _assert_mart_equals_truth(warehouse, sandbox)
