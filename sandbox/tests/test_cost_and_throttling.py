"""Cost model (computed by hand from the rule in docs/interfaces.md) and the leaky bucket."""

import time

from conftest import Client

from inventory_sandbox import ShopifySandbox
from inventory_sandbox.shopify.cost import multiplier

QUERY = """
query($n: Int!) {
  inventoryItems(first: 10) {
    edges { cursor node {
      id unitCost { amount }
      variant { id product { title } }
      ...Levels
    } }
    pageInfo { hasNextPage }
  }
}
fragment Levels on InventoryItem {
  inventoryLevels(first: $n) { nodes { id location { name } quantities(names: ["available"]) { quantity } } }
}"""


def test_measured_cost_of_a_known_query(client):
    # level node: 1 + location 1 + quantities (list, counted once) 1 = 3
    # levels connection, first 3: 2 + m(3)=2 * 3 = 8
    # item node: 1 + unitCost (MoneyV2) 0 + variant (1 + product 1) 2 + levels 8 = 11
    # items connection, first 10: 2 + m(10)=4 * 11 = 46
    body = client(QUERY, {"n": 3})
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 46
    # actual: n = nodes returned, the most expensive node counts
    nodes = [e["node"] for e in body["data"]["inventoryItems"]["edges"]]
    worst = max(1 + 0 + 2 + (2 + multiplier(len(n["inventoryLevels"]["nodes"])) * 3) for n in nodes)
    assert cost["actualQueryCost"] == 2 + multiplier(len(nodes)) * worst
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}


def test_measured_multiplier_steps():
    steps = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 7: 3, 8: 4, 12: 4, 13: 5, 20: 5, 21: 6, 39: 6, 40: 7, 59: 7,
             60: 8, 79: 8, 80: 9, 127: 9, 128: 10, 200: 10, 201: 11, 250: 11}
    assert {n: multiplier(n) for n in steps} == steps


def test_published_example_costs_25():
    # platform-apis.md: product(id){variants(first:250){nodes{inventoryItem{id tracked}}}} -> 25
    assert 1 + 2 + multiplier(250) * (1 + 1) == 25


def test_linear_cost_of_the_same_query():
    with ShopifySandbox(items=50, cost_model="linear") as sb:
        body = Client(sb)(QUERY, {"n": 3})
        # levels: 2 + 3 * 3 = 11; item: 1 + 0 + 2 + 11 = 14; items: 2 + 10 * 14 = 142
        assert body["extensions"]["cost"]["requestedQueryCost"] == 142
        nodes = [e["node"] for e in body["data"]["inventoryItems"]["edges"]]
        expected = 2 + sum(1 + 2 + 2 + 3 * len(n["inventoryLevels"]["nodes"]) for n in nodes)
        assert body["extensions"]["cost"]["actualQueryCost"] == expected
        # switch at run time
        sb.configure(cost_model="measured")
        assert Client(sb)(QUERY, {"n": 3})["extensions"]["cost"]["requestedQueryCost"] == 46


def test_mutation_costs_10_plus_its_payload_objects(fresh_client):
    body = fresh_client('mutation { bulkOperationCancel(id: "gid://shopify/BulkOperation/1") '
                        '{ userErrors { message } } }')
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10 + 1  # the mutation, the userErrors objects
    body = fresh_client('mutation { bulkOperationCancel(id: "gid://shopify/BulkOperation/1") '
                        '{ bulkOperation { id } userErrors { message } } }')
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10 + 1 + 1


def test_max_cost_exceeded_measured_and_linear(fresh, fresh_client):
    deep = """inventoryLevels(first: 250) { nodes { item { variant { product { id } } } location { id }
                quantities(names: ["available"]) { quantity } } }"""
    # level node 1 + item(1 + variant(1 + product 1)) 3 + location 1 + quantities 1 = 6
    # levels: 2 + 11 * 6 = 68; parent node 1 + 68 = 69; parent connection (250): 2 + 11 * 69 = 761; two = 1522
    q = f"{{ locations(first: 250) {{ nodes {{ {deep} }} }} inventoryItems(first: 250) {{ nodes {{ {deep} }} }} }}"
    fresh.reset_log()
    body = fresh_client(q)
    assert "data" not in body
    err = body["errors"][0]
    assert err["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 1522, "maxCost": 1000}
    assert err["message"].startswith("Query cost is 1522, which exceeds the single query max cost limit (1000)")
    status = body["extensions"]["cost"]["throttleStatus"]
    assert status["currentlyAvailable"] == status["maximumAvailable"]  # nothing charged
    fresh.configure(cost_model="linear")
    # linear: item node 1 + (2 + 5 * 1) = 8; items: 2 + 250 * 8 = 2002
    body = fresh_client("{ inventoryItems(first: 250) { nodes { inventoryLevels(first: 5) { nodes { id } } } } }")
    assert body["errors"][0]["extensions"]["cost"] == 2002
    log = fresh.log()
    assert log["max_cost_exceeded"] == 2


def test_throttled_when_bucket_is_small_then_recovers():
    with ShopifySandbox(items=100, bucket_size=20, restore_rate=10) as sb:
        client = Client(sb)
        q = "{ inventoryItems(first: 40) { nodes { id } } }"  # 2 + m(40)=7 * 1 = 9, returns 40 nodes
        bodies = [client(q) for _ in range(3)]
        assert [("data" in b) for b in bodies[:2]] == [True, True]
        throttled = bodies[2]
        assert "data" not in throttled
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
        cost = throttled["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 9 and cost["actualQueryCost"] is None
        assert cost["throttleStatus"]["maximumAvailable"] == 20.0
        assert cost["throttleStatus"]["restoreRate"] == 10.0
        wait = (9 - cost["throttleStatus"]["currentlyAvailable"]) / 10
        time.sleep(wait + 0.15)
        assert "data" in client(q)
        assert sb.log()["throttled"] == 1


def test_refund_to_actual_cost():
    with ShopifySandbox(items=100, bucket_size=1000, restore_rate=0.001) as sb:
        body = Client(sb)("{ locations(first: 250) { nodes { id } } }")
        cost = body["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 2 + 11 and cost["actualQueryCost"] == 2 + 1 * 1  # 2 active locations
        assert cost["throttleStatus"]["currentlyAvailable"] == 1000 - 3
        log = sb.log()
        assert log["cost_requested"] == 13 and log["cost_actual"] == 3


def test_config_changes_bucket(fresh, fresh_client):
    fresh.configure(bucket_size=5, restore_rate=1)
    body = fresh_client("{ inventoryItems(first: 40) { nodes { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 5.0
