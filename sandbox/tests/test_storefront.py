"""POST /_sandbox/order and /_sandbox/receive: one atomic check-and-take per order, on each platform's terms."""

from __future__ import annotations

import threading

import requests

from inventory_sandbox import BigCommerceSandbox, MagentoSandbox, ShopifySandbox
from inventory_sandbox.catalog import CatalogPlan, apply_catalog

SEED, ITEMS = 7, 40


def order(sb, store, sku, quantity=1, **extra):
    resp = requests.post(f"{sb.url}/_sandbox/order", json={"store": store, "sku": sku, "quantity": quantity, **extra},
                         timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def shared(sandbox_cls, store, **kwargs):
    sb = sandbox_cls(stores=[store], items=ITEMS, seed=SEED, **kwargs)
    apply_catalog(sb.app, CatalogPlan(SEED, ITEMS))
    return sb


def test_orders_take_shown_stock_until_none_is_left_on_every_platform():
    plan = CatalogPlan(SEED, ITEMS)
    sku = next(s for s in plan.skus if plan.quantity("shopify", s) == plan.quantity("bigcommerce", s)
               == plan.record_quantity(s) and 2 <= plan.record_quantity(s) <= 20 and s != plan.lowercase_sku
               and plan.single_location(s))
    stock = plan.record_quantity(sku)
    with shared(ShopifySandbox, "sh") as sh, shared(BigCommerceSandbox, "bc") as bc, shared(MagentoSandbox, "mg") as mg:
        for sb, store in ((sh, "sh"), (bc, "bc"), (mg, "mg")):
            answers = [order(sb, store, sku, 2) for _ in range(stock // 2 + 2)]
            accepted = [a for a in answers if a["accepted"]]
            assert len(accepted) == stock // 2, sb  # each order of 2 while at least 2 show
            assert answers[0]["before"] == stock and accepted[-1]["after"] == stock % 2
            assert not answers[-1]["accepted"] and answers[-1]["after"] == stock % 2
            received = requests.post(f"{sb.url}/_sandbox/receive", json={"store": store, "sku": sku, "quantity": 5},
                                     timeout=10).json()
            assert received["after"] == stock % 2 + 5
            forced = order(sb, store, sku, 100, force=True)  # an OMS import takes the units regardless
            assert forced["accepted"]


def test_orders_without_a_location_are_routed_over_the_selling_locations_default_first():
    """A SKU the catalog spread over several locations: orders take the storefront default's stock first, then the
    next location's; every unit shown is sold, no more; the answer names where the order took from."""
    plan = CatalogPlan(SEED, ITEMS)
    with shared(ShopifySandbox, "sh", locations=6) as sh, shared(BigCommerceSandbox, "bc", locations=6) as bc, \
            shared(MagentoSandbox, "mg", locations=6) as mg:
        for sb, store, platform in ((sh, "sh", "shopify"), (bc, "bc", "bigcommerce"), (mg, "mg", "magento")):
            truth = sb.truth(store)
            items = {i["inventory_item_id"]: i["sku"] for i in truth["inventory_items"]}
            per_sku: dict[str, list] = {}
            for level in truth["inventory_levels"]:
                if level["available"] > 0 and items[level["inventory_item_id"]].startswith("CAT-"):
                    per_sku.setdefault(items[level["inventory_item_id"]], []).append(level)
            sku, levels = next((s, lv) for s, lv in sorted(per_sku.items())
                               if len(lv) > 1 and plan.policy(platform, s) == "deny")
            stock = sum(lv["available"] for lv in levels)
            assert stock == plan.quantity(platform, sku)
            answers = [order(sb, store, sku, 1) for _ in range(stock + 2)]
            assert [a["accepted"] for a in answers] == [True] * stock + [False, False], platform
            assert [a["before"] for a in answers[:stock]] == list(range(stock, 0, -1))  # the total shown
            assert len({a["location_id"] for a in answers[:stock]}) == len(levels)  # every location gave
            left = [lv for lv in sb.truth(store)["inventory_levels"] if lv["inventory_item_id"] ==
                    levels[0]["inventory_item_id"] and lv["available"] > 0]
            assert left == [], platform


def test_continue_policy_sells_past_zero_and_concurrent_orders_never_oversell_a_deny_item():
    plan = CatalogPlan(SEED, ITEMS)
    continues = next(c.sku for c in plan.cases if c.kind == "continue_with_nothing_available")
    with shared(ShopifySandbox, "sh") as sh:
        sold = order(sh, "sh", continues, 3)
        assert sold["accepted"] and sold["policy"] == "continue" and sold["after"] == -3
        sku = next(s for s in plan.skus
                   if 10 <= plan.quantity("shopify", s) <= 30 and plan.policy("shopify", s) == "deny")
        stock, results = plan.quantity("shopify", sku), []

        def buy():
            results.append(order(sh, "sh", sku, 1)["accepted"])

        threads = [threading.Thread(target=buy) for _ in range(stock + 10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(results) == stock  # the check and the take are one step under the store's lock
        level = next(r for r in sh.truth("sh")["inventory_levels"] if r["sku"] == sku and r["committed"])
        assert (level["available"], level["committed"]) == (0, stock)


def test_bad_order_requests_are_400_or_404():
    with ShopifySandbox(stores=["sh"], items=10) as sh:
        bad = requests.post(f"{sh.url}/_sandbox/order", json={"store": "sh", "sku": "SKU-00001", "quantity": 0},
                            timeout=10)
        assert bad.status_code == 400
        missing = requests.post(f"{sh.url}/_sandbox/order", json={"store": "sh", "sku": "NOPE"}, timeout=10)
        assert missing.status_code == 404
