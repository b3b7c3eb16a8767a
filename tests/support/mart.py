"""Compare a warehouse's `fct_inventory_levels` with the sandbox stores' ground truth, per channel.

The same proof as tests/e2e/test_*pipeline.py, for any warehouse: `rows(sql)` runs a query and returns
dicts with lower-case column names, whatever the warehouse's identifier case. The warehouse jobs run all
three taps (meltano.yml), so `sandboxes()` starts the three stores and `tap_env()` points every tap at them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import requests

QUANTITIES = ("available", "on_hand", "committed", "reserved", "incoming", "damaged", "quality_control", "safety_stock")
LEVEL_KEY = ("store_id", "location_id", "inventory_item_id")

Rows = Callable[[str], list[dict]]


@dataclass(frozen=True)
class Channel:
    name: str
    store: str
    present: tuple[str, ...]  # quantities the platform has; the others are null in the mart

    @property
    def absent(self) -> tuple[str, ...]:
        return tuple(q for q in QUANTITIES if q not in self.present)


SHOPIFY = Channel("shopify", "demo-store", QUANTITIES)
BIGCOMMERCE = Channel("bigcommerce", "demostore", ("available", "on_hand", "safety_stock"))
MAGENTO = Channel("magento", "demo-store", ("available", "on_hand", "committed", "reserved", "incoming"))
CHANNELS = (SHOPIFY, BIGCOMMERCE, MAGENTO)
STORE = SHOPIFY.store


@contextmanager
def sandboxes(items: int, seed: int) -> Iterator[dict[str, object]]:
    """The three sandbox stores the warehouse jobs read, keyed by channel name."""
    import inventory_sandbox

    with ExitStack() as stack:
        yield {
            "shopify": stack.enter_context(inventory_sandbox.ShopifySandbox(
                stores=[SHOPIFY.store], locations=4, items=items, seed=seed)),
            "bigcommerce": stack.enter_context(inventory_sandbox.BigCommerceSandbox(
                stores=[BIGCOMMERCE.store], locations=4, items=items, seed=seed, quota=10_000)),
            "magento": stack.enter_context(inventory_sandbox.MagentoSandbox(
                stores=[MAGENTO.store], locations=4, items=items, seed=seed)),
        }


def tap_env(stores: dict[str, object], env: dict[str, str]) -> dict[str, str]:
    """Every extractor pointed at its sandbox store (as scripts/demo.sh does)."""
    shopify, bigcommerce, magento = stores["shopify"], stores["bigcommerce"], stores["magento"]
    return {
        **env,
        "TAP_SHOPIFY_INVENTORY_STORE": SHOPIFY.store,
        "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": shopify.token(SHOPIFY.store),
        "TAP_SHOPIFY_INVENTORY_API_URL": shopify.api_url(SHOPIFY.store),
        "TAP_SHOPIFY_INVENTORY_LOOKBACK": "0",
        "TAP_BIGCOMMERCE_INVENTORY_STORE_HASH": BIGCOMMERCE.store,
        "TAP_BIGCOMMERCE_INVENTORY_ACCESS_TOKEN": bigcommerce.token(BIGCOMMERCE.store),
        "TAP_BIGCOMMERCE_INVENTORY_API_URL": bigcommerce.api_url(BIGCOMMERCE.store),
        "TAP_BIGCOMMERCE_INVENTORY_LOOKBACK": "0",
        "TAP_MAGENTO_INVENTORY_BASE_URL": magento.base_url(MAGENTO.store),
        "TAP_MAGENTO_INVENTORY_STORE_ID": MAGENTO.store,
        "TAP_MAGENTO_INVENTORY_ACCESS_TOKEN": magento.token(MAGENTO.store),
        "TAP_MAGENTO_INVENTORY_LOOKBACK": "0",
    }


def offline_tap_env(env: dict[str, str]) -> dict[str, str]:
    """Tap settings for runs that must stop before any tap starts (nothing listens on port 9)."""
    return {
        **env,
        "TAP_SHOPIFY_INVENTORY_STORE": SHOPIFY.store, "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": "shpat_unused",
        "TAP_SHOPIFY_INVENTORY_API_URL": "http://127.0.0.1:9/stores/demo-store",
        "TAP_BIGCOMMERCE_INVENTORY_STORE_HASH": BIGCOMMERCE.store, "TAP_BIGCOMMERCE_INVENTORY_ACCESS_TOKEN": "unused",
        "TAP_BIGCOMMERCE_INVENTORY_API_URL": "http://127.0.0.1:9/stores/demostore",
        "TAP_MAGENTO_INVENTORY_BASE_URL": "http://127.0.0.1:9/stores/demo-store",
        "TAP_MAGENTO_INVENTORY_STORE_ID": MAGENTO.store, "TAP_MAGENTO_INVENTORY_ACCESS_TOKEN": "unused",
    }


def control(sandbox, action: str, store: str = STORE, **body) -> dict:
    """The Shopify sandbox's control API (docs/interfaces.md §3)."""
    response = requests.post(f"{sandbox.url}/_sandbox/{action}", json={"store": store, **body}, timeout=30)
    response.raise_for_status()
    return response.json()


def mart_levels(rows: Rows, channel: Channel = SHOPIFY, schema: str = "analytics") -> dict[tuple, dict]:
    columns = ", ".join((*LEVEL_KEY, "sku", *QUANTITIES))
    found = rows(f"select {columns} from {schema}.fct_inventory_levels where channel = '{channel.name}'")
    keyed = {tuple(r[k] for k in LEVEL_KEY): r for r in found}
    assert len(keyed) == len(found), f"duplicate {channel.name} levels in fct_inventory_levels"
    return keyed


def truth_levels(sandbox, channel: Channel = SHOPIFY) -> dict[tuple, dict]:
    truth = sandbox.truth(channel.store)["inventory_levels"]
    return {
        tuple(r[k] for k in LEVEL_KEY): {**{k: r[k] for k in (*LEVEL_KEY, "sku", *channel.present)},
                                         **dict.fromkeys(channel.absent)}
        for r in truth
    }


def assert_mart_equals_truth(rows: Rows, sandbox, channel: Channel = SHOPIFY, schema: str = "analytics") -> int:
    """Same (store, location, item) levels with the same sku and quantities (null where the platform has
    none); nothing missing, nothing extra."""
    mart, truth = mart_levels(rows, channel, schema), truth_levels(sandbox, channel)
    missing = truth.keys() - mart.keys()
    extra = mart.keys() - truth.keys()
    differ = [k for k in truth.keys() & mart.keys() if truth[k] != mart[k]]
    assert not missing and not extra and not differ, (
        f"{channel.name}: {len(missing)} missing, {len(extra)} extra, {len(differ)} differ; "
        f"e.g. missing={sorted(missing)[:3]} extra={sorted(extra)[:3]} "
        f"differ={[(truth[k], mart[k]) for k in differ[:2]]}"
    )
    return len(truth)


def assert_all_channels_equal_truth(rows: Rows, stores: dict[str, object]) -> dict[str, int]:
    return {c.name: assert_mart_equals_truth(rows, stores[c.name], c) for c in CHANNELS}
