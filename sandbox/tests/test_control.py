"""Control API: stock changes, disconnects, deletions, locations, log."""

import time
from datetime import UTC, datetime

import requests
from conftest import STORE, level_key

ALL = '["available", "on_hand", "committed", "reserved", "incoming", "damaged", "quality_control", "safety_stock"]'
ITEM_LEVELS = """query($id: ID!) { inventoryItem(id: $id) { updatedAt inventoryLevels(first: 10) {
    nodes { id updatedAt quantities(names: NAMES) { name quantity } } } } }""".replace("NAMES", ALL)


def _levels_by_key(truth):
    return {(r["inventory_item_id"], r["location_id"]): r for r in truth["inventory_levels"]}


def _graphql_level(client, item_id, location_id):
    item = client.data(ITEM_LEVELS, {"id": f"gid://shopify/InventoryItem/{item_id}"})["inventoryItem"]
    for node in item["inventoryLevels"]["nodes"]:
        if level_key(node["id"]) == (item_id, location_id):
            return item, node
    return item, None


def test_random_stock_change_moves_updated_at_and_truth(fresh, fresh_client):
    before = _levels_by_key(fresh.truth())
    items_before = {r["inventory_item_id"]: r for r in fresh.truth()["inventory_items"]}
    started = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = fresh.change_stock(STORE, n=7, seed=3)
    assert len({(c["inventory_item_id"], c["location_id"]) for c in changed}) == 7
    after = _levels_by_key(fresh.truth())
    for c in changed:
        key = (c["inventory_item_id"], c["location_id"])
        row = after[key]
        assert row["updated_at"] >= started > before[key]["updated_at"]
        item, node = _graphql_level(fresh_client, *key)
        assert node["updatedAt"] == row["updated_at"]
        quantities = {q["name"]: q["quantity"] for q in node["quantities"]}
        assert quantities == {k: row[k] for k in quantities}
        assert item["updatedAt"] == items_before[key[0]]["updated_at"]  # items do not move on stock change
    untouched = set(before) - {(c["inventory_item_id"], c["location_id"]) for c in changed}
    assert all(before[k] == after[k] for k in untouched)
    for row in after.values():
        assert row["on_hand"] == (row["available"] + row["committed"] + row["reserved"] + row["damaged"]
                                  + row["safety_stock"] + row["quality_control"])
    # the same seed on an identical sandbox picks the same levels and quantities
    from inventory_sandbox import ShopifySandbox
    with ShopifySandbox(stores=[STORE], locations=4, items=120, seed=11) as twin:
        again = twin.change_stock(STORE, n=7, seed=3)
        assert [(c["inventory_item_id"], c["location_id"]) for c in again] == \
            [(c["inventory_item_id"], c["location_id"]) for c in changed]
        twin_rows = _levels_by_key(twin.truth())
        assert all(twin_rows[k]["available"] == after[k]["available"] for k in twin_rows)


def test_explicit_set_keeps_invariant_and_strictly_increases_updated_at(fresh):
    row = fresh.truth()["inventory_levels"][5]
    ref = {"inventory_item_id": row["inventory_item_id"], "location_id": row["location_id"]}
    first = fresh.set_stock(STORE, [{**ref, "quantities": {"available": 3, "damaged": 2}}])[0]
    second = fresh.set_stock(STORE, [{**ref, "quantities": {"on_hand": 40}}])[0]
    assert second["updated_at"] > first["updated_at"]
    now = _levels_by_key(fresh.truth())[(ref["inventory_item_id"], ref["location_id"])]
    assert now["on_hand"] == 40 and now["damaged"] == 2
    assert now["available"] == 40 - (now["committed"] + now["reserved"] + 2 + now["safety_stock"]
                                     + now["quality_control"])
    resp = requests.post(f"{fresh.url}/_sandbox/stock", json={"store": STORE, "set": [
        {**ref, "quantities": {"sellable": 1}}]})
    assert resp.status_code == 400


def test_incremental_query_sees_changed_levels(fresh, fresh_client):
    start = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.05)
    changed = {(c["inventory_item_id"], c["location_id"]) for c in fresh.change_stock(STORE, n=4, seed=9)}
    q = """query($q: String) { locations(first: 10, includeInactive: true, includeLegacy: true) { nodes {
             inventoryLevels(first: 250, query: $q) { nodes { id } } } } }"""
    got = {level_key(n["id"]) for loc in fresh_client.data(q, {"q": f"updated_at:>'{start}'"})["locations"]["nodes"]
           for n in loc["inventoryLevels"]["nodes"]}
    assert got == changed


def test_disconnect_delete_item_and_location(fresh, fresh_client):
    truth = fresh.truth()
    lvl = truth["inventory_levels"][0]
    fresh.disconnect(STORE, lvl["inventory_item_id"], lvl["location_id"])
    keys = set(_levels_by_key(fresh.truth()))
    assert (lvl["inventory_item_id"], lvl["location_id"]) not in keys
    _, node = _graphql_level(fresh_client, lvl["inventory_item_id"], lvl["location_id"])
    assert node is None

    victim = truth["inventory_items"][3]["inventory_item_id"]
    fresh.delete_item(STORE, victim)
    after = fresh.truth()
    assert victim not in {i["inventory_item_id"] for i in after["inventory_items"]}
    assert victim not in {r["inventory_item_id"] for r in after["inventory_levels"]}
    assert fresh_client.data(ITEM_LEVELS, {"id": f"gid://shopify/InventoryItem/{victim}"})["inventoryItem"] is None

    loc = truth["locations"][0]
    record = fresh.set_location_active(STORE, loc["location_id"], False)
    assert record["is_active"] is False and record["updated_at"] > loc["updated_at"]
    q = "{ locations(first: 10) { nodes { id } } }"
    assert len(fresh_client.data(q)["locations"]["nodes"]) == 1
    fresh.set_location_active(STORE, loc["location_id"], True)
    assert len(fresh_client.data(q)["locations"]["nodes"]) == 2


def test_control_errors(fresh):
    base = f"{fresh.url}/_sandbox"
    assert requests.get(f"{base}/truth?store=nope").status_code == 404
    assert requests.post(f"{base}/disconnect", json={"store": STORE, "inventory_item_id": "1",
                                                     "location_id": "2"}).status_code == 404
    assert requests.post(f"{base}/faults", json={"kind": "gremlins"}).status_code == 400
    assert requests.get(f"{base}/nothing-here").status_code == 404


def test_log_counters_and_reset(fresh, fresh_client):
    fresh.reset_log()
    fresh_client("{ locations(first: 1) { nodes { id } } }")
    fresh_client("{ locations(first: 1) { nodes { nope } } }")
    log = fresh.log()
    assert log["requests"] == 2 and log["graphql_requests"] == 2
    assert log["status_counts"] == {"200": 2}
    assert log["cost_requested"] == 3 and log["cost_actual"] == 3
    assert [q["requested_cost"] for q in log["queries"]] == [3, 3]
    assert log["queries"][0]["store"] == STORE and log["queries"][0]["status"] == 200
    fresh.reset_log()
    assert fresh.log()["graphql_requests"] == 0
