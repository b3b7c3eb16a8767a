"""BigCommerce sandbox: routes, auth, body shapes, paging, limits, filters, the date-only quirk."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests

from inventory_sandbox import BigCommerceSandbox

STORE = "demostore"
PROBLEM_KEYS = {"status", "title", "type", "errors"}


@pytest.fixture(scope="module")
def bc():
    with BigCommerceSandbox(stores=[STORE, "other"], locations=4, items=300, seed=7, quota=100_000) as sb:
        yield sb


def get(sb, path, token=None, store=STORE, **params):
    headers = {"X-Auth-Token": sb.token(store) if token is None else token, "Accept": "application/json"}
    return requests.get(f"{sb.api_url(store)}/v3/{path}", params=params, headers=headers, timeout=30)


def all_pages(sb, path, limit, **params):
    rows, page = [], 1
    while True:
        body = get(sb, path, limit=limit, page=page, **params).json()
        rows += body["data"]
        if body["meta"]["pagination"]["current_page"] >= body["meta"]["pagination"]["total_pages"]:
            return rows
        page += 1


def test_auth_401_unknown_store_404_unknown_route(bc):
    for token in ("", "wrong"):
        resp = get(bc, "inventory/items", token=token)
        assert resp.status_code == 401
        assert resp.headers["Content-Type"] == "application/problem+json"
        assert set(resp.json()) == PROBLEM_KEYS and resp.json()["status"] == 401
    assert get(bc, "inventory/items", token=bc.token("other")).status_code == 401  # tokens are per store
    resp = requests.get(f"{bc.url}/stores/nope/v3/inventory/items", headers={"X-Auth-Token": "x"})
    assert resp.status_code == 404 and resp.json()["status"] == 404
    assert get(bc, "catalog/brands").status_code == 404


def test_missing_scope_is_403_naming_it(bc):
    bc.configure(store="other", scopes=["store_v2_products_read_only"])
    try:
        resp = get(bc, "inventory/items", store="other")
        assert resp.status_code == 403
        assert resp.json()["title"] == "You don't have a required scope to access the endpoint"
        assert "store_inventory_read_only" in str(resp.json()["errors"])
        assert get(bc, "catalog/products", store="other").status_code == 200
    finally:
        bc.configure(store="other", scopes=["store_v2_products_read_only", "store_inventory_read_only",
                                            "store_locations_read_only", "store_v2_information_read_only"])


def test_store_information_gives_the_default_currency(bc):
    headers = {"X-Auth-Token": bc.token(), "Accept": "application/json"}
    resp = requests.get(f"{bc.api_url()}/v2/store", headers=headers, timeout=30)
    assert resp.status_code == 200 and resp.headers["X-Rate-Limit-Requests-Quota"]  # same quota as v3
    body = resp.json()
    assert {"id", "domain", "secure_url", "name", "currency", "currency_symbol", "decimal_places",
            "timezone", "default_channel_id"} <= set(body)
    assert (body["id"], body["currency"]) == (STORE, "USD")
    bc.configure(store="other", currency="EUR", scopes=["store_v2_products_read_only"])
    try:
        denied = requests.get(f"{bc.api_url('other')}/v2/store", headers={"X-Auth-Token": bc.token("other")},
                              timeout=30)
        # v2 errors are a list of {status, message}, not problem+json
        assert denied.status_code == 403
        assert denied.json() == [{"status": 403, "message": "You don't have a required scope to access the endpoint"}]
        bc.configure(store="other", scopes=["store_v2_information_read_only"])
        other = requests.get(f"{bc.api_url('other')}/v2/store", headers={"X-Auth-Token": bc.token("other")},
                             timeout=30).json()
        assert other["currency"] == "EUR"
        assert {i["currency"] for i in bc.truth("other", ["inventory_items"])["inventory_items"]} == {"EUR"}
    finally:
        bc.configure(store="other", currency="USD", scopes=["store_v2_products_read_only",
                                                             "store_inventory_read_only", "store_locations_read_only",
                                                             "store_v2_information_read_only"])
    with pytest.raises(RuntimeError, match="3-letter ISO 4217"):
        bc.configure(currency="dollars")


def test_limits_over_maximum_are_413(bc):
    assert get(bc, "catalog/products", limit=250).status_code == 200
    assert get(bc, "catalog/products", limit=251).status_code == 413
    assert get(bc, "catalog/variants", limit=251).status_code == 413
    assert get(bc, "inventory/items", limit=1000).status_code == 200
    resp = get(bc, "inventory/items", limit=1001)
    assert resp.status_code == 413 and resp.json()["status"] == 413
    assert get(bc, "inventory/locations/1/items", limit=1001).status_code == 413


def test_pagination_meta_and_every_row_once(bc):
    body = get(bc, "catalog/products", limit=7).json()
    meta = body["meta"]["pagination"]
    assert meta["per_page"] == 7 and meta["count"] == 7 and meta["current_page"] == 1
    # strings, as the reference types them; no `previous` on the first page, no `next` on the last
    assert meta["links"] == {"current": "?page=1&limit=7", "next": "?page=2&limit=7"}
    middle = get(bc, "catalog/products", limit=7, page=2, include="variants").json()["meta"]["pagination"]
    assert middle["links"] == {"previous": "?include=variants&page=1&limit=7",
                               "current": "?include=variants&page=2&limit=7",
                               "next": "?include=variants&page=3&limit=7"}
    products = all_pages(bc, "catalog/products", 7, include="variants")
    assert len(products) == meta["total"] == len({p["id"] for p in products})
    last = get(bc, "catalog/products", limit=7, page=meta["total_pages"]).json()["meta"]["pagination"]
    assert set(last["links"]) == {"previous", "current"}
    assert all(isinstance(v, str) for v in last["links"].values())
    assert sum(len(p["variants"]) for p in products) == 300
    assert "variants" not in get(bc, "catalog/products", limit=1).json()["data"][0]
    variants = all_pages(bc, "catalog/variants", 250)
    assert len(variants) == 300 and {v["id"] for v in variants} == {v["id"] for p in products for v in p["variants"]}


def test_catalog_shapes_and_tracking_modes(bc):
    products = all_pages(bc, "catalog/products", 250, include="variants")
    modes = {p["inventory_tracking"] for p in products}
    assert modes == {"none", "product", "variant"}
    for p in products:
        assert p["date_modified"].endswith("+00:00")
        if p["base_variant_id"] is not None:  # a simple product: only its base variant
            assert [v["id"] for v in p["variants"]] == [p["base_variant_id"]] and p["inventory_tracking"] != "variant"
        else:
            assert len(p["variants"]) >= 2 and p["inventory_tracking"] != "product"
        for v in p["variants"]:
            assert {"id", "product_id", "sku", "sku_id", "inventory_level", "inventory_warning_level",
                    "bin_picking_number", "purchasing_disabled", "cost_price", "option_values"} <= set(v)
            assert isinstance(v["sku_id"], int)  # an integer for every variant, base variants too


def test_inventory_items_body_and_truth_agree(bc):
    items = all_pages(bc, "inventory/items", 1000)
    first = items[0]
    assert set(first["identity"]) == {"sku", "variant_id", "product_id", "sku_id"}
    # the Inventory reference: sku_id is null for a base variant, an integer for an option variant
    bases = {p["base_variant_id"] for p in all_pages(bc, "catalog/products", 250)}
    assert {i["identity"]["sku_id"] is None for i in items if i["identity"]["variant_id"] in bases} == {True}
    assert {isinstance(i["identity"]["sku_id"], int) for i in items if i["identity"]["variant_id"] not in bases} \
        == {True}
    one = get(bc, "inventory/items", **{"location_code:in": "BC-LOCATION-1"}, limit=5).json()["data"]
    assert {loc["location_id"] for i in one for loc in i["locations"]} == {1}
    loc = first["locations"][0]
    assert set(loc) == {"location_id", "location_code", "location_name", "available_to_sell",
                        "total_inventory_onhand", "location_enabled", "settings"}
    assert set(loc["settings"]) == {"safety_stock", "is_in_stock", "warning_level", "bin_picking_number"}
    truth = bc.truth(STORE)
    levels = {(r["inventory_item_id"], r["location_id"]): r for r in truth["inventory_levels"]}
    seen = {}
    for item in items:
        for loc in item["locations"]:
            key = (str(item["identity"]["variant_id"]), str(loc["location_id"]))
            seen[key] = (loc["available_to_sell"], loc["total_inventory_onhand"], loc["settings"]["safety_stock"])
            assert loc["available_to_sell"] == loc["total_inventory_onhand"] - loc["settings"]["safety_stock"]
    assert seen == {k: (r["available"], r["on_hand"], r["safety_stock"]) for k, r in levels.items()}
    assert any(not loc["location_enabled"] for loc in items[0]["locations"])  # the inactive location
    assert any(r["safety_stock"] > 0 for r in levels.values())
    tracked_items = {r["inventory_item_id"] for r in truth["inventory_items"] if r["is_tracked"]}
    assert {k[0] for k in levels} == tracked_items
    assert any(not r["is_tracked"] for r in truth["inventory_items"])


def test_location_items_and_locations(bc):
    locations = get(bc, "inventory/locations", limit=1000).json()["data"]
    assert [loc["id"] for loc in locations] == [1, 2, 3, 4]
    assert locations[0]["code"] == "BC-LOCATION-1"
    assert not any("is_default" in loc for loc in locations)  # only a filter, never a field
    default = get(bc, "inventory/locations", is_default="true").json()
    assert [loc["id"] for loc in default["data"]] == [1] and default["meta"]["pagination"]["total"] == 1
    assert [loc["id"] for loc in get(bc, "inventory/locations", is_default="false").json()["data"]] == [2, 3, 4]
    assert get(bc, "inventory/locations", is_default="maybe").status_code == 422
    assert [loc["id"] for loc in get(bc, "inventory/locations", **{"type_id:in": "VIRTUAL"}).json()["data"]] == [4]
    assert [loc["enabled"] for loc in locations] == [True, True, True, False]
    assert {"id", "code", "label", "type_id", "enabled", "managed_by_external_source", "time_zone", "created_at",
            "updated_at", "address", "operating_hours", "storefront_visibility"} <= set(locations[0])
    assert get(bc, "inventory/locations", is_active="true").json()["meta"]["pagination"]["total"] == 3
    rows = get(bc, "inventory/locations/2/items", limit=1000).json()["data"]
    assert set(rows[0]) == {"identity", "available_to_sell", "total_inventory_onhand", "settings"}
    assert set(rows[0]["identity"]) == {"sku", "variant_id", "product_id"}
    truth = {(r["inventory_item_id"]): r for r in bc.truth(STORE)["inventory_levels"] if r["location_id"] == "2"}
    assert {str(r["identity"]["variant_id"]): r["total_inventory_onhand"] for r in rows} == \
        {k: r["on_hand"] for k, r in truth.items()}
    assert get(bc, "inventory/locations/99/items").status_code == 404


def test_filters(bc):
    some = get(bc, "inventory/items", limit=3).json()["data"]
    vids = ",".join(str(i["identity"]["variant_id"]) for i in some)
    body = get(bc, "inventory/items", **{"variant_id:in": vids, "location_id:in": "1,3"}).json()
    assert len(body["data"]) == 3
    assert all([loc["location_id"] for loc in i["locations"]] == [1, 3] for i in body["data"])
    pid = some[0]["identity"]["product_id"]
    variants = get(bc, "catalog/variants", **{"product_id:in": str(pid)}).json()["data"]
    assert variants and all(v["product_id"] == pid for v in variants)


def test_date_modified_min_full_timestamp_and_date_only_quirk(bc):
    products = all_pages(bc, "catalog/products", 250)
    stamps = sorted(p["date_modified"] for p in products)
    pivot = stamps[len(stamps) // 2]
    body = get(bc, "catalog/products", limit=250, **{"date_modified:min": pivot.replace("+00:00", "Z")}).json()
    assert body["meta"]["pagination"]["total"] == sum(s >= pivot for s in stamps)
    # a date alone means "that date at the current time of day", not midnight
    day = pivot[:10]
    now = datetime.now(UTC).strftime("%H:%M:%S")
    expected = sum(s >= f"{day}T{now}+00:00" for s in stamps)
    total = get(bc, "catalog/products", limit=250, **{"date_modified:min": day}).json()["meta"]["pagination"]["total"]
    assert abs(total - expected) <= 1  # the clock may tick between the two computations
    # Midnight would also count the rows modified earlier that day; only a run late enough in the day has
    # such rows to tell the two readings apart (just after midnight, both give the same total).
    earlier_that_day = sum(f"{day}T00:00:00+00:00" <= s < f"{day}T{now}+00:00" for s in stamps)
    if earlier_that_day > 1:
        assert total < sum(s >= f"{day}T00:00:00+00:00" for s in stamps)
    assert get(bc, "catalog/products", **{"date_modified:min": "not a date"}).status_code == 422


def test_adjustments_absolute_relative_and_tracking_mismatch(bc):
    truth = bc.truth(STORE)
    items = {r["inventory_item_id"]: r for r in truth["inventory_items"]}
    by_variant = next(r for r in items.values() if r["inventory_tracking"] == "variant")
    by_product = next(r for r in items.values() if r["inventory_tracking"] == "product")
    url = f"{bc.api_url(STORE)}/v3/inventory/adjustments"
    h = {"X-Auth-Token": bc.write_token(STORE)}
    before = by_product["updated_at"]
    r = requests.put(f"{url}/absolute", headers=h, json={"reason": "count", "items": [
        {"location_id": 2, "variant_id": int(by_variant["variant_id"]), "quantity": 40},
        {"location_id": 2, "product_id": int(by_product["product_id"]), "quantity": 7}]})
    assert r.status_code == 200 and "transaction_id" in r.json()
    r = requests.post(f"{url}/relative", headers=h, json={"reason": "sale", "items": [
        {"location_id": 2, "variant_id": int(by_variant["variant_id"]), "quantity": -3}]})
    assert r.status_code == 200
    levels = {(r["inventory_item_id"], r["location_id"]): r for r in bc.truth(STORE)["inventory_levels"]}
    assert levels[(by_variant["inventory_item_id"], "2")]["on_hand"] == 37
    assert levels[(by_product["inventory_item_id"], "2")]["on_hand"] == 7
    after = {r["inventory_item_id"]: r for r in bc.truth(STORE)["inventory_items"]}
    assert after[by_product["inventory_item_id"]]["updated_at"] == before  # stock never moves date_modified
    r = requests.put(f"{url}/absolute", headers=h, json={"items": [
        {"location_id": 1, "variant_id": int(by_product["variant_id"]), "quantity": 1}]})
    assert r.status_code == 422 and "tracked by product, please update stock by product id" in r.json()["title"]
    assert r.headers["Content-Type"] == "application/problem+json"


def test_seeding_100k_levels_takes_seconds():
    started = time.monotonic()
    with BigCommerceSandbox(stores=["big"], locations=4, items=30_000, seed=3) as sb:
        assert sb.health()["stores"]["big"]["levels"] >= 100_000
    assert time.monotonic() - started < 10


def test_same_seed_same_store():
    with BigCommerceSandbox(stores=["a"], items=50, seed=5) as one, BigCommerceSandbox(stores=["a"], items=50,
                                                                                      seed=5) as two:
        assert one.truth("a") == two.truth("a")
