"""Compare a warehouse's `fct_inventory_levels` with the sandbox store's ground truth.

The same proof as tests/e2e/test_pipeline.py, for any warehouse: `rows(sql)` runs a query and returns
dicts with lower-case column names, whatever the warehouse's identifier case.
"""

from __future__ import annotations

from collections.abc import Callable

import requests

STORE = "demo-store"
CHANNEL = "shopify"
QUANTITIES = ("available", "on_hand", "committed", "reserved", "incoming", "damaged", "quality_control", "safety_stock")
LEVEL_KEY = ("store_id", "location_id", "inventory_item_id")

Rows = Callable[[str], list[dict]]


def tap_env(sandbox, env: dict[str, str], store: str = STORE) -> dict[str, str]:
    """The extractor pointed at the sandbox store."""
    return {
        **env,
        "TAP_SHOPIFY_INVENTORY_STORE": store,
        "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": sandbox.token(store),
        "TAP_SHOPIFY_INVENTORY_API_URL": sandbox.api_url(store),
        "TAP_SHOPIFY_INVENTORY_LOOKBACK": "0",
    }


def control(sandbox, action: str, store: str = STORE, **body) -> dict:
    response = requests.post(f"{sandbox.url}/_sandbox/{action}", json={"store": store, **body}, timeout=30)
    response.raise_for_status()
    return response.json()


def mart_levels(rows: Rows, schema: str = "analytics") -> dict[tuple, dict]:
    columns = ", ".join((*LEVEL_KEY, "sku", *QUANTITIES))
    found = rows(f"select {columns} from {schema}.fct_inventory_levels where channel = '{CHANNEL}'")
    keyed = {tuple(r[k] for k in LEVEL_KEY): r for r in found}
    assert len(keyed) == len(found), "duplicate levels in fct_inventory_levels"
    return keyed


def truth_levels(sandbox, store: str = STORE) -> dict[tuple, dict]:
    truth = sandbox.truth(store)["inventory_levels"]
    return {tuple(r[k] for k in LEVEL_KEY): {k: r[k] for k in (*LEVEL_KEY, "sku", *QUANTITIES)} for r in truth}


def assert_mart_equals_truth(rows: Rows, sandbox, store: str = STORE, schema: str = "analytics") -> int:
    """Same (store, location, item) levels with the same sku and eight quantities; nothing extra."""
    mart, truth = mart_levels(rows, schema), truth_levels(sandbox, store)
    missing = truth.keys() - mart.keys()
    extra = mart.keys() - truth.keys()
    differ = [k for k in truth.keys() & mart.keys() if truth[k] != mart[k]]
    assert not missing and not extra and not differ, (
        f"{len(missing)} missing, {len(extra)} extra, {len(differ)} differ; "
        f"e.g. missing={sorted(missing)[:3]} extra={sorted(extra)[:3]} "
        f"differ={[(truth[k], mart[k]) for k in differ[:2]]}"
    )
    return len(truth)
