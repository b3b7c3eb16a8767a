"""inventorySetQuantities / inventoryAdjustQuantities: scopes, compare-and-set per API version, @idempotent,
user errors, all-or-nothing, cost, the write log."""

from __future__ import annotations

import pytest
import requests

from inventory_sandbox import ShopifySandbox

STORE = "demo-store"
SET = """mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input)%s {
  inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta quantityAfterChange item { id } } }
  userErrors { code field message } } }"""
ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $input)%s {
  inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } } userErrors { code field message } } }"""


@pytest.fixture
def shop():
    with ShopifySandbox(stores=[STORE], locations=3, items=30, seed=5, bucket_size=100_000,
                        restore_rate=100_000) as sb:
        yield sb


def post(sb, query, variables, version="2026-10", token=None):
    resp = requests.post(sb.graphql_url(STORE, version), json={"query": query, "variables": variables},
                         headers={"X-Shopify-Access-Token": token or sb.write_token(STORE)}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def levels(sb):
    return {(r["inventory_item_id"], r["location_id"]): r for r in sb.truth(STORE)["inventory_levels"]}


def stocked(sb, n=2):
    """``n`` levels with some stock, as (item gid, location gid, available, level record)."""
    rows = [r for r in levels(sb).values() if r["available"] >= 3][:n]
    return [(f"gid://shopify/InventoryItem/{r['inventory_item_id']}", f"gid://shopify/Location/{r['location_id']}",
             r["available"], r) for r in rows]


def set_input(rows, reason="correction", **extra):
    return {"name": "available", "reason": reason, "referenceDocumentUri": "inventory-push://plan/p1",
            "quantities": [{"inventoryItemId": i, "locationId": loc, "quantity": q, **f} for i, loc, q, f in rows],
            **extra}


def test_the_store_token_may_not_write_the_write_token_may(shop):
    (item, loc, avail, _), = stocked(shop, 1)
    query = SET % ' @idempotent(key: "a")'
    body = post(shop, query, {"input": set_input([(item, loc, 1, {"changeFromQuantity": avail})])},
                token=shop.token(STORE))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "`write_inventory`" in body["errors"][0]["message"]
    shop.configure(write_scopes=["read_inventory", "read_locations", "read_products"], store=STORE)
    assert post(shop, query, {"input": set_input([(item, loc, 1, {"changeFromQuantity": avail})])}
                )["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert shop.log()["writes"] == 0
    shop.configure(write_scopes=["read_inventory", "read_locations", "write_inventory"], store=STORE)
    scopes = post(shop, "{ currentAppInstallation { accessScopes { handle } } }", {})
    assert {s["handle"] for s in scopes["data"]["currentAppInstallation"]["accessScopes"]} == {
        "read_inventory", "read_locations", "write_inventory"}
    ok = post(shop, query, {"input": set_input([(item, loc, 1, {"changeFromQuantity": avail})])})
    assert ok["data"]["inventorySetQuantities"]["userErrors"] == []


def test_change_from_quantity_sets_when_it_matches_and_moves_updated_at(shop):
    (item, loc, avail, row), = stocked(shop, 1)
    body = post(shop, SET % ' @idempotent(key: "k1")',
                {"input": set_input([(item, loc, avail - 2, {"changeFromQuantity": avail})])})
    payload = body["data"]["inventorySetQuantities"]
    assert payload["userErrors"] == []
    group = payload["inventoryAdjustmentGroup"]
    assert group["id"].startswith("gid://shopify/InventoryAdjustmentGroup/")
    assert (group["reason"], group["referenceDocumentUri"]) == ("correction", "inventory-push://plan/p1")
    assert {(c["name"], c["delta"]) for c in group["changes"]} == {("available", -2), ("on_hand", -2)}
    after = levels(shop)[(row["inventory_item_id"], row["location_id"])]
    assert after["available"] == avail - 2 and after["updated_at"] > row["updated_at"]
    log = shop.log()
    assert (log["writes"], log["write_rows"]) == (1, 1)
    assert log["write_log"][-1]["change_id"] == group["id"]
    # 10 for the mutation + adjustment group, its changes, their items, the user errors: 1 each
    assert body["extensions"]["cost"]["requestedQueryCost"] == 14


def test_a_stale_change_from_quantity_writes_nothing_not_even_the_other_rows(shop):
    (i1, l1, a1, r1), (i2, l2, a2, r2) = stocked(shop, 2)
    shop.set_stock(STORE, [{"inventory_item_id": r2["inventory_item_id"], "location_id": r2["location_id"],
                            "quantities": {"available": a2 - 1}}])  # a sale after the plan observed a2
    body = post(shop, SET % ' @idempotent(key: "k2")', {"input": set_input([
        (i1, l1, 9, {"changeFromQuantity": a1}), (i2, l2, 9, {"changeFromQuantity": a2})])})
    payload = body["data"]["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    assert payload["userErrors"] == [{"code": "CHANGE_FROM_QUANTITY_STALE",
                                      "field": ["input", "quantities", "1", "changeFromQuantity"],
                                      "message": "The changeFromQuantity value does not match persisted value."}]
    now = levels(shop)
    assert now[(r1["inventory_item_id"], r1["location_id"])]["available"] == a1
    assert now[(r2["inventory_item_id"], r2["location_id"])]["available"] == a2 - 1
    assert shop.log()["writes"] == 0 and shop.log()["write_requests"] == 1


def test_2026_04_needs_the_directive_and_change_from_quantity_on_every_row(shop):
    (item, loc, avail, row), = stocked(shop, 1)
    no_key = post(shop, SET % "", {"input": set_input([(item, loc, 1, {"changeFromQuantity": avail})])})
    assert no_key["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert no_key["errors"][0]["message"] == ("The @idempotent directive is required for this mutation but was "
                                              "not provided.")
    omitted = post(shop, SET % ' @idempotent(key: "k")', {"input": set_input([(item, loc, 1, {})])})
    assert omitted["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    old_field = post(shop, SET % ' @idempotent(key: "k")',
                     {"input": set_input([(item, loc, 1, {"compareQuantity": avail})])})
    assert old_field["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    assert "compareQuantity" in old_field["errors"][0]["message"]
    assert levels(shop)[(row["inventory_item_id"], row["location_id"])]["available"] == avail
    skipped = post(shop, SET % ' @idempotent(key: "k3")',
                   {"input": set_input([(item, loc, 1, {"changeFromQuantity": None})])})
    assert skipped["data"]["inventorySetQuantities"]["userErrors"] == []  # null opts out of the check
    assert levels(shop)[(row["inventory_item_id"], row["location_id"])]["available"] == 1


def test_a_repeated_idempotency_key_answers_the_first_result_without_applying_again(shop):
    (item, loc, avail, row), = stocked(shop, 1)
    variables = {"input": set_input([(item, loc, avail + 5, {"changeFromQuantity": avail})])}
    first = post(shop, SET % ' @idempotent(key: "plan-1-row-1")', variables)
    key = (row["inventory_item_id"], row["location_id"])
    shop.set_stock(STORE, [{"inventory_item_id": key[0], "location_id": key[1], "quantities": {"available": 2}}])
    again = post(shop, SET % ' @idempotent(key: "plan-1-row-1")', variables)
    assert again["data"] == first["data"]
    assert levels(shop)[key]["available"] == 2  # not set again
    other = dict(variables["input"], reason="received")
    mismatch = post(shop, SET % ' @idempotent(key: "plan-1-row-1")', {"input": other})
    assert mismatch["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    log = shop.log()
    assert (log["writes"], log["write_requests"]) == (1, 3)


def test_before_2026_01_compare_quantity_and_ignore_compare_quantity(shop):
    (item, loc, avail, row), = stocked(shop, 1)
    key = (row["inventory_item_id"], row["location_id"])
    required = post(shop, SET % "", {"input": set_input([(item, loc, 1, {})])}, version="2025-07")
    assert required["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED"
    stale = post(shop, SET % "", {"input": set_input([(item, loc, 1, {"compareQuantity": avail + 1})])},
                 version="2025-07")
    assert stale["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_STALE"
    assert levels(shop)[key]["available"] == avail
    ignored = post(shop, SET % "", {"input": set_input([(item, loc, 4, {})], ignoreCompareQuantity=True)},
                   version="2025-07")
    assert ignored["data"]["inventorySetQuantities"]["userErrors"] == []
    assert levels(shop)[key]["available"] == 4
    unknown = post(shop, SET % "", {"input": set_input([(item, loc, 1, {"changeFromQuantity": 4})])},
                   version="2025-07")
    assert unknown["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    directive = post(shop, SET % ' @idempotent(key: "x")',
                     {"input": set_input([(item, loc, 5, {"compareQuantity": 4})])}, version="2025-07")
    assert directive["errors"][0]["extensions"]["code"] == "undefinedDirective"
    # 2026-01: changeFromQuantity wins over compareQuantity; the directive is optional
    both = post(shop, SET % "",
                {"input": set_input([(item, loc, 6, {"compareQuantity": 99, "changeFromQuantity": 4})])},
                version="2026-01")
    assert both["data"]["inventorySetQuantities"]["userErrors"] == []
    assert levels(shop)[key]["available"] == 6


def test_user_errors_and_the_input_size_limit(shop):
    (item, loc, avail, _), = stocked(shop, 1)
    query = SET % ' @idempotent(key: "e")'
    bad_reason = post(shop, query, {"input": set_input([(item, loc, 1, {"changeFromQuantity": avail})], reason="oops")})
    assert bad_reason["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "INVALID_REASON"
    bad_name = post(shop, SET % ' @idempotent(key: "f")',
                    {"input": dict(set_input([(item, loc, 1, {"changeFromQuantity": avail})]), name="committed")})
    assert bad_name["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "INVALID_NAME"
    rows = [(item, loc, -1, {"changeFromQuantity": avail}), ("gid://shopify/InventoryItem/1", loc, 1,
                                                             {"changeFromQuantity": 0})]
    errors = post(shop, SET % ' @idempotent(key: "g")', {"input": set_input(rows)}
                  )["data"]["inventorySetQuantities"]["userErrors"]
    assert [e["code"] for e in errors] == ["INVALID_QUANTITY_NEGATIVE", "INVALID_INVENTORY_ITEM"]
    big = [(item, loc, 1, {"changeFromQuantity": avail})] * 251
    too_many = post(shop, SET % ' @idempotent(key: "h")', {"input": set_input(big)})
    assert too_many["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert shop.log()["writes"] == 0


def test_adjust_applies_deltas_with_change_from_quantity(shop):
    (item, loc, avail, row), = stocked(shop, 1)
    key = (row["inventory_item_id"], row["location_id"])
    change = {"inventoryItemId": item, "locationId": loc, "delta": -2, "changeFromQuantity": avail}
    body = post(shop, ADJUST % ' @idempotent(key: "a1")',
                {"input": {"name": "available", "reason": "correction", "changes": [change]}})
    group = body["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]
    assert {(c["name"], c["delta"], c["quantityAfterChange"]) for c in group["changes"]} == {
        ("available", -2, avail - 2), ("on_hand", -2, row["on_hand"] - 2)}
    stale = post(shop, ADJUST % ' @idempotent(key: "a2")',
                 {"input": {"name": "available", "reason": "correction", "changes": [change]}})
    assert stale["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    ledger = post(shop, ADJUST % ' @idempotent(key: "a3")', {"input": {
        "name": "available", "reason": "correction",
        "changes": [dict(change, changeFromQuantity=avail - 2, ledgerDocumentUri="app://x/1")]}})
    assert ledger["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"] == "INVALID_AVAILABLE_DOCUMENT"
    assert levels(shop)[key]["available"] == avail - 2
