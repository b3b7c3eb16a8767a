"""Small mart tables in the shapes of the mart contract (helper brief / docs/monitoring.md), with known problems.

The alert and report tests build these themselves, so they do not depend on a sync; the end-to-end alert test
uses the real marts instead. `execute(sql)` runs one statement on DuckDB or PostgreSQL (portable SQL only).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

Execute = Callable[[str], object]

TABLES = {
    "fct_inventory_levels": "channel varchar, store_id varchar, location_id varchar, location_name varchar, "
                            "inventory_item_id varchar, sku varchar, available integer, on_hand integer",
    "fct_inventory_discrepancies": "sku varchar, channel varchar, store_id varchar, sellable_quantity integer, "
                                   "record_channel varchar, record_store_id varchar, record_quantity integer, "
                                   "difference integer, is_discrepancy boolean",
    "fct_oversell_risk": "sku varchar, channel varchar, store_id varchar, risk_reason varchar, "
                         "sellable_quantity integer, record_quantity integer, excess_units integer",
    "fct_inventory_anomalies": "channel varchar, store_id varchar, location_id varchar, inventory_item_id varchar, "
                               "sku varchar, anomaly_type varchar, observed_at timestamp, quantity integer, "
                               "previous_quantity integer, detail varchar",
    "mart_inventory_accuracy": "grain varchar, period_start timestamp, skus_compared integer, skus_accurate integer, "
                               "accuracy double precision",
    "fct_stockout_forecast": "sku varchar, channel varchar, store_id varchar, sellable_quantity integer, "
                             "units_per_day double precision, days_of_cover double precision, projected_stockout_date date",
    "fct_sku_channel_availability": "sku varchar, channel varchar, store_id varchar, sellable_quantity integer",
    "mart_system_of_record": "record_channel varchar, record_store_id varchar, is_set boolean, record_skus integer, "
                             "status varchar",
}
STORES = (("shopify", "demo-store"), ("bigcommerce", "demostore"), ("magento", "demo-store"))
RECORD = ("magento", "demo-store")

# The seeded problems: what the alerts must name.
DISCREPANT = [("SKU-RED-1", "shopify", "demo-store", 12, 9), ("SKU-BLUE-2", "bigcommerce", "demostore", 4, 7)]
OVERSELL = [("SKU-RED-1", "shopify", "demo-store", "above_system_of_record", 12, 9, 3),
            ("SKU-GREEN-3", "bigcommerce", "demostore", "continue_with_nothing_available", 0, 0, 0)]
ANOMALIES = [("magento", "demo-store", "src-2", "4001", "SKU-TEAL-4", "negative_stock", -3, 2),
             ("shopify", "demo-store", "11", "5002", "SKU-GOLD-5", "abnormal_change", 480, 12)]


def _q(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value).replace("'", "''")
    if isinstance(value, datetime):
        return f"timestamp '{text}'"
    if isinstance(value, date):
        return f"date '{text}'"
    return f"'{text}'"


def insert(execute: Execute, table: str, rows: list[tuple]) -> None:
    if rows:
        values = ", ".join("(" + ", ".join(_q(v) for v in row) + ")" for row in rows)
        execute(f"insert into analytics.{table} values {values}")


def build(execute: Execute, today: date) -> None:
    """Create the contract tables in schema `analytics` with the seeded problems and some healthy rows."""
    execute("create schema if not exists analytics")
    for table, columns in TABLES.items():
        execute(f"drop table if exists analytics.{table}")
        execute(f"create table analytics.{table} ({columns})")
    insert(execute, "fct_inventory_levels", [
        (channel, store, loc, f"{channel} warehouse {loc}", str(1000 + i), f"SKU-{i}", 10 * i + n, 10 * i + n + 2)
        for n, (channel, store) in enumerate(STORES)
        for loc in ("1", "2")
        for i in range(1, 6)
    ])
    insert(execute, "fct_sku_channel_availability", [
        (f"SKU-{i}", channel, store, 2 * (10 * i + n)) for n, (channel, store) in enumerate(STORES) for i in range(1, 6)])
    insert(execute, "mart_system_of_record", [(*RECORD, True, 5, "ok")])
    insert(execute, "fct_inventory_discrepancies",
           [(sku, ch, st, sell, "magento", "demo-store", rec, sell - rec, True) for sku, ch, st, sell, rec in DISCREPANT]
           + [(f"SKU-{i}", "shopify", "demo-store", i, "magento", "demo-store", i, 0, False) for i in range(1, 9)])
    insert(execute, "fct_oversell_risk", OVERSELL)
    insert(execute, "fct_inventory_anomalies", [
        (ch, st, loc, item, sku, kind, datetime(2026, 1, 2, 3, 4, 5), qty, prev, None)
        for ch, st, loc, item, sku, kind, qty, prev in ANOMALIES
    ])
    start = datetime.combine(today, datetime.min.time()) - timedelta(days=6)
    insert(execute, "mart_inventory_accuracy", [
        ("run", start + timedelta(days=i), 10, 10 - (i % 3), (10 - (i % 3)) / 10) for i in range(7)
    ] + [("day", start, 10, 9, 0.9)])
    insert(execute, "fct_stockout_forecast", [
        ("SKU-RED-1", "shopify", "demo-store", 9, 3.0, 3.0, today + timedelta(days=3)),
        ("SKU-BLUE-2", "bigcommerce", "demostore", 7, 1.0, 7.0, today + timedelta(days=7)),
        ("SKU-TEAL-4", "magento", "demo-store", 0, 2.0, 0.0, today),
        ("SKU-9", "magento", "demo-store", 300, 1.0, 300.0, today + timedelta(days=300)),
        ("SKU-8", "shopify", "demo-store", 50, 0.0, None, None),
    ])


def freshness_results(path: Path, stale: bool) -> Path:
    """A dbt `sources.json` with each channel's `sync_runs` (where freshness is measured); with `stale`, Magento
    has not completed a sync for 9 hours."""
    now = datetime.now(timezone.utc)
    results = []
    for name, age in (("shopify.sync_runs", 60), ("bigcommerce.sync_runs", 120),
                      ("magento.sync_runs", 9 * 3600 if stale else 90)):
        status = "warn" if age > 7200 else "pass"
        results.append({
            "unique_id": f"source.inventory.{name}", "status": status,
            "max_loaded_at": (now - timedelta(seconds=age)).isoformat(), "snapshotted_at": now.isoformat(),
            "max_loaded_at_time_ago_in_s": float(age),
            "criteria": {"warn_after": {"count": 2, "period": "hour"}, "error_after": {"count": None, "period": None}},
        })
    path.write_text(json.dumps({"metadata": {"generated_at": now.isoformat()}, "results": results}))
    return path
