"""BigCommerce adjustments: write scope, limits, all-or-nothing, "absolute first", safety stock, delayed reads."""

from __future__ import annotations

import time

import pytest
import requests

from inventory_sandbox import BigCommerceSandbox

STORE = "writes"


@pytest.fixture
def bc():
    with BigCommerceSandbox(stores=[STORE], locations=3, items=40, seed=4, quota=10_000) as sb:
        yield sb


def adjust(sb, mode, items, token=None):
    method = requests.put if mode == "absolute" else requests.post
    return method(f"{sb.api_url(STORE)}/v3/inventory/adjustments/{mode}", json={"reason": "test", "items": items},
                  headers={"X-Auth-Token": token or sb.write_token(STORE)}, timeout=10)


def by_variant(sb) -> dict:
    items = {r["inventory_item_id"]: r for r in sb.truth(STORE)["inventory_items"]}
    return next(r for r in items.values() if r["inventory_tracking"] == "variant")


def on_hand(sb, vid, location="1") -> int:
    return next(r["on_hand"] for r in sb.truth(STORE)["inventory_levels"]
                if r["variant_id"] == str(vid) and r["location_id"] == location)


def read_on_hand(sb, vid, location=1) -> int:
    resp = requests.get(f"{sb.api_url(STORE)}/v3/inventory/locations/{location}/items",
                        params={"variant_id:in": vid}, headers={"X-Auth-Token": sb.token(STORE)}, timeout=10)
    return resp.json()["data"][0]["total_inventory_onhand"]


def test_the_store_token_is_read_only_and_an_empty_probe_tells_scope_without_writing(bc):
    vid = int(by_variant(bc)["variant_id"])
    refused = adjust(bc, "absolute", [{"location_id": 1, "variant_id": vid, "quantity": 5}], token=bc.token(STORE))
    assert refused.status_code == 403 and refused.json()["errors"] == {"scope": "missing store_inventory"}
    assert adjust(bc, "relative", [], token=bc.token(STORE)).status_code == 403
    probe = adjust(bc, "relative", [])
    assert probe.status_code == 422 and probe.headers["Content-Type"] == "application/problem+json"
    assert bc.log()["writes"] == 0


def test_absolute_then_relative_with_transaction_ids_and_the_write_log(bc):
    vid = int(by_variant(bc)["variant_id"])
    first = adjust(bc, "absolute", [{"location_id": 2, "variant_id": vid, "quantity": 30}])
    second = adjust(bc, "relative", [{"location_id": 2, "variant_id": vid, "quantity": -4}])
    assert first.status_code == second.status_code == 200
    assert first.json()["transaction_id"] != second.json()["transaction_id"]
    assert on_hand(bc, vid, "2") == 26
    log = bc.log()
    assert (log["writes"], log["write_rows"]) == (2, 2)
    assert [w["endpoint"] for w in log["write_log"]] == ["adjustments/absolute", "adjustments/relative"]
    assert log["write_log"][-1]["rows"][0]["on_hand"] == 26


def test_a_relative_adjustment_needs_an_absolute_one_first(bc):
    by_variant_ids = {r["variant_id"] for r in bc.truth(STORE)["inventory_items"]
                      if r["inventory_tracking"] == "variant"}
    never_set = next(r for r in bc.truth(STORE)["inventory_levels"]  # seeded empty: never set absolutely
                     if r["on_hand"] == 0 and r["variant_id"] in by_variant_ids)
    item = {"location_id": int(never_set["location_id"]), "variant_id": int(never_set["variant_id"]), "quantity": 2}
    refused = adjust(bc, "relative", [item])
    assert refused.status_code == 422
    assert refused.json()["title"] == (f"Items with identity: [variant_id {item['variant_id']}] requires absolute "
                                       "adjustment before relative")
    assert adjust(bc, "absolute", [dict(item, quantity=0)]).status_code == 200
    assert adjust(bc, "relative", [item]).status_code == 200


def test_relative_below_safety_stock_is_refused_and_a_batch_applies_all_or_nothing(bc):
    vid = int(by_variant(bc)["variant_id"])
    other = next(int(r["variant_id"]) for r in bc.truth(STORE)["inventory_items"]
                 if r["inventory_tracking"] == "variant" and int(r["variant_id"]) != vid)
    bc.set_stock(STORE, [{"variant_id": vid, "location_id": 1, "quantities": {"safety_stock": 10, "on_hand": 50}},
                         {"variant_id": other, "location_id": 1, "quantities": {"on_hand": 20}}])
    # the guide's example: 50 on hand, safety stock 10, -41 would leave less than the buffer
    refused = adjust(bc, "relative", [{"location_id": 1, "variant_id": other, "quantity": -5},
                                      {"location_id": 1, "variant_id": vid, "quantity": -41}])
    assert refused.status_code == 422
    assert (on_hand(bc, other), on_hand(bc, vid)) == (20, 50)  # not even the first item moved
    assert adjust(bc, "relative", [{"location_id": 1, "variant_id": vid, "quantity": -40}]).status_code == 200
    assert on_hand(bc, vid) == 10
    assert adjust(bc, "absolute", [{"location_id": 1, "variant_id": vid, "quantity": 0}]).status_code == 200
    too_many = adjust(bc, "absolute", [{"location_id": 1, "variant_id": vid, "quantity": 1}] * 2001)
    assert too_many.status_code == 422 and "2000" in too_many.json()["errors"]["items"]


def test_reads_lag_writes_when_configured_and_orders_still_count_at_once(bc):
    vid = int(by_variant(bc)["variant_id"])
    bc.set_stock(STORE, [{"variant_id": vid, "location_id": 1, "quantities": {"safety_stock": 0, "on_hand": 20}}])
    assert bc.configure(read_lag_ms=400)["read_lag_ms"] == 400
    assert adjust(bc, "relative", [{"location_id": 1, "variant_id": vid, "quantity": 5}]).status_code == 200
    sku = next(r["sku"] for r in bc.truth(STORE)["inventory_items"] if r["variant_id"] == str(vid))
    order = requests.post(f"{bc.url}/_sandbox/order", json={"store": STORE, "sku": sku, "quantity": 2,
                                                             "location_id": 1}, timeout=10).json()
    assert order["accepted"] and (order["before"], order["after"]) == (25, 23)  # the storefront sees the write
    assert on_hand(bc, vid) == 23  # so does the ground truth
    assert read_on_hand(bc, vid) == 18  # the API does not show the +5 yet, but shows the order
    time.sleep(0.45)
    assert read_on_hand(bc, vid) == 23
