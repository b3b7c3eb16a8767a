"""The shared-catalog plan (inventory_sandbox.catalog) and what each platform seeds from it."""

from __future__ import annotations

import json
import urllib.request

import pytest

from inventory_sandbox.bigcommerce.app import BigCommerceApp
from inventory_sandbox.catalog import RECORD_CHANNEL, CatalogPlan, apply_catalog
from inventory_sandbox.magento.app import MagentoApp
from inventory_sandbox.server import SandboxServer
from inventory_sandbox.shopify.app import ShopifyApp

ITEMS = 48
APPS = {"shopify": (ShopifyApp, "demo-store"), "bigcommerce": (BigCommerceApp, "demostore"),
        "magento": (MagentoApp, "demo-store")}


def seeded(platform: str, plan: CatalogPlan | None):
    cls, store = APPS[platform]
    return apply_catalog(cls([store], locations=4, items=ITEMS, seed=7), plan), store


def sellable(platform: str, truth: dict) -> dict[str, int]:
    """Sum of available per tracked SKU at the locations that sell online (the mart's rule)."""
    active = {loc["location_id"] for loc in truth["locations"]
              if loc["is_active"] and loc.get("fulfills_online_orders") is not False}
    tracked = {i["inventory_item_id"]: i["sku"].strip().upper() for i in truth["inventory_items"] if i["is_tracked"]
               and i.get("type_id") not in ("configurable", "bundle", "grouped")}
    out: dict[str, int] = dict.fromkeys(tracked.values(), 0)
    for level in truth["inventory_levels"]:
        if level["inventory_item_id"] in tracked and level["location_id"] in active:
            out[tracked[level["inventory_item_id"]]] += level["available"]
    return out


def test_plan_is_deterministic_and_cases_use_distinct_skus():
    a, b = CatalogPlan(7, ITEMS), CatalogPlan(7, ITEMS)
    assert [c.as_dict() for c in a.cases] == [c.as_dict() for c in b.cases]
    assert [a.record_quantity(s) for s in a.skus] == [b.record_quantity(s) for s in b.skus]
    assert [c.as_dict() for c in CatalogPlan(8, ITEMS).cases] != [c.as_dict() for c in a.cases]
    named = [c.sku for c in a.cases if c.sku]
    assert len(named) == len(set(named))
    assert a.lowercase_sku not in named
    assert all(c.channel != RECORD_CHANNEL for c in a.cases)
    for case in a.cases:
        if case.kind == "above_system_of_record":
            assert a.quantity(case.channel, case.sku) > a.record_quantity(case.sku)
        if case.kind == "discrepancy":
            assert 0 <= a.quantity(case.channel, case.sku) < a.record_quantity(case.sku)
        if case.kind == "continue_with_nothing_available":
            assert a.quantity(case.channel, case.sku) == 0 == a.record_quantity(case.sku)
            assert a.policy(case.channel, case.sku) == "continue"


@pytest.mark.parametrize("platform", sorted(APPS))
def test_each_platform_sells_what_the_plan_says(platform):
    plan = CatalogPlan(7, ITEMS)
    app, store = seeded(platform, plan)
    truth = app.stores[store].data.truth()
    got = sellable(platform, truth)
    for sku in plan.skus:
        assert got.pop(sku) == plan.quantity(platform, sku), sku
    # what is left is the platform's own tracked items (the seeded anomalies, BigCommerce sibling variants of a
    # shared one), none with anything to sell
    specials = {c["sku"] for c in app.stores[store].data.scenario if not c["sku"].startswith("CAT-")}
    assert specials <= set(got)
    assert all(v == 0 for v in got.values())
    negative = [lv for lv in truth["inventory_levels"] if lv["available"] < 0]
    assert bool(negative) == (platform == "shopify")


