"""The plain executor (shopify/fastexec.py) answers byte for byte as graphql-core does, and never goes stale.

Each request is answered twice by the same in-process app: once as served, once with the plain executor
switched off (graphql-core's ``execute`` for everything). Reads change nothing (the bucket is unlimited), so
the two answers must be the same bytes: data, errors and the cost extension.
"""

from __future__ import annotations

import json

import pytest

from inventory_sandbox.shopify import app as app_module
from inventory_sandbox.shopify.app import ShopifyApp, token_for
from inventory_sandbox.shopify.fastexec import Unsupported

STORE = "fast-store"
HEADERS = {"X-Shopify-Access-Token": token_for(STORE)}
QUANTITIES = '["available", "on_hand", "committed", "reserved", "incoming", "damaged", "quality_control", ' \
             '"safety_stock"]'

# The taps' paged queries, as tap-shopify-inventory builds them.
LEVELS = ("query($id: ID!, $first: Int!, $after: String, $query: String) { location(id: $id) { "
          "inventoryLevels(first: $first, after: $after, query: $query) { nodes { id updatedAt item { id sku } "
          f"quantities(names: {QUANTITIES}) {{ name quantity }} }} pageInfo {{ hasNextPage endCursor }} }} }} }}")
ITEMS = ("query($first: Int!, $after: String, $query: String) { inventoryItems(first: $first, after: $after, "
         "query: $query) { nodes { id sku tracked createdAt updatedAt unitCost { amount currencyCode } "
         "variant { id inventoryPolicy product { id } } } pageInfo { hasNextPage endCursor } } }")
LOCATIONS = ("query($first: Int!, $after: String) { locations(first: $first, after: $after, includeInactive: true, "
             "includeLegacy: true) { nodes { id name isActive fulfillsOnlineOrders updatedAt } "
             "pageInfo { hasNextPage endCursor } } }")

# Queries the plain executor answers itself.
PLAIN = [
    ("{ __typename shop: locations(first: 3) { edges { cursor node { __typename id legacyResourceId name "
     "createdAt } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }", {}),
    ("query Page($n: Int = 4) { inventoryItems(last: $n) { nodes { ...Item } } } "
     "fragment Item on InventoryItem { id sku requiresShipping variant { sku inventoryQuantity "
     "product { title legacyResourceId updatedAt } } inventoryLevels(first: 5) { nodes { id location { name } "
     "quantities(names: [\"on_hand\", \"available\"]) { id name quantity updatedAt } } } }", {}),
    ("query($id: ID!) { node(id: $id) { id ... on InventoryItem { sku tracked } ... on Location { name } } }",
     {"id": "gid://shopify/InventoryItem/40000000003"}),
    ("query($id: ID!) { node(id: $id) { __typename id ... on Location { isActive } } }",
     {"id": "gid://shopify/Location/60000000001"}),
    ("query($id: ID!) { node(id: $id) { id } }", {"id": "gid://shopify/InventoryItem/1"}),  # unknown: null
    ("{ location { id name } a: location { inventoryLevels(first: 2, query: \"sku:SKU-0001*\") { nodes { id } } } }",
     {}),
    ("query A { locations(first: 1) { nodes { id } } } query B { inventoryItems(first: 2) { nodes { id } } }",
     {"__operation": "B"}),
    ("{ inventoryItems(first: 3, query: \"updated_at:>='2025-11-01T00:00:00Z' OR sku:SKU-00002\") "
     "{ nodes { id updatedAt } } }", {}),
]

# Queries the plain executor leaves to graphql-core (errors, directives, introspection, bad variables).
LEFT_TO_GRAPHQL_CORE = [
    ("{ location { inventoryLevels(first: 2) { nodes { quantities(names: [\"nope\"]) { name } } } } }", {}),
    ("{ inventoryItems(first: 2, after: \"not-a-cursor\") { nodes { id } } }", {}),
    ("{ inventoryItems(first: 251) { nodes { id } } }", {}),
    ("{ inventoryItems { nodes { id } } }", {}),
    ("query($yes: Boolean!) { locations(first: 2) { nodes { id name @include(if: $yes) } } }", {"yes": False}),
    ("{ __schema { queryType { name } } }", {}),
    ("query($id: ID!) { node(id: $id) { id } }", {"id": "not-a-gid"}),
    ("query($first: Int!) { locations(first: $first) { nodes { id } } }", {"first": "many"}),
    ("query A { locations(first: 1) { nodes { id } } } query B { inventoryItems(first: 2) { nodes { id } } }", {}),
]


@pytest.fixture(scope="module")
def app():
    shop = ShopifyApp([STORE], locations=4, items=300, seed=5, bucket_size=1e12, restore_rate=1e12)
    yield shop
    shop.close()


def ask(app: ShopifyApp, query: str, variables: dict) -> bytes:
    variables = dict(variables)
    body = {"query": query, "variables": variables}
    if "__operation" in variables:
        body["operationName"] = variables.pop("__operation")
    reply, _ = app.graphql(STORE, "2025-07", HEADERS, json.dumps(body).encode())
    assert reply.status == 200, reply.body[:300]
    return reply.body


