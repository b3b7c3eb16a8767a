"""Three sandbox stores (the shared catalog) on loopback, a plan table built from what they show, and the
environment a push reads. Nothing is faked: the push talks HTTP to the stores and SQL to a real warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import requests
from inventory_sandbox import BigCommerceSandbox, MagentoSandbox, ShopifySandbox
from inventory_sandbox.catalog import CatalogPlan, apply_catalog
from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401
from singer_inventory_kit.testing import IN_CI, needs, needs_module  # noqa: F401 - the repo's one "in CI"

SEED, ITEMS = 7, 40
CATALOG = CatalogPlan(SEED, ITEMS)
STORES = {"shopify": "demo-store", "bigcommerce": "demostore", "magento": "demo-store"}
COLUMNS = {  # the plan contract (README.md), with the warehouse types the push reads
    "plan_id": "varchar", "plan_row_id": "varchar", "mode": "varchar", "channel": "varchar", "store_id": "varchar",
    "location_id": "varchar", "sku": "varchar", "inventory_item_id": "varchar", "variant_id": "varchar",
    "product_id": "varchar", "source_code": "varchar", "inventory_tracking": "varchar", "safety_stock": "integer",
    "observed_quantity": "integer", "observed_at": "timestamp", "observed_sync_run": "varchar",
    "planned_quantity": "integer", "is_action": "boolean", "hold_reason": "varchar", "record_synced_at": "timestamp",
    "record_sync_complete": "boolean"}


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Stores:
    shopify: ShopifySandbox
    bigcommerce: BigCommerceSandbox
    magento: MagentoSandbox

    def __iter__(self):
        return iter((("shopify", self.shopify), ("bigcommerce", self.bigcommerce), ("magento", self.magento)))

    def writes(self) -> dict[str, int]:
        return {name: sb.log()["writes"] for name, sb in self}

    def level(self, channel: str, sku: str) -> dict:
        """The level an order of ``sku`` takes from (the one the plan writes), as the truth shows it now."""
        sb = dict(self)[channel]
        truth = sb.truth(STORES[channel])
        levels = [r for r in truth["inventory_levels"] if r["sku"] == CATALOG.listed_sku(channel, sku)]
        if channel == "shopify":
            return next(r for r in levels if r["location_id"] == "60000000001")
        if channel == "bigcommerce":
            item = next(r for r in truth["inventory_items"] if r["variant_id"] == levels[0]["variant_id"])
            level = next(r for r in levels if r["location_id"] == "1")
            return {**level, "inventory_tracking": item["inventory_tracking"]}
        return next(r for r in levels if r["location_id"] == "default")

    def shown(self, channel: str, sku: str) -> int:
        return int(self.level(channel, sku)["available"])

    def order(self, channel: str, sku: str, quantity: int = 1) -> dict:
        sb = dict(self)[channel]
        answer = requests.post(f"{sb.url}/_sandbox/order", json={"store": STORES[channel], "quantity": quantity,
                                                                 "sku": CATALOG.listed_sku(channel, sku)}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def stores():
    started = Stores(ShopifySandbox(stores=[STORES["shopify"]], items=ITEMS, seed=SEED),
                     BigCommerceSandbox(stores=[STORES["bigcommerce"]], items=ITEMS, seed=SEED),
                     MagentoSandbox(stores=[STORES["magento"]], items=ITEMS, seed=SEED))
    for _, sb in started:
        apply_catalog(sb.app, CATALOG)
        sb.start()
    yield started
    for _, sb in started:
        sb.stop()


def skus(n: int, at_least: int = 6) -> list[str]:
    """``n`` shared SKUs every channel shows with at least ``at_least`` units, sold with the deny policy, all at the
    storefront default location (the level ``Stores.level`` reads; the catalog spreads other SKUs)."""
    found = [s for s in CATALOG.skus if all(CATALOG.quantity(c, s) >= at_least for c in STORES)
             and CATALOG.policy("shopify", s) == "deny" and CATALOG.single_location(s)]
    assert len(found) >= n
    return found[:n]


def env_for(stores: Stores, path: Path, write: bool = True, **extra: str) -> dict[str, str]:
    """What Meltano would export: the taps' variables (their read-only tokens) and, with ``write``, the push's
    write-token overrides."""
    env = {
        "INVENTORY_PUSH_WAREHOUSE": "duckdb", "INVENTORY_PUSH_PATH": str(path),
        "TAP_SHOPIFY_INVENTORY_STORE": STORES["shopify"],
        "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": stores.shopify.token(STORES["shopify"]),
        "TAP_SHOPIFY_INVENTORY_API_URL": stores.shopify.api_url(STORES["shopify"]),
        "TAP_BIGCOMMERCE_INVENTORY_STORE_HASH": STORES["bigcommerce"], "TAP_BIGCOMMERCE_INVENTORY_ACCESS_TOKEN":
            stores.bigcommerce.token(STORES["bigcommerce"]),
        "TAP_BIGCOMMERCE_INVENTORY_API_URL": stores.bigcommerce.api_url(STORES["bigcommerce"]),
        "TAP_MAGENTO_INVENTORY_BASE_URL": stores.magento.base_url(STORES["magento"]),
        "TAP_MAGENTO_INVENTORY_ACCESS_TOKEN": stores.magento.token(STORES["magento"]),
        "TAP_MAGENTO_INVENTORY_STORE_ID": STORES["magento"],
        "INVENTORY_PUSH_TIMEOUT_SECONDS": "10", "INVENTORY_PUSH_MAX_RETRIES": "2",
    }
    if write:
        env.update({"INVENTORY_PUSH_SHOPIFY_ACCESS_TOKEN": stores.shopify.write_token(STORES["shopify"]),
                    "INVENTORY_PUSH_BIGCOMMERCE_ACCESS_TOKEN": stores.bigcommerce.write_token(STORES["bigcommerce"]),
                    "INVENTORY_PUSH_MAGENTO_ACCESS_TOKEN": stores.magento.write_token(STORES["magento"])})
    env.update(extra)
    return env


@dataclass
class PlanBuilder:
    """Plan rows from what the stores show now (the observation a sync would make), into a DuckDB table."""
    stores: Stores
    plan_id: str = "plan-1"
    mode: str = "system_of_record"
    rows: list[dict] = field(default_factory=list)

    def add(self, channel: str, sku: str, planned: int, observed: int | None = None, **overrides) -> dict:
        level = self.stores.level(channel, sku)
        observed = int(level["available"]) if observed is None else observed
        row = {"plan_id": self.plan_id, "mode": self.mode, "channel": channel, "store_id": STORES[channel],
               "location_id": level["location_id"], "sku": CATALOG.listed_sku(channel, sku),
               "inventory_item_id": level["inventory_item_id"], "variant_id": level.get("variant_id"),
               "product_id": level.get("product_id"),
               "source_code": level["location_id"] if channel == "magento" else None,
               "inventory_tracking": level.get("inventory_tracking"), "safety_stock": level.get("safety_stock"),
               "observed_quantity": observed, "observed_at": now() - timedelta(seconds=30),
               "observed_sync_run": "sync-1", "planned_quantity": planned, "is_action": observed != planned,
               "hold_reason": None, "record_synced_at": now() - timedelta(minutes=1), "record_sync_complete": True}
        row.update(overrides)
        row["plan_row_id"] = row.get("plan_row_id") or (
            f"{self.plan_id}:{channel}:{row['location_id']}:{row['sku']}:{row['observed_quantity']}->{planned}")
        self.rows.append(row)
        return row

    def write(self, path: Path, schema: str = "analytics", table: str = "fct_inventory_push_plan",
              columns: dict[str, str] = COLUMNS) -> Path:
        with duckdb.connect(str(path)) as con:
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create or replace table {schema}.{table} "
                        f"({', '.join(f'{c} {t}' for c, t in columns.items())})")
            con.executemany(f"insert into {schema}.{table} values ({', '.join('?' * len(columns))})",
                            [[r.get(c) for c in columns] for r in self.rows])
        return path


def audit(path: Path, sql: str = "select * from push.push_log order by at") -> list[dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]
