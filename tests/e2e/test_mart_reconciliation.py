"""The reconciliation marts find exactly what the shared-catalog sandboxes seeded (issue #5).

Three sandbox servers run with `--catalog shared` (one catalog on every platform, Magento's `demo-store` the
system of record, known discrepancies, oversell risks, negative stock and a tracked item without levels; they
list them under `GET /_sandbox/scenario`). The user's scheduled pass, `inventory-sync`, runs three times:

1. First sync: the marts flag every seeded case and nothing else; the accuracy KPI equals the share computed
   from the stores' ground truth.
2. One shared SKU sells a little on every channel, sync; then a lot, sync. Its levels are now abnormal changes
   (history of one move is enough here: INVENTORY_ANOMALY_MIN_HISTORY=1), it runs out within the week, and the
   channels still agree, so discrepancies, risks and accuracy are unchanged.
"""

from __future__ import annotations

import os
import re
import subprocess

import duckdb
import pytest
from conftest import IN_CI, ROOT, meltano_bin, needs_module, run_meltano, run_sync
from support.duckdb_rows import duckdb_rows
from support.shared_catalog import assert_marts_flag_seeded_cases, seeded_cases, shared_catalog, tap_env

needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

ITEMS = int(os.environ.get("MART_E2E_ITEMS", "48" if IN_CI else "120"))
SEED = 7
WINDOW_DAYS = 7


def test_marts_flag_exactly_the_seeded_cases(meltano_env) -> None:
    with shared_catalog(ITEMS, SEED) as servers:
        env = {**tap_env(servers, meltano_env), "INVENTORY_ANOMALY_MIN_HISTORY": "1",
               "INVENTORY_VELOCITY_WINDOW_DAYS": str(WINDOW_DAYS)}
        rows = duckdb_rows(env["WAREHOUSE_PATH"])
        cases = seeded_cases(servers)

        run_sync(env)

        flagged, risks, (compared, accurate) = assert_marts_flag_seeded_cases(rows, servers)
        assert rows("select count(*) as n from analytics.fct_stockout_forecast "
                    "where projected_stockout_date is not null")[0]["n"] == 0

        # Freshness is measured on what proves a sync ran (each channel's sync_runs), and a sync just now passes.
        fresh = run_meltano(env, "invoke", "dbt-duckdb:freshness")
        output = fresh.stdout + fresh.stderr
        assert output.count("PASS freshness of") == 3, output[-3000:]
        assert all(f"PASS freshness of {c}.sync_runs" in output for c in servers), output[-3000:]

        # A shared SKU outside every case, with stock to spare at one location on every channel, sells on every
        # channel: a little, then a lot.
        plan = servers["magento"].scenario()["shared_skus"]
        in_cases = {c["sku"] for c in cases}
        sku = next(s for s, p in plan.items() if s not in in_cases and p["record_quantity"] >= 20
                   and p["listed_as"] == s and p["single_location"])
        start = plan[sku]["record_quantity"]
        for left in (start - 2, 3):
            set_everywhere(servers, sku, left)
            run_sync(env)

        assert {(r["sku"], r["channel"], r["store_id"], r["difference"]) for r in rows(
            "select * from analytics.fct_inventory_discrepancies where is_discrepancy")} == flagged
        assert {(r["sku"], r["channel"], r["risk_reason"]) for r in rows(
            "select * from analytics.fct_oversell_risk")} == risks
        abnormal = rows("select * from analytics.fct_inventory_anomalies where anomaly_type = 'abnormal_change'")
        assert sorted((a["sku"], a["channel"], a["quantity"], a["previous_quantity"]) for a in abnormal) == sorted(
            (sku, channel, 3, start - 2) for channel in servers)

        # Which run out this week: that SKU on every channel (it sold start - 3 units in the window), no other.
        soon = rows("select * from analytics.fct_stockout_forecast "
                    "where projected_stockout_date <= current_date + 7 order by channel")
        assert [(r["sku"], r["channel"]) for r in soon] == [(sku, c) for c in sorted(servers)]
        assert all(r["units_per_day"] == pytest.approx((start - 3) / WINDOW_DAYS) for r in soon)

        runs = rows("select * from analytics.mart_inventory_accuracy where grain = 'run' order by period_start")
        assert len(runs) == 3
        assert {(r["skus_compared"], r["skus_accurate"]) for r in runs} == {(compared, accurate)}
        days = rows("select * from analytics.mart_inventory_accuracy where grain = 'day'")
        assert len(days) == len({r["period_start"].date() for r in runs})

        # A model checks its not-null columns in one data test (transform/tests/generic/not_null_columns.sql):
        # a null in any of them fails it, with the rows it found. One level loses its quantity, one location its
        # flag; the mart's tests, run again, fail those two models' tests and only those.
        with duckdb.connect(env["WAREHOUSE_PATH"]) as con:
            con.execute("update analytics.fct_inventory_levels set available = null "
                        "where inventory_level_sk = (select min(inventory_level_sk) from analytics.fct_inventory_levels)")
            con.execute("update analytics.dim_locations set is_active = null "
                        "where location_sk = (select min(location_sk) from analytics.dim_locations)")
        proc = subprocess.run([str(meltano_bin()), "invoke", "dbt-duckdb", "test", "--select",
                               "fct_inventory_levels dim_locations", "--exclude-resource-type", "unit_test"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL, check=False)
        output = proc.stdout + proc.stderr
        assert proc.returncode != 0, output[-3000:]
        failed = sorted(re.findall(r"Failure in test (\S+)", output))
        assert len(failed) == 2, output[-3000:]
        assert failed[0].startswith("not_null_columns_dim_locations_"), failed
        assert failed[1].startswith("not_null_columns_fct_inventory_levels_"), failed
        assert output.count("Got 1 result, configured to fail if != 0") == 2, output[-3000:]


def set_everywhere(servers, sku: str, quantity: int) -> None:
    """Set the sellable quantity of a single-location shared SKU on every platform (where the catalog stocked it:
    each platform's storefront default)."""
    shopify = servers["shopify"].truth()
    (item,) = [i["inventory_item_id"] for i in shopify["inventory_items"] if i["sku"] == sku]
    (level,) = [lv for lv in shopify["inventory_levels"] if lv["inventory_item_id"] == item and lv["available"] > 0]
    servers["shopify"].post("stock", set=[{"inventory_item_id": item, "location_id": level["location_id"],
                                           "quantities": {"available": quantity}}])
    bigcommerce = servers["bigcommerce"].truth()
    (variant,) = [i["inventory_item_id"] for i in bigcommerce["inventory_items"] if i["sku"] == sku]
    servers["bigcommerce"].post("stock", set=[{"variant_id": variant, "location_id": 1,
                                               "quantities": {"available": quantity}}])
    servers["magento"].post("stock", set=[{"sku": sku, "source_code": "default", "quantity": quantity,
                                           "status": 1}])