def test_stock_looks_like_a_shop():
    """Few SKUs sold out, some running low, most stocked; spread over locations like a shop's."""
    plan = CatalogPlan(7, 2000)
    quantities = [plan.record_quantity(s) for s in plan.skus]
    assert plan.size == 800
    assert 0.03 < sum(q == 0 for q in quantities) / plan.size < 0.1
    assert 0.15 < sum(1 <= q <= 9 for q in quantities) / plan.size < 0.35
    assert max(quantities) <= 150
    for sku in plan.skus[:200]:
        parts = plan.spread("bigcommerce", sku, 5)
        assert sum(parts) == plan.quantity("bigcommerce", sku) and parts[0] == max(parts)
        if plan.single_location(sku) or plan.quantity("bigcommerce", sku) < 5:
            assert parts[1:] == [0, 0, 0, 0]
    assert sum(1 for s in plan.skus if sum(1 for p in plan.spread("shopify", s, 3) if p) > 1) > plan.size / 3


@pytest.mark.parametrize("platform", sorted(APPS))
def test_each_platform_spreads_stock_over_its_selling_locations(platform):
    plan = CatalogPlan(7, ITEMS)
    cls, store = APPS[platform]
    app = apply_catalog(cls([store], locations=6, items=ITEMS, seed=7), plan)
    truth = app.stores[store].data.truth()
    items = {i["inventory_item_id"]: i["sku"] for i in truth["inventory_items"]}
    stocked: dict[str, set] = {}
    for level in truth["inventory_levels"]:
        if level["available"] > 0:
            stocked.setdefault(items[level["inventory_item_id"]], set()).add(level["location_id"])
    assert any(len(where) > 1 for where in stocked.values()), platform
    assert all(len(stocked.get(s, ())) <= 1 for s in plan.skus if plan.single_location(s))
    got = sellable(platform, truth)
    assert {s: got[s] for s in plan.skus} == {s: plan.quantity(platform, s) for s in plan.skus}


def test_shopify_seeds_negative_stock_and_an_item_without_levels():
    plan = CatalogPlan(7, ITEMS)
    app, store = seeded("shopify", plan)
    truth = app.stores[store].data.truth()
    cases = {c["kind"]: c for c in app.stores[store].data.scenario}
    neg = [lv for lv in truth["inventory_levels"] if lv["available"] < 0]
    assert [(lv["inventory_item_id"], lv["location_id"]) for lv in neg] == [
        (cases["negative_stock"]["inventory_item_id"], cases["negative_stock"]["location_id"])]
    bare = cases["tracked_without_levels"]["inventory_item_id"]
    assert bare in {i["inventory_item_id"] for i in truth["inventory_items"] if i["is_tracked"]}
    assert bare not in {lv["inventory_item_id"] for lv in truth["inventory_levels"]}
    policies = {i["sku"]: i["oversell_policy"] for i in truth["inventory_items"]}
    assert [s for s, p in policies.items() if p == "continue"] == [cases["continue_with_nothing_available"]["sku"]]


def test_bigcommerce_lists_one_shared_sku_in_lower_case():
    plan = CatalogPlan(7, ITEMS)
    app, store = seeded("bigcommerce", plan)
    skus = {i["sku"] for i in app.stores[store].data.truth()["inventory_items"]}
    assert plan.lowercase_sku.lower() in skus and plan.lowercase_sku not in skus


def test_default_catalog_is_untouched_and_scenario_route():
    plain, store = seeded("shopify", None)
    fresh = ShopifyApp([store], locations=4, items=ITEMS, seed=7)
    assert plain.stores[store].data.truth() == fresh.stores[store].data.truth()
    app, _ = seeded("shopify", CatalogPlan(7, ITEMS))
    for target, expected in ((plain, "own"), (app, "shared")):
        server = SandboxServer(target, "127.0.0.1", 0).start()
        try:
            with urllib.request.urlopen(f"{server.url}/_sandbox/scenario", timeout=10) as resp:
                body = json.loads(resp.read())
        finally:
            server.stop()
        assert body["catalog"] == expected
    cases = body["stores"][store]["cases"]
    assert {c["kind"] for c in cases} == {c.kind for c in CatalogPlan(7, ITEMS).cases_for("shopify")}


def test_too_few_items_is_one_clear_error():
    with pytest.raises(ValueError, match="use more --items"):
        apply_catalog(ShopifyApp(["demo-store"], locations=4, items=8, seed=7), CatalogPlan(7, 8))
