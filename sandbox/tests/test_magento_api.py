"""Magento sandbox: routes, searchCriteria (filters, sort, paging, last-page repeat), auth, error bodies, modes."""

from __future__ import annotations

import pytest
import requests
import requests_oauthlib
from conftest import crit

from inventory_sandbox import MagentoSandbox

STORE = "demo-store"


@pytest.fixture(scope="module")
def mg():
    with MagentoSandbox(stores=[STORE, "other"], locations=4, items=120, seed=7) as sb:
        yield sb


def get(sb, path, token=None, store=STORE, code="default", auth=None, **params):
    headers = {} if auth is not None else {"Authorization": f"Bearer {sb.token(store) if token is None else token}"}
    prefix = f"{sb.base_url(store)}/rest" + (f"/{code}" if code else "")
    return requests.get(f"{prefix}/V1/{path}", params=params, headers=headers, auth=auth, timeout=30)


def test_list_shapes_and_total_count(mg):
    body = get(mg, "inventory/sources", **crit()).json()
    assert set(body) == {"items", "search_criteria", "total_count"}
    assert body["total_count"] == 4
    assert [s["source_code"] for s in body["items"]][0] == "default"
    assert sum(1 for s in body["items"] if not s["enabled"]) == 1
    assert {"source_code", "name", "enabled", "country_id", "postcode"} <= set(body["items"][0])
    stocks = get(mg, "inventory/stocks", **crit()).json()["items"]
    assert stocks[0]["extension_attributes"]["sales_channels"] == [{"type": "website", "code": "base"}]
    links = get(mg, "inventory/stock-source-links", **crit()).json()["items"]
    assert {"stock_id", "source_code", "priority"} == set(links[0])
    item = get(mg, "inventory/source-items", **crit(size=1)).json()["items"][0]
    assert set(item) == {"sku", "source_code", "quantity", "status"}
    product = get(mg, "products", **crit(size=1)).json()["items"][0]
    assert {"id", "sku", "type_id", "status", "updated_at", "created_at", "custom_attributes"} <= set(product)
    assert len(product["updated_at"]) == 19 and "T" not in product["updated_at"]  # UTC without a zone
    assert "stock_item" not in product.get("extension_attributes", {})


def test_missing_search_criteria_is_400_and_bare_returns_all(mg):
    resp = get(mg, "products")
    assert resp.status_code == 400
    assert resp.json() == {"message": "%fieldName is a required field.", "parameters": {"fieldName": "searchCriteria"}}
    assert get(mg, "products", searchCriteria="").json()["total_count"] == 134  # 120 simple + 14 configurable


def test_filters_or_within_a_group_and_between_groups(mg):
    one = get(mg, "products", **crit([("sku", "MG-00001", "eq"), ("sku", "MG-00002", "eq")])).json()
    assert sorted(p["sku"] for p in one["items"]) == ["MG-00001", "MG-00002"]
    both = get(mg, "products", **crit([("sku", "MG-%0009", "like")], [("type_id", "configurable", "eq")])).json()
    assert [p["sku"] for p in both["items"]] == ["MG-CONF-00009"]
    ids = get(mg, "products", **crit([("entity_id", "3,5,7", "in")])).json()
    assert sorted(p["id"] for p in ids["items"]) == [3, 5, 7]
    for cond, op in (("gt", "__gt__"), ("gteq", "__ge__"), ("lt", "__lt__"), ("lteq", "__le__")):
        rows = get(mg, "products", **crit([("id", "50", cond)])).json()["items"]
        assert rows and all(getattr(p["id"], op)(50) for p in rows)
    everything = get(mg, "products", searchCriteria="").json()["items"]
    pivot = sorted(p["updated_at"] for p in everything)[60]
    newer = get(mg, "products", **crit([("updated_at", pivot, "gteq")])).json()
    assert newer["total_count"] == sum(1 for p in everything if p["updated_at"] >= pivot)


def test_sort_with_tie_breaker_and_same_second_clusters(mg):
    rows = get(mg, "products", **crit(sort=[("updated_at", "ASC"), ("entity_id", "ASC")])).json()["items"]
    keys = [(p["updated_at"], p["id"]) for p in rows]
    assert keys == sorted(keys)
    assert len({p["updated_at"] for p in rows}) < len(rows)  # some products share a second
    desc = get(mg, "products", **crit(sort=[("id", "DESC")], size=3)).json()["items"]
    assert [p["id"] for p in desc] == [134, 133, 132]