def reference(app: ShopifyApp, query: str, variables: dict, monkeypatch) -> bytes:
    """The same request answered by graphql-core alone."""
    def refuse(*_args, **_kwargs):
        raise Unsupported("switched off by the test")
    with monkeypatch.context() as patch:
        patch.setattr(app_module, "execute_query", refuse)
        return ask(app, query, variables)


def counting(monkeypatch) -> list:
    """Record whether each request was answered by the plain executor (True) or left to graphql-core."""
    outcomes: list[bool] = []
    real = app_module.execute_query

    def wrapper(*args, **kwargs):
        try:
            data = real(*args, **kwargs)
        except Unsupported:
            outcomes.append(False)
            raise
        outcomes.append(True)
        return data
    monkeypatch.setattr(app_module, "execute_query", wrapper)
    return outcomes


def page_through(app: ShopifyApp, query: str, variables: dict, path: list[str], first: int) -> list[bytes]:
    bodies, after = [], None
    while True:
        body = ask(app, query, {**variables, "first": first, "after": after})
        bodies.append(body)
        conn = json.loads(body)["data"]
        for key in path:
            conn = conn[key]
        if not conn["pageInfo"]["hasNextPage"]:
            return bodies
        after = conn["pageInfo"]["endCursor"]


@pytest.mark.parametrize(("query", "variables"), PLAIN)
def test_plain_queries_answer_as_graphql_core(app, monkeypatch, query, variables):
    expected = reference(app, query, variables, monkeypatch)
    outcomes = counting(monkeypatch)
    assert ask(app, query, variables) == expected
    assert outcomes == [True], "the plain executor should have answered this query itself"


@pytest.mark.parametrize(("query", "variables"), LEFT_TO_GRAPHQL_CORE)
def test_other_queries_are_left_to_graphql_core(app, monkeypatch, query, variables):
    expected = reference(app, query, variables, monkeypatch)
    outcomes = counting(monkeypatch)
    assert ask(app, query, variables) == expected
    assert True not in outcomes
    assert b'"errors"' in expected or b"__schema" in query.encode() or b"@include" in query.encode()


@pytest.mark.parametrize(("query", "path", "extra", "first"), [
    (LEVELS, ["location", "inventoryLevels"], {"id": "gid://shopify/Location/60000000002", "query": None}, 37),
    (LEVELS, ["location", "inventoryLevels"],
     {"id": "gid://shopify/Location/60000000001", "query": "updated_at:>='2025-12-01T00:00:00Z'"}, 37),
    (ITEMS, ["inventoryItems"], {"query": None}, 250),
    (LOCATIONS, ["locations"], {}, 3),
])
def test_taps_paging_answers_are_the_same_bytes(app, monkeypatch, query, path, extra, first):
    fast = page_through(app, query, extra, path, first=first)
    with monkeypatch.context() as patch:
        patch.setattr(app_module, "execute_query", lambda *a, **k: (_ for _ in ()).throw(Unsupported("off")))
        slow = page_through(app, query, extra, path, first=first)
    assert len(fast) > 1
    assert fast == slow


def test_a_change_between_two_pages_is_seen_by_the_next_page():
    """Nothing the answers are made of is cached: stock set between two reads shows in the second."""
    shop = ShopifyApp([STORE], locations=4, items=60, seed=3, bucket_size=1e12, restore_rate=1e12)
    try:
        variables = {"id": "gid://shopify/Location/60000000001", "first": 5, "after": None, "query": None}
        before = json.loads(ask(shop, LEVELS, variables))["data"]["location"]["inventoryLevels"]["nodes"][0]
        item_id = before["item"]["id"].rsplit("/", 1)[-1]
        reply = shop.control("POST", "stock", {}, {"store": STORE, "set": [
            {"inventory_item_id": item_id, "location_id": "60000000001", "quantities": {"available": 4321}}]})
        assert reply.status == 200
        after = json.loads(ask(shop, LEVELS, variables))["data"]["location"]["inventoryLevels"]["nodes"][0]
        assert after["id"] == before["id"]
        assert {q["name"]: q["quantity"] for q in after["quantities"]}["available"] == 4321
        assert after["updatedAt"] > before["updatedAt"]
        # the item disconnected from the location disappears from the next page read
        shop.control("POST", "disconnect", {}, {"store": STORE, "inventory_item_id": item_id,
                                                "location_id": "60000000001"})
        nodes = json.loads(ask(shop, LEVELS, variables))["data"]["location"]["inventoryLevels"]["nodes"]
        assert before["id"] not in {n["id"] for n in nodes}
    finally:
        shop.close()


def test_a_changed_query_text_is_parsed_anew(app):
    """The document cache is keyed by the whole text: a different selection gets its own answer."""
    one = json.loads(ask(app, "{ locations(first: 2) { nodes { id } } }", {}))
    two = json.loads(ask(app, "{ locations(first: 2) { nodes { id name } } }", {}))
    assert "name" not in one["data"]["locations"]["nodes"][0]
    assert "name" in two["data"]["locations"]["nodes"][0]
    broken = json.loads(ask(app, "{ locations(first: 2) { nodes { id } }", {}))
    assert broken["errors"] and "data" not in broken
