"""Magento sandbox: paged answers from kept selections are byte-identical to filtering and sorting the whole
collection on every request, and a change between two page reads shows on the next page (no stale selection).

The reference below is the straightforward answer: build every row, ``search.apply`` (filter, sort, page).
"""

from __future__ import annotations

import json

import pytest
from conftest import crit

from inventory_sandbox.magento import search
from inventory_sandbox.magento.app import SELECTIONS_KEPT, STOCK_ITEM_CRITERIA_MAPPER, MagentoApp, token_for

STORE = "demo-store"
HEADERS = {"Authorization": f"Bearer {token_for(STORE)}"}


def answer(app: MagentoApp, route: str, query: dict) -> bytes:
    reply = app.handle("GET", f"/stores/{STORE}/rest/default/V1/{route}", dict(query), HEADERS, b"")
    assert reply.status == 200, reply.body[:300]
    return reply.body


def reference(app: MagentoApp, route: str, query: dict) -> bytes:
    """The answer as built before selections were kept: every row, filtered, sorted and paged per request."""
    data = app.stores[STORE].data
    if route == "stockItems/lowStock":
        qty, size = float(query["qty"]), int(query.get("pageSize", "0") or 0)
        page = max(1, int(query.get("currentPage", "1") or 1))
        rows = [r for r in (data.stock_item_body(p) for p in data.products.values()) if r["qty"] <= qty]
        total = len(rows)
        if size:
            last = max(1, -(-total // size))
            if page > last:
                rows, page = ([] if not app.repeat_last_page else rows), last
            rows = rows[(page - 1) * size: page * size]
        criteria = {"mapper_interface_name": STOCK_ITEM_CRITERIA_MAPPER, "criteria_list": [], "filters": [],
                    "orders": [], "limit": [str(page), str(size)]}
        return json.dumps({"items": rows, "search_criteria": criteria, "total_count": total}).encode()
    if route == "products":
        rows = [{**data.product_body(p), "entity_id": p["id"]} for p in data.products.values()]
    else:
        rows = [dict(i) for i in data.sorted_source_items()]
    criteria = search.parse(query)
    page_rows, total = search.apply(rows, criteria, repeat_last_page=app.repeat_last_page)
    items = [{k: v for k, v in r.items() if k != "entity_id"} for r in page_rows]
    return json.dumps({"items": items, "search_criteria": criteria.echo, "total_count": total}).encode()


@pytest.fixture
def app():
    return MagentoApp(stores=[STORE], locations=4, items=300, seed=11)


def skus(app, n, start=0):
    return [p["sku"] for p in list(app.stores[STORE].data.products.values())[start:start + n]]


def queries(app):
    """Lists a tap and a person would page through: plain, sorted, filtered by SKU (index path), by time."""
    some = ",".join(skus(app, 20, start=5) + ["NO-SUCH-SKU"])
    return [
        ("inventory/source-items", lambda page: crit(sort=[("sku", "ASC"), ("source_code", "ASC")], size=50,
                                                       page=page)),
        ("inventory/source-items", lambda page: crit([("source_code", "default", "eq")],
                                                       sort=[("quantity", "DESC")], size=40, page=page)),
        ("products", lambda page: crit(sort=[("updated_at", "ASC"), ("entity_id", "ASC")], size=30, page=page)),
        ("products", lambda page: crit([("updated_at", "2025-12-01 00:00:00", "gteq")],
                                       sort=[("updated_at", "DESC"), ("entity_id", "ASC")], size=25, page=page)),
        ("products", lambda page: crit([("sku", some, "in")], sort=[("entity_id", "ASC")], size=7, page=page)),
        ("products", lambda page: crit([("sku", skus(app, 1, start=9)[0], "eq"), ("sku", "MG-0003%", "like")],
                                       size=5, page=page)),
        ("products", lambda page: crit([("sku", "1,2", "in")], size=5, page=page)),  # numbers: no index shortcut
        ("products", lambda page: crit([("type_id", "configurable", "neq")], [("sku", some, "in")],
                                       sort=[("name", "ASC")], size=6, page=page)),
        ("stockItems/lowStock", lambda page: {"scopeId": "0", "qty": "1000000000", "pageSize": "40",
                                              "currentPage": str(page)}),
        ("stockItems/lowStock", lambda page: {"scopeId": "0", "qty": "10", "pageSize": "15",
                                              "currentPage": str(page)}),
    ]


MUTATIONS = [
    ("stock", lambda d: {"store": STORE, "changes": 25, "seed": 3}),
    ("stock", lambda d: {"store": STORE, "set": [{"sku": next(iter(d.source_items))[0], "source_code": "default",
                                                   "quantity": 0}]}),
    ("touch_products", lambda d: {"store": STORE, "changes": 12, "seed": 5}),
    ("delete_source_item", lambda d: {"store": STORE, "sku": sorted(d.source_items)[3][0],
                                      "source_code": sorted(d.source_items)[3][1]}),
    ("delete_product", lambda d: {"store": STORE, "sku": sorted(d.source_items)[0][0]}),
    ("source", lambda d: {"store": STORE, "source_code": "eu-warehouse", "enabled": False}),
    ("reservation", lambda d: {"store": STORE, "sku": sorted(d.source_items)[5][0], "stock_id": 1,
                               "quantity": -3}),
    ("bad_data", lambda d: {"store": STORE}),
]


def test_every_page_matches_the_reference_before_and_after_each_change(app):
    data = app.stores[STORE].data
    for route, make in queries(app):
        for page in (1, 2, 3, 50):  # 50: past the end, the last page again
            assert answer(app, route, make(page)) == reference(app, route, make(page)), (route, page)
    for control_route, body in MUTATIONS:
        before = data.generation
        reply = app.control("POST", control_route, {}, body(data))
        assert reply.status == 200, reply.body
        assert data.generation > before, f"{control_route} changed the data without marking it changed"
        for route, make in queries(app):
            for page in (1, 2, 50):
                assert answer(app, route, make(page)) == reference(app, route, make(page)), (control_route, route)


def test_change_between_two_page_reads_shows_on_the_next_page(app):
    data = app.stores[STORE].data
    query = lambda page: crit(sort=[("sku", "ASC"), ("source_code", "ASC")], size=10, page=page)  # noqa: E731
    first = json.loads(answer(app, "inventory/source-items", query(1)))
    second_key = sorted(data.source_items)[10]
    app.control("POST", "stock", {}, {"store": STORE, "set": [
        {"sku": second_key[0], "source_code": second_key[1], "quantity": 987654}]})
    app.control("POST", "delete_source_item", {}, {"store": STORE, "sku": first["items"][0]["sku"],
                                                    "source_code": first["items"][0]["source_code"]})
    second = json.loads(answer(app, "inventory/source-items", query(2)))
    assert second["total_count"] == first["total_count"] - 1
    # one row left page 1, so page 2 now starts one row later: with row 10 (was 11th) moved to page 1
    assert second["items"][0] == dict(data.source_items[sorted(data.source_items)[10]])
    assert [i["quantity"] for i in second["items"]].count(987654.0) == 0  # it moved onto page 1 ...
    again = json.loads(answer(app, "inventory/source-items", query(1)))
    assert again["items"][-1]["quantity"] == 987654.0  # ... where a re-read finds it with its new quantity
    lowstock = {"scopeId": "0", "qty": "1000000000", "pageSize": "500", "currentPage": "1"}
    before = {i["product_id"]: i["qty"] for i in json.loads(answer(app, "stockItems/lowStock", lowstock))["items"]}
    app.control("POST", "stock", {}, {"store": STORE, "set": [{"sku": second_key[0], "source_code": "default",
                                                                "quantity": 4321}]})
    after = {i["product_id"]: i["qty"] for i in json.loads(answer(app, "stockItems/lowStock", lowstock))["items"]}
    changed = {pid for pid in after if after[pid] != before.get(pid)}
    assert [after[pid] for pid in changed] == [4321.0]


def test_a_mutate_fault_between_pages_is_seen_by_the_faulted_page(app):
    data = app.stores[STORE].data
    query = lambda page: crit(sort=[("sku", "ASC"), ("source_code", "ASC")], size=20, page=page)  # noqa: E731
    answer(app, "inventory/source-items", query(1))
    target = sorted(data.source_items)[25]
    app.control("POST", "faults", {}, {"kind": "mutate", "route": "stock", "body": {
        "store": STORE, "set": [{"sku": target[0], "source_code": target[1], "quantity": 55555}]}})
    page2 = json.loads(answer(app, "inventory/source-items", query(2)))
    assert {"sku": target[0], "source_code": target[1], "quantity": 55555.0, "status": 1} in page2["items"]


def test_kept_selections_are_bounded(app):
    state = app.stores[STORE]
    for n in range(SELECTIONS_KEPT * 3):
        answer(app, "products", crit([("sku", f"MG-{n:05d}", "eq")], size=5))
    assert len(state._selections) == SELECTIONS_KEPT  # noqa: SLF001


def test_pages_after_the_first_do_not_filter_again(app, monkeypatch):
    calls = []
    real = search.select
    monkeypatch.setattr(search, "select", lambda rows, criteria: calls.append(1) or real(rows, criteria))
    for page in range(1, 6):
        answer(app, "inventory/source-items", crit(sort=[("sku", "ASC")], size=20, page=page))
    assert len(calls) == 1
    app.control("POST", "stock", {}, {"store": STORE, "changes": 1, "seed": 1})
    answer(app, "inventory/source-items", crit(sort=[("sku", "ASC")], size=20, page=6))
    assert len(calls) == 2
