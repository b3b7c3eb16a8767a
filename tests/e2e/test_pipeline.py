"""End to end: sandbox store -> tap -> target-duckdb -> dbt, compared with the sandbox's ground truth.

The proof of a sync is that the mart holds exactly the levels the store holds: the same
(store, location, item) rows with the same eight quantities, no duplicates, nothing extra.
"""

from __future__ import annotations

import duckdb
import pytest
import requests

from conftest import STORE_ITEMS, run_meltano

inventory_sandbox = pytest.importorskip("inventory_sandbox", reason="the sandbox package is not installed")

STORE = "demo-store"
QUANTITIES = ("available", "on_hand", "committed", "reserved", "incoming", "damaged", "quality_control", "safety_stock")
LEVEL_KEY = ("store_id", "location_id", "inventory_item_id")
CHANNEL = "shopify"


def _tap_env(sandbox, env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "TAP_SHOPIFY_INVENTORY_STORE": STORE,
        "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": sandbox.token(STORE),
        "TAP_SHOPIFY_INVENTORY_API_URL": sandbox.api_url(STORE),
        "TAP_SHOPIFY_INVENTORY_LOOKBACK": "0",
    }


def _rows(warehouse: str, sql: str) -> list[dict]:
    with duckdb.connect(warehouse, read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _mart_levels(warehouse: str) -> dict[tuple, dict]:
    columns = ", ".join((*LEVEL_KEY, "sku", *QUANTITIES))
    rows = _rows(warehouse, f"select {columns} from analytics.fct_inventory_levels where channel = '{CHANNEL}'")
    keyed = {tuple(r[k] for k in LEVEL_KEY): r for r in rows}
    assert len(keyed) == len(rows), "duplicate levels in fct_inventory_levels"
    return keyed


def _truth_levels(sandbox) -> dict[tuple, dict]:
    truth = sandbox.truth(STORE)["inventory_levels"]
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


def _control(sandbox, action: str, **body) -> dict:
    response = requests.post(f"{sandbox.url}/_sandbox/{action}", json={"store": STORE, **body}, timeout=30)
    response.raise_for_status()
    return response.json()


def test_sync_then_reconcile_equals_ground_truth(meltano_env) -> None:
    with inventory_sandbox.ShopifySandbox(stores=[STORE], locations=4, items=STORE_ITEMS, seed=11) as sandbox:
        env = _tap_env(sandbox, meltano_env)
        warehouse = env["WAREHOUSE_PATH"]

        # 1. First sync: everything arrives.
        run_meltano(env, "run", "inventory-sync")
        levels = _assert_mart_equals_truth(warehouse, sandbox)
        assert levels > STORE_ITEMS  # most items are stocked at several locations
        item_rows = _rows(warehouse, "select count(*) as n from analytics.stg_shopify__inventory_items")
        assert item_rows[0]["n"] == len(sandbox.truth(STORE)["inventory_items"])

        # 2. Stock moves: an incremental sync brings exactly the changed levels up to date.
        changed = _control(sandbox, "stock", changes=25, seed=3)["changed"]
        assert len(changed) == 25
        run_meltano(env, "run", "inventory-sync")
        _assert_mart_equals_truth(warehouse, sandbox)

        # 3. Deletions are invisible to incremental queries; the reconcile job removes them.
        truth = sandbox.truth(STORE)
        gone_level = truth["inventory_levels"][0]
        _control(sandbox, "disconnect", inventory_item_id=gone_level["inventory_item_id"],
                 location_id=gone_level["location_id"])
        gone_item = truth["inventory_items"][-1]["inventory_item_id"]
        _control(sandbox, "delete_item", inventory_item_id=gone_item)
        run_meltano(env, "run", "inventory-sync")
        stale = _mart_levels(warehouse)
        assert (STORE, gone_level["location_id"], gone_level["inventory_item_id"]) in stale

        run_meltano(env, "run", "inventory-reconcile")
        after = _mart_levels(warehouse)
        assert (STORE, gone_level["location_id"], gone_level["inventory_item_id"]) not in after
        assert not [k for k in after if k[2] == gone_item]
        _assert_mart_equals_truth(warehouse, sandbox)
