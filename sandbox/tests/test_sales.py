"""The sales simulator: oversells counted against the physical stock, the order feed, restocks, the demand
processes and their export, the CLI. Expectations are worked out from the inputs by hand."""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
import sys

import pytest

from inventory_sandbox import BigCommerceSandbox, MagentoSandbox, ShopifySandbox
from inventory_sandbox.catalog import CatalogPlan, apply_catalog
from inventory_sandbox.demand import DemandProcess, assign
from inventory_sandbox.sales import Channel, Restock, SalesSimulator, export_daily_demand

SEED, ITEMS = 7, 40
PLAN = CatalogPlan(SEED, ITEMS)
SKU = next(s for s in PLAN.skus if s != PLAN.lowercase_sku and PLAN.policy("shopify", s) == "deny"
           and PLAN.single_location(s))  # every channel holds it at its storefront default, where show() sets it


@pytest.fixture(scope="module")
def stores():
    sandboxes = {"shopify": ShopifySandbox(stores=["sh"], items=ITEMS, seed=SEED),
                 "bigcommerce": BigCommerceSandbox(stores=["bc"], items=ITEMS, seed=SEED),
                 "magento": MagentoSandbox(stores=["mg"], items=ITEMS, seed=SEED)}
    for sb in sandboxes.values():
        apply_catalog(sb.app, PLAN)
        sb.start()
    yield sandboxes
    for sb in sandboxes.values():
        sb.stop()


def show(stores, units: int) -> None:
    """Every channel shows ``units`` of SKU (through the control API, as an operator would set it)."""
    sh, bc, mg = stores["shopify"], stores["bigcommerce"], stores["magento"]
    level = next(r for r in sh.truth("sh")["inventory_levels"] if r["sku"] == SKU and r["location_id"] == "60000000001")
    sh.set_stock("sh", [{"inventory_item_id": level["inventory_item_id"], "location_id": level["location_id"],
                         "quantities": {"available": units}}])
    variant = next(r for r in bc.truth("bc")["inventory_items"] if r["sku"] == SKU)
    bc.set_stock("bc", [{"variant_id": variant["variant_id"], "location_id": 1,
                         "quantities": {"safety_stock": 0, "on_hand": units}}])
    mg.set_stock("mg", [{"sku": SKU, "source_code": "default", "quantity": units, "status": 1}])


def channels(stores) -> dict[str, Channel]:
    return {name: Channel(name, sb.url, store) for (name, sb), store in zip(stores.items(), ("sh", "bc", "mg"),
                                                                             strict=True)}


def test_oversells_are_accepted_orders_the_physical_stock_cannot_fill(stores):
    show(stores, 4)
    # physical 4. t=1 shopify 2 (shows 4: accepted, pool 2); t=2 bigcommerce 2 (shows 4: accepted, pool 0);
    # t=3 magento 1 (shows 4: accepted, pool empty: oversell of 1); t=4 shopify 3 (shows 2: refused);
    # t=5 bigcommerce 2 (shows 2: accepted, pool empty: oversell of 2).
    schedule = [(1, "shopify", SKU, 2), (2, "bigcommerce", SKU, 2), (3, "magento", SKU, 1), (4, "shopify", SKU, 3),
                (5, "bigcommerce", SKU, 2)]
    summary = SalesSimulator(channels(stores), {SKU: 4}, schedule=schedule, record_channel="magento").run()
    t = summary["totals"]
    assert (t["orders"], t["accepted"], t["refused"], t["oversells"], t["oversold_units"]) == (5, 4, 1, 2, 3)
    assert summary["oversells"] == {"shopify": {}, "bigcommerce": {SKU: 1}, "magento": {SKU: 1}}
    assert summary["oversell_events"] == [{"t": 3, "channel": "magento", "sku": SKU, "units": 1, "short": 1},
                                          {"t": 5, "channel": "bigcommerce", "sku": SKU, "units": 2, "short": 2}]
    assert {n: c["refused"] for n, c in summary["channels"].items()} == {"shopify": 1, "bigcommerce": 0, "magento": 0}
    assert summary["skus"][SKU]["physical_end"] == 0 and summary["skus"][SKU]["oversold_units"] == 3
    assert summary["timeline"][0]["orders"] == 5
    assert t["refused_in_stock"] == 0  # shopify's 3 were refused with the pool empty: no sale was lost


