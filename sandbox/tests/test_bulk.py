"""Bulk operations: lifecycle, limits, JSONL with __parentId."""

import json
import time

import requests
from conftest import level_key

RUN = """mutation($q: String!, $g: Boolean) { bulkOperationRunQuery(query: $q, groupObjects: $g) {
  bulkOperation { id status } userErrors { field message } } }"""
POLL = """query($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode objectCount
  rootObjectCount fileSize url partialDataUrl query type createdAt completedAt } } }"""

LEVELS_BY_LOCATION = """{ locations(includeInactive: true, includeLegacy: true) { edges { node { id name
  inventoryLevels { edges { node { id updatedAt item { id }
    quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } } } } } }"""


def run_bulk(client, query, group=False, expect_running=True):
    payload = client.data(RUN, {"q": query, "g": group})["bulkOperationRunQuery"]
    assert payload["userErrors"] == []
    op_id = payload["bulkOperation"]["id"]
    statuses = [payload["bulkOperation"]["status"]]
    deadline = time.time() + 20
    while time.time() < deadline:
        node = client.data(POLL, {"id": op_id})["node"]
        statuses.append(node["status"])
        if node["status"] in ("COMPLETED", "FAILED", "CANCELED"):
            break
        time.sleep(0.03)
    assert statuses[0] == "CREATED"
    if expect_running:
        assert "RUNNING" in statuses
    return node


def read_jsonl(url):
    resp = requests.get(url)
    assert resp.status_code == 200
    return [json.loads(line) for line in resp.text.splitlines()]


def test_bulk_levels_reconstruct_the_same_levels_as_truth(client, sandbox):
    node = run_bulk(client, LEVELS_BY_LOCATION)
    assert node["status"] == "COMPLETED" and node["url"].startswith(sandbox.url + "/_sandbox/bulk/")
    assert node["type"] == "QUERY" and node["completedAt"].endswith("Z")
    rows = read_jsonl(node["url"])
    assert int(node["objectCount"]) == len(rows) and int(node["rootObjectCount"]) == 4
    assert int(node["fileSize"]) == len(requests.get(node["url"]).content)
    locations = {r["id"] for r in rows if "__parentId" not in r}
    levels = [r for r in rows if "__parentId" in r]
    assert all(r["__parentId"] in locations for r in levels)
    got = {level_key(r["id"]): {q["name"]: q["quantity"] for q in r["quantities"]} for r in levels}
    assert all(level_key(r["id"])[1] == r["__parentId"].rsplit("/", 1)[-1] for r in levels)
    truth = sandbox.truth(streams=["inventory_levels"])["inventory_levels"]
    assert got == {(t["inventory_item_id"], t["location_id"]):
                   {"available": t["available"], "on_hand": t["on_hand"], "committed": t["committed"]}
                   for t in truth}
    # ungrouped: children do not simply follow their parents
    parents_first = all("__parentId" not in r for r in rows[:4])
    assert not parents_first
    assert client.data("{ currentBulkOperation { id status } }")["currentBulkOperation"]["id"] == node["id"]


def test_bulk_items_with_nodes_syntax_and_grouping(client, sandbox):
    query = """{ inventoryItems { nodes { id sku unitCost { amount currencyCode } variant { inventoryPolicy }
                 inventoryLevels { nodes { id location { id } } } } } }"""
    node = run_bulk(client, query, group=True)
    rows = read_jsonl(node["url"])
    assert int(node["rootObjectCount"]) == 500
    current = None
    for r in rows:  # grouped: each child right after its parent (or its siblings)
        if "__parentId" not in r:
            current = r["id"]
        else:
            assert r["__parentId"] == current
    truth_items = sandbox.truth(streams=["inventory_items"])["inventory_items"]
    assert [r["id"].rsplit("/", 1)[-1] for r in rows if "__parentId" not in r] == \
        [t["inventory_item_id"] for t in truth_items]


def test_bulk_limits_and_invalid_queries(fresh_client):
    def errors_for(q):
        return fresh_client.data(RUN, {"q": q})["bulkOperationRunQuery"]["userErrors"]

    no_connection = '{ location(id: "gid://shopify/Location/60000000001") { id } }'
    assert "at least one connection" in errors_for(no_connection)[0]["message"]
    too_deep = """{ locations { edges { node { id inventoryLevels { edges { node { id
                   location { inventoryLevels { edges { node { id } } } } } } } } } } }"""
    assert "nesting depth" in errors_for(too_deep)[0]["message"]
    no_parent_id = "{ locations { edges { node { name inventoryLevels { edges { node { id } } } } } } }"
    assert "must select the 'id' field" in errors_for(no_parent_id)[0]["message"]
    assert "Invalid bulk query" in errors_for("{ inventoryItems { nodes { colour } } }")[0]["message"]
    six = "{ " + " ".join(f"a{i}: locations {{ nodes {{ id }} }}" for i in range(6)) + " }"
    assert "more than 5" in errors_for(six)[0]["message"]


def test_one_running_bulk_per_store_and_cancel(fresh, fresh_client):
    fresh.configure(bulk_delay_ms=2000)
    first = fresh_client.data(RUN, {"q": LEVELS_BY_LOCATION})["bulkOperationRunQuery"]["bulkOperation"]
    second = fresh_client.data(RUN, {"q": LEVELS_BY_LOCATION})["bulkOperationRunQuery"]
    assert second["bulkOperation"] is None
    assert second["userErrors"][0]["message"] == ("A bulk query operation for this app and shop is already in "
                                                  f"progress: {first['id']}")
    cancel = fresh_client.data("""mutation($id: ID!) { bulkOperationCancel(id: $id) {
        bulkOperation { id status } userErrors { message } } }""", {"id": first["id"]})["bulkOperationCancel"]
    assert cancel["userErrors"] == [] and cancel["bulkOperation"]["status"] == "CANCELING"
    deadline = time.time() + 5
    while fresh_client.data(POLL, {"id": first["id"]})["node"]["status"] != "CANCELED":
        assert time.time() < deadline
        time.sleep(0.05)
    fresh.configure(bulk_delay_ms=50)
    node = run_bulk(fresh_client, LEVELS_BY_LOCATION, expect_running=False)
    assert node["status"] == "COMPLETED"


def test_bulk_with_no_results_has_no_url(fresh_client):
    node = run_bulk(fresh_client, '{ inventoryItems(query: "sku:NOPE") { edges { node { id } } } }')
    assert node["status"] == "COMPLETED" and node["objectCount"] == "0" and node["url"] is None


def test_log_tells_how_long_each_bulk_export_took(fresh, fresh_client):
    fresh.reset_log()
    node = run_bulk(fresh_client, LEVELS_BY_LOCATION)
    logged = fresh.log()["bulk_operations"]
    assert len(logged) == 1
    entry = logged[0]
    assert entry["id"] == node["id"] and entry["status"] == "COMPLETED"
    assert entry["objects"] == int(node["objectCount"]) and entry["bytes"] == int(node["fileSize"])
    assert entry["root_objects"] == 4
    assert 0 < entry["export_s"] <= entry["finished_s"]
    assert entry["finished_s"] >= 0.15  # the configured bulk_delay_ms of the fixture
    fresh.reset_log()
    assert fresh.log()["bulk_operations"] == []