def test_paging_repeats_the_last_page_past_the_end_unless_switched_off(mg):
    size = 50
    total = get(mg, "inventory/source-items", **crit(size=size, page=1)).json()["total_count"]
    last = -(-total // size)
    last_page = get(mg, "inventory/source-items", **crit(sort=[("sku", "ASC")], size=size, page=last)).json()
    past = get(mg, "inventory/source-items", **crit(sort=[("sku", "ASC")], size=size, page=last + 3)).json()
    assert past["items"] == last_page["items"] and past["total_count"] == total
    assert get(mg, "inventory/source-items", **crit(size=size, page=0)).json()["items"] == \
        get(mg, "inventory/source-items", **crit(size=size, page=1)).json()["items"]
    mg.configure(repeat_last_page=False)
    try:
        empty = get(mg, "inventory/source-items", **crit(size=size, page=last + 1)).json()
        assert empty["items"] == [] and empty["total_count"] == total
    finally:
        mg.configure(repeat_last_page=True)


def test_fields_trims_the_answer(mg):
    body = get(mg, "products", fields="items[id,sku],total_count", **crit(size=2)).json()
    assert set(body) == {"items", "total_count"}
    assert all(set(p) == {"id", "sku"} for p in body["items"])


def test_auth_errors_name_the_resource(mg):
    for token in ("", "mg_sandbox_other", "wrong"):
        resp = get(mg, "inventory/source-items", token=token, **crit())
        assert resp.status_code == 401
        assert resp.json() == {"message": "The consumer isn't authorized to access %resources.",
                               "parameters": {"resources": "Magento_InventoryApi::source"}}
    assert get(mg, "products", token="x", **crit()).json()["parameters"]["resources"] == "Magento_Catalog::products"
    mg.configure(resources=["Magento_Catalog::products"], store=STORE)
    try:
        resp = get(mg, "inventory/stocks", **crit())
        assert resp.status_code == 401
        assert resp.json()["parameters"]["resources"] == "Magento_InventoryApi::stock"
        assert get(mg, "products", **crit(size=1)).status_code == 200
    finally:
        mg.configure(resources=sorted({"Magento_InventoryApi::source", "Magento_InventoryApi::stock",
                                       "Magento_InventorySalesApi::stock", "Magento_Catalog::products",
                                       "Magento_CatalogInventory::cataloginventory", "Magento_Backend::store"}))


@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SHA1"])
def test_oauth1_signatures_are_verified(mg, method):
    creds = mg.oauth(STORE)
    good = requests_oauthlib.OAuth1(creds["consumer_key"], creds["consumer_secret"], creds["access_token"],
                        creds["access_token_secret"], signature_method=method)
    resp = get(mg, "products", auth=good, **crit([("updated_at", "2025-01-01 00:00:00", "gteq")], size=2))
    assert resp.status_code == 200, resp.text
    bad = requests_oauthlib.OAuth1(creds["consumer_key"], "not-the-secret", creds["access_token"],
                       creds["access_token_secret"], signature_method=method)
    resp = get(mg, "products", auth=bad, **crit(size=2))
    assert resp.status_code == 401
    assert resp.json()["parameters"] == {"resources": "Magento_Catalog::products"}


def test_oauth1_nonce_is_single_use_and_bearer_can_be_switched_off(mg):
    creds = mg.oauth(STORE)
    auth = requests_oauthlib.OAuth1(creds["consumer_key"], creds["consumer_secret"], creds["access_token"],
                        creds["access_token_secret"], signature_method="HMAC-SHA256")
    prepared = auth(requests.Request("GET", f"{mg.base_url()}/rest/default/V1/products?searchCriteria").prepare())
    session = requests.Session()
    assert session.send(prepared, timeout=30).status_code == 200
    assert session.send(prepared, timeout=30).status_code == 401  # replayed nonce
    mg.configure(bearer=False)
    try:
        assert get(mg, "products", **crit(size=1)).status_code == 401
        assert get(mg, "products", auth=auth, **crit(size=1)).status_code == 200
    finally:
        mg.configure(bearer=True)


def test_routes_store_codes_and_single_items(mg):
    assert get(mg, "inventory/sources", code=None, **crit()).status_code == 200  # /rest/V1 = default store
    assert get(mg, "inventory/sources", code="all", **crit()).status_code == 200
    assert get(mg, "inventory/sources", code="nope", **crit()).status_code == 404
    assert get(mg, "inventory/nothing", **crit()).json() == {"message": "Request does not match any route.",
                                                             "parameters": []}
    assert get(mg, "inventory/sources/default").json()["source_code"] == "default"
    stock_item = get(mg, "stockItems/MG-00001").json()
    assert {"qty", "is_in_stock", "manage_stock", "backorders", "min_qty", "use_config_manage_stock"} <= set(stock_item)
    low = get(mg, "stockItems/lowStock", scopeId=0, qty=10**9, pageSize=100, currentPage=2).json()
    assert low["total_count"] == 134 and len(low["items"]) == 34
    # StockItemCriteriaInterface, as the reference types it (the limit is [currentPage, pageSize])
    assert low["search_criteria"] == {
        "mapper_interface_name": "Magento\\CatalogInventory\\Model\\ResourceModel\\Stock\\Item\\StockItemCriteriaMapper",
        "criteria_list": [], "filters": [], "orders": [], "limit": ["2", "100"]}


def test_store_configs_give_the_base_currency_and_the_store_views_own_address(mg):
    fields = {"id", "code", "website_id", "locale", "base_currency_code", "default_display_currency_code",
              "timezone", "weight_unit", "base_url", "base_link_url", "base_static_url", "base_media_url",
              "secure_base_url", "secure_base_link_url", "secure_base_static_url", "secure_base_media_url"}
    (view,) = get(mg, "store/storeConfigs").json()
    assert set(view) == fields  # StoreConfigInterface, every required field
    assert (view["code"], view["base_currency_code"]) == ("default", "USD")
    assert view["secure_base_url"] == f"https://{STORE}.example.com/"  # a web address, not the sandbox's
    assert get(mg, "store/storeConfigs", **{"storeCodes[]": "default"}).json() == [view]
    assert get(mg, "store/storeConfigs", **{"storeCodes[]": "nope"}).json() == []
    assert get(mg, "store/storeConfigs", store="other").json()[0]["secure_base_url"] == "https://other.example.com/"
    mg.configure(store="other", currency="EUR", resources=["Magento_Catalog::products"])
    try:
        denied = get(mg, "store/storeConfigs", store="other")
        assert denied.status_code == 401
        assert denied.json()["parameters"] == {"resources": "Magento_Backend::store"}
        mg.configure(store="other", resources=["Magento_Backend::store"])
        assert get(mg, "store/storeConfigs", store="other").json()[0]["base_currency_code"] == "EUR"
        assert {i["currency"] for i in mg.truth("other")["inventory_items"]} == {"EUR"}
    finally:
        mg.configure(store="other", currency="USD", resources=sorted({
            "Magento_InventoryApi::source", "Magento_InventoryApi::stock", "Magento_InventorySalesApi::stock",
            "Magento_Catalog::products", "Magento_CatalogInventory::cataloginventory", "Magento_Backend::store"}))


def test_salable_quantity_rules(mg):
    truth = {(r["sku"], r["stock_id"]): r["salable_quantity"] for r in mg.truth(STORE)["salable_quantities"]}
    for (sku, stock), value in list(truth.items())[:20]:
        assert get(mg, f"inventory/get-product-salable-quantity/{sku}/{stock}").json() == value
    conf = get(mg, "inventory/get-product-salable-quantity/MG-CONF-00009/1")
    assert conf.status_code == 400
    assert conf.json()["message"] == "Can't check requested quantity for products without Source Items support."
    assert get(mg, "inventory/get-product-salable-quantity/NOPE/1").status_code == 404


def test_single_source_mode_has_no_msi_routes():
    with MagentoSandbox(stores=[STORE], items=20, mode="single") as sb:
        resp = get(sb, "inventory/sources", **crit())
        assert resp.status_code == 404
        assert resp.json()["message"] == "Request does not match any route."
        low = get(sb, "stockItems/lowStock", scopeId=0, qty=10**9, pageSize=100).json()
        assert low["total_count"] == 22
        truth = sb.truth(STORE)
        assert [r["location_id"] for r in truth["locations"]] == ["default"]
        assert {r["location_id"] for r in truth["inventory_levels"]} == {"default"}
        assert truth["salable_quantities"] == []