def test_a_refusal_the_physical_stock_could_have_filled_is_a_lost_sale(stores):
    show(stores, 1)
    # physical 4, every channel shows 1: shopify's 2 are refused though the pool holds them (a lost sale);
    # bigcommerce's 1 is accepted (pool 3); magento's 4 are refused and the pool holds only 3 (not lost).
    schedule = [(1, "shopify", SKU, 2), (2, "bigcommerce", SKU, 1), (3, "magento", SKU, 4)]
    t = SalesSimulator(channels(stores), {SKU: 4}, schedule=schedule, record_channel="magento").run()["totals"]
    assert (t["accepted"], t["refused"], t["refused_in_stock"], t["oversells"]) == (1, 2, 1, 0)


def test_the_order_feed_lets_the_system_of_record_refuse_what_is_gone(stores):
    # physical 4, every channel shows 4. Shopify sells 3 at t=0; magento is asked for 2 at t=100.
    schedule = [(0, "shopify", SKU, 3), (100, "magento", SKU, 2)]
    show(stores, 4)
    without = SalesSimulator(channels(stores), {SKU: 4}, schedule=schedule, record_channel="magento").run()
    # no feed: magento still shows 4 and accepts; the pool has 1 left: an oversell of 1 unit
    assert (without["totals"]["oversells"], without["totals"]["oversold_units"]) == (1, 1)
    show(stores, 4)
    fed = SalesSimulator(channels(stores), {SKU: 4}, schedule=schedule, record_channel="magento", feed_lag_s=50).run()
    # the OMS feeds shopify's 3 into magento at t=50, so at t=100 magento shows 1 and refuses 2: no oversell
    assert fed["totals"]["oversells"] == 0 and fed["channels"]["magento"]["refused"] == 1
    assert fed["feed"] == {"sent": 1, "errors": 0}


def test_mirror_keeps_every_channel_showing_the_same_stock(stores):
    # physical 6, every channel shows 6. shopify sells 2, bigcommerce 3: mirrored, every channel shows 1, and
    # magento's order of 2 is refused (without the mirror it would have been accepted: an oversell).
    show(stores, 6)
    schedule = [(1, "shopify", SKU, 2), (2, "bigcommerce", SKU, 3), (3, "magento", SKU, 2)]
    summary = SalesSimulator(channels(stores), {SKU: 6}, schedule=schedule, record_channel="magento",
                             mirror=True).run()
    assert (summary["totals"]["accepted"], summary["totals"]["refused"], summary["totals"]["oversells"]) == (2, 1, 0)
    assert summary["mirror"] == {"on": True, "sent": 4, "errors": 0}  # 2 accepted orders x 2 other channels
    sellable = {name: sum(lv["available"] for lv in sb.truth(store)["inventory_levels"]
                          if lv["sku"] == SKU and lv["location_id"] in ("60000000001", "1", "default"))
                for (name, sb), store in zip(stores.items(), ("sh", "bc", "mg"), strict=True)}
    assert sellable == {"shopify": 1, "bigcommerce": 1, "magento": 1}


def test_skip_cases_leaves_the_seeded_cases_alone(stores):
    urls = {name: sb.url for name, sb in stores.items()}
    every = SalesSimulator.from_urls(urls, days=1, rate=1)
    skipped = SalesSimulator.from_urls(urls, days=1, rate=1, skip_cases=True)
    cases = {c.sku for c in PLAN.cases if c.sku}
    assert cases and cases <= set(every.skus)
    assert set(skipped.skus) == set(every.skus) - cases


def test_restocks_reach_the_pool_and_the_receiving_location(stores):
    show(stores, 1)
    # pool 1; restock of 5 every 12 h at magento's default source; magento orders 4 at t=13 h (shows 1 + 5)
    schedule = [(13 * 3600, "magento", SKU, 4)]
    summary = SalesSimulator(channels(stores), {SKU: 1}, schedule=schedule, record_channel="magento", days=1,
                             restock=Restock(12 * 3600, 5)).run()
    assert summary["totals"]["accepted"] == 1 and summary["totals"]["oversells"] == 0
    assert summary["skus"][SKU]["restocked"] == 5 and summary["skus"][SKU]["physical_end"] == 1 + 5 - 4


