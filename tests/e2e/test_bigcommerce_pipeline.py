"""End to end for BigCommerce: sandbox store -> tap -> target-duckdb -> dbt, compared with ground truth.

The mart must hold exactly the levels the store holds: the same (store, location, variant) rows with the
quantities BigCommerce has (available_to_sell -> available, total_inventory_onhand -> on_hand,
safety_stock) and null for the ones it lacks; no duplicates, nothing extra. After stock changes and a
removed variant, a second run converges again (levels are a full snapshot every run).
"""

from __future__ import annotations

import duckdb
import pytest

from conftest import STORE_ITEMS, run_meltano

inventory_sandbox = pytest.importorskip("inventory_sandbox", reason="the sandbox package is not installed")

STORE = "demostore"
CHANNEL = "bigcommerce"
PRESENT = ("available", "on_hand", "safety_stock")
ABSENT = ("committed", "reserved", "incoming", "damaged", "quality_control")
LEVEL_KEY = ("store_id", "location_id", "inventory_item_id")
PIPELINE = ("run", "tap-bigcommerce-inventory", "target-duckdb", "dbt-duckdb:build")


def _tap_env(sandbox, env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "INVENTORY_CHANNELS": CHANNEL,
        "TAP_BIGCOMMERCE_INVENTORY_STORE_HASH": STORE,
        "TAP_BIGCOMMERCE_INVENTORY_ACCESS_TOKEN": sandbox.token(STORE),
        "TAP_BIGCOMMERCE_INVENTORY_API_URL": sandbox.api_url(STORE),
    }


def _rows(warehouse: str, sql: str) -> list[dict]:
    with duckdb.connect(warehouse, read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _mart_levels(warehouse: str) -> dict[tuple, dict]:
    columns = ", ".join((*LEVEL_KEY, "sku", *PRESENT, *ABSENT))
    rows = _rows(warehouse, f"select {columns} from analytics.fct_inventory_levels where channel = '{CHANNEL}'")
    keyed = {tuple(r[k] for k in LEVEL_KEY): r for r in rows}
    assert len(keyed) == len(rows), "duplicate levels in fct_inventory_levels"
    return keyed


def _truth_levels(sandbox) -> dict[tuple, dict]:
    truth = sandbox.truth(STORE)["inventory_levels"]
    return {
        tuple(r[k] for k in LEVEL_KEY): {
            **{k: r[k] for k in (*LEVEL_KEY, "sku", *PRESENT)},
            **dict.fromkeys(ABSENT),
        }
        for r in truth
    }


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


def test_bigcommerce_sync_equals_ground_truth(meltano_env) -> None:
    with inventory_sandbox.BigCommerceSandbox(stores=[STORE], locations=4, items=STORE_ITEMS, seed=11,
                                              quota=10_000) as sandbox:
        env = _tap_env(sandbox, meltano_env)
        warehouse = env["WAREHOUSE_PATH"]

        # 1. First run: every level arrives.
        run_meltano(env, *PIPELINE)
        levels = _assert_mart_equals_truth(warehouse, sandbox)
        assert levels > STORE_ITEMS  # tracked variants are stocked at every location
        items = _rows(warehouse, "select count(*) as n from analytics.stg_bigcommerce__inventory_items")
        assert items[0]["n"] == len(sandbox.truth(STORE)["inventory_items"])
        assert _rows(warehouse, "select count(*) as n from analytics.dim_locations where channel = 'bigcommerce'"
                     )[0]["n"] == 4

        # 2. Stock moves and a variant is removed: the next run's snapshot converges again.
        truth = sandbox.truth(STORE)
        changed = sandbox.change_stock(STORE, n=25, seed=3)
        assert len(changed) == 25
        victim = next(r for r in truth["inventory_items"] if r["is_tracked"] and not r["is_base_variant"])
        sandbox.delete_variant(STORE, victim["variant_id"])
        run_meltano(env, *PIPELINE)
        after = _mart_levels(warehouse)
        assert not [k for k in after if k[2] == victim["inventory_item_id"]]
        _assert_mart_equals_truth(warehouse, sandbox)