def test_demand_processes_have_the_shape_their_parameters_say():
    days, mean = 2000, 4.0

    def daily(process):
        rng = random_for(process.kind)
        return [sum(process.orders(rng, d)) for d in range(days)]

    smooth = daily(DemandProcess("smooth", mean))
    assert abs(statistics.mean(smooth) - mean) < 0.2 and abs(statistics.variance(smooth) - mean) < 0.6
    intermittent = daily(DemandProcess("intermittent", mean, occurrence=0.3))
    assert abs(sum(1 for x in intermittent if x == 0) / days - 0.7) < 0.04
    assert abs(statistics.mean(intermittent) - mean) < 0.4
    lumpy = daily(DemandProcess("lumpy", mean, occurrence=0.15, cv=1.0))
    assert abs(sum(1 for x in lumpy if x == 0) / days - 0.85) < 0.03
    assert statistics.pstdev(lumpy) / statistics.mean(lumpy) > 2 * statistics.pstdev(smooth) / statistics.mean(smooth)
    trending = DemandProcess("trending", mean, trend=0.05)
    assert (trending.expected(0), trending.expected(20)) == (mean, mean * 2)
    weekly = DemandProcess("seasonal_weekly", mean, weekly=(1, 1, 1, 1, 1, 2, 0))
    assert [round(weekly.expected(d), 6) for d in range(7)] == [4, 4, 4, 4, 4, 8, 0]
    assert weekly.expected(0, weekday=5) == 8  # a run starting on a Saturday
    assert DemandProcess.parse("lumpy:mean=3,occurrence=0.2").as_dict()["occurrence"] == 0.2
    assert assign(["A", "B", "C"], "mix", 2.0)["C"].kind == "lumpy"
    with pytest.raises(ValueError):
        DemandProcess("bursty")


def random_for(name: str):
    import random

    return random.Random(f"test:{name}")


def test_the_schedule_is_seeded_per_sku_and_the_daily_demand_exports(stores, tmp_path):
    chans = channels(stores)
    one = SalesSimulator(chans, {"A": 5}, seed=3, days=3, rate=5, demand="mix").orders()
    two = SalesSimulator(chans, {"A": 5, "B": 5}, seed=3, days=3, rate=5, demand="mix").orders()
    assert [(e.t, e.units, e.channel) for e in one] == [(e.t, e.units, e.channel) for e in two if e.sku == "A"]
    assert one != SalesSimulator(chans, {"A": 5}, seed=4, days=3, rate=5, demand="mix").orders()
    show(stores, 50)
    summary = SalesSimulator(chans, {SKU: 50}, seed=3, days=2, rate=6, demand="smooth",
                             record_channel="magento").run()
    path = export_daily_demand(summary, tmp_path / "daily.csv")
    rows = list(csv.DictReader(path.open()))
    assert sum(int(r["demanded_units"]) for r in rows) == summary["totals"]["units_requested"]
    assert {r["date"] for r in rows} <= {"2026-01-05", "2026-01-06"} and rows[0]["kind"] == "smooth"


def test_the_cli_runs_against_servers_and_writes_a_summary(stores, tmp_path):
    out = tmp_path / "summary.json"
    proc = subprocess.run([sys.executable, "-m", "inventory_sandbox", "sales", "--shopify", stores["shopify"].url,
                           "--bigcommerce", stores["bigcommerce"].url, "--magento", stores["magento"].url,
                           "--seed", "2", "--days", "1", "--rate", "3", "--skus", "4", "--mirror",
                           "--output", str(out), "--demand-csv", str(tmp_path / "d.csv")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(out.read_text())
    t = summary["totals"]
    assert t["orders"] == t["accepted"] + t["refused"] + t["errors"] and t["errors"] == 0
    assert len(summary["skus"]) == 4 and summary["record_channel"] == "magento"
    assert summary["mirror"] == {"on": True, "sent": 2 * t["accepted"], "errors": 0}
    assert proc.stderr.strip().startswith(f"sales: {t['orders']} orders")
