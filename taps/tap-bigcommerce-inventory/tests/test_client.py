"""Offline tests (HTTP replayed with `responses`): paging, pacing, 429s, error lines, the date filter."""

from __future__ import annotations

import json
import re
import typing as t
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from conftest import run_tap
from singer_sdk.exceptions import FatalAPIError

from tap_bigcommerce_inventory.client import QuotaPacer

API = "https://api.bigcommerce.com/stores/abc123"
CONFIG = {"store_hash": "abc123", "access_token": "secret-token-value", "max_retries": 2}
PROBLEM = {"type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes", "errors": {}}


def limits(left: int, reset_ms: int = 1000, quota: int = 150, window: int = 30000, lower: bool = False) -> dict:
    headers = {"X-Rate-Limit-Requests-Left": str(left), "X-Rate-Limit-Requests-Quota": str(quota),
               "X-Rate-Limit-Time-Reset-Ms": str(reset_ms), "X-Rate-Limit-Time-Window-Ms": str(window)}
    return {k.lower(): v for k, v in headers.items()} if lower else headers


def page(data: list, current: int, total_pages: int, per_page: int = 1000) -> dict:
    """A v3 list answer; its links are strings, `previous` and `next` only when there is such a page."""
    links = {"previous": f"?page={current - 1}&limit={per_page}"} if current > 1 else {}
    links["current"] = f"?page={current}&limit={per_page}"
    if current < total_pages:
        links["next"] = f"?page={current + 1}&limit={per_page}"
    return {"data": data, "meta": {"pagination": {"total": 0, "count": len(data), "per_page": per_page,
                                                  "current_page": current, "total_pages": total_pages,
                                                  "links": links}}}


# Shaped like the examples of BigCommerce's reference (locations.v3.yml, products_catalog.v3.yml,
# store_information.v2.yml): a location has no `is_default` field, a variant's `sku_id` is an integer.
LOCATION = {"id": 1, "code": "BC-LOCATION-1", "label": "Default", "type_id": "PHYSICAL", "enabled": True,
            "managed_by_external_source": False, "time_zone": "UTC", "created_at": "2025-01-01T00:00:00+00:00",
            "updated_at": "2025-01-02T10:00:00+00:00", "address": {"city": "Austin"}}
PRODUCT = {"id": 120, "name": "Mug", "inventory_tracking": "product", "base_variant_id": 79, "cost_price": 3.5,
           "date_created": "2025-01-01T00:00:00+00:00", "date_modified": "2025-03-01T12:00:00+00:00",
           "variants": [{"id": 79, "product_id": 120, "sku": "RE-130", "sku_id": 70, "cost_price": 3.5,
                         "inventory_warning_level": 2, "bin_picking_number": "A1", "purchasing_disabled": False}]}
STORE = {"id": "abc123", "domain": "my-awesome.store", "secure_url": "https://my-awesome.store", "status": "live",
         "name": "BigCommerce", "language": "en", "currency": "USD", "currency_symbol": "$", "decimal_separator": ".",
         "thousands_separator": ",", "decimal_places": 2, "currency_symbol_location": "left",
         "default_channel_id": 1}
ITEM = {"identity": {"sku": "RE-130", "variant_id": 79, "product_id": 120, "sku_id": 55},
        "locations": [{"location_id": 1, "location_code": "BC-LOCATION-1", "location_name": "Default",
                       "available_to_sell": 10, "total_inventory_onhand": 11, "location_enabled": True,
                       "settings": {"safety_stock": 1, "is_in_stock": True, "warning_level": 1,
                                    "bin_picking_number": "1"}}]}


def add_all(rsps: responses.RequestsMock, headers: dict | None = None) -> None:
    rsps.get(f"{API}/v3/inventory/locations", json=page([LOCATION], 1, 1), headers=headers or limits(100))
    add_items(rsps, headers)


def add_items(rsps: responses.RequestsMock, headers: dict | None = None) -> None:
    """Everything but the locations: the store information, the products, the inventory items."""
    rsps.get(f"{API}/v2/store", json=STORE, headers=headers or limits(100))
    rsps.get(f"{API}/v3/catalog/products", json=page([PRODUCT], 1, 1, 250), headers=headers or limits(100))
    rsps.get(f"{API}/v3/inventory/items", json=page([ITEM], 1, 1), headers=headers or limits(100))


def params_of(call: t.Any) -> dict[str, str]:  # noqa: ANN401
    return {k: v[-1] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


# --------------------------------------------------------------------------- records and paging


def test_records_are_normalized() -> None:
    with responses.RequestsMock() as rsps:
        add_all(rsps)
        run = run_tap(CONFIG)
    level = run.records["inventory_levels"][0]
    assert {k: level[k] for k in ("store_id", "inventory_item_id", "location_id", "available", "on_hand",
                                  "safety_stock", "committed", "updated_at")} == {
        "store_id": "abc123", "inventory_item_id": "79", "location_id": "1", "available": 10, "on_hand": 11,
        "safety_stock": 1, "committed": None, "updated_at": None}
    item = run.records["inventory_items"][0]
    assert item["inventory_item_id"] == "79"
    assert item["product_id"] == "120"
    assert item["is_tracked"] is True
    assert item["updated_at"] == "2025-03-01T12:00:00Z"
    assert item["unit_cost"] == 3.5
    loc = run.records["locations"][0]
    assert loc["location_id"] == "1"
    assert loc["is_active"] is True
    assert loc["updated_at"] == "2025-01-02T10:00:00Z"
    synced = {r["synced_at"] for stream in run.records.values() for r in stream if "synced_at" in r}
    assert len(synced) == 1
    runs = run.records["sync_runs"]
    assert {(r["stream_name"], r["is_full_snapshot"]) for r in runs} == {
        ("locations", True), ("inventory_items", True), ("inventory_levels", True)}


def test_default_location_is_the_one_the_is_default_filter_returns() -> None:
    """Locations carry no `is_default`: the tap asks `is_default=true` once and marks that one (not id 1)."""
    other = {**LOCATION, "id": 2, "code": "LOC-002", "label": "Warehouse"}
    with responses.RequestsMock() as rsps:
        add_items(rsps)
        rsps.get(f"{API}/v3/inventory/locations", json=page([other], 1, 1), headers=limits(100),
                 match=[responses.matchers.query_param_matcher({"is_default": "true", "limit": "1"})])
        rsps.get(f"{API}/v3/inventory/locations", json=page([LOCATION, other], 1, 1), headers=limits(100),
                 match=[responses.matchers.query_param_matcher({"limit": "1000", "page": "1"})])
        run = run_tap(CONFIG)
        asked = [params_of(c) for c in rsps.calls if urlsplit(c.request.url).path.endswith("/locations")]
    assert asked[0] == {"is_default": "true", "limit": "1"}
    assert {r["location_id"]: r["is_default"] for r in run.records["locations"]} == {"1": False, "2": True}


def test_no_default_location_found_leaves_is_default_null() -> None:
    with responses.RequestsMock() as rsps:
        add_items(rsps)
        rsps.get(f"{API}/v3/inventory/locations", json=page([], 1, 0), headers=limits(100),
                 match=[responses.matchers.query_param_matcher({"is_default": "true", "limit": "1"})])
        rsps.get(f"{API}/v3/inventory/locations", json=page([LOCATION], 1, 1), headers=limits(100))
        run = run_tap(CONFIG)
    assert [r["is_default"] for r in run.records["locations"]] == [None]


def test_currency_is_the_store_default_read_once_per_run() -> None:
    second = {**PRODUCT, "id": 121, "base_variant_id": 80,
              "variants": [{**PRODUCT["variants"][0], "id": 80, "product_id": 121, "sku": "RE-131", "sku_id": 71}]}
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/v2/store", json={**STORE, "currency": "eur"}, headers=limits(100))
        rsps.get(f"{API}/v3/inventory/locations", json=page([LOCATION], 1, 1), headers=limits(100))
        for n, product in ((1, PRODUCT), (2, second)):
            rsps.get(f"{API}/v3/catalog/products", json=page([product], n, 2, 250), headers=limits(100),
                     match=[responses.matchers.query_param_matcher({"page": str(n)}, strict_match=False)])
        rsps.get(f"{API}/v3/inventory/items", json=page([ITEM], 1, 1), headers=limits(100))
        run = run_tap(CONFIG)
        store_calls = [c for c in rsps.calls if urlsplit(c.request.url).path.endswith("/v2/store")]
    assert len(store_calls) == 1
    assert [(r["sku"], r["currency"], r["sku_id"]) for r in run.records["inventory_items"]] == [
        ("RE-130", "EUR", "70"), ("RE-131", "EUR", "71")]


def test_paging_uses_largest_pages_and_stops_at_total_pages() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/v2/store", json=STORE, headers=limits(100))
        rsps.get(f"{API}/v3/inventory/locations", json=page([LOCATION], 1, 1), headers=limits(100))
        rsps.get(f"{API}/v3/catalog/products", json=page([PRODUCT], 1, 1, 250), headers=limits(100))
        for n in (1, 2, 3):
            rsps.get(f"{API}/v3/inventory/items", json=page([ITEM], n, 3),
                     match=[responses.matchers.query_param_matcher({"limit": "1000", "page": str(n)})],
                     headers=limits(100))
        run = run_tap(CONFIG)
        item_calls = [c for c in rsps.calls if "/catalog/products" in str(c.request.url)]
        assert params_of(item_calls[0])["limit"] == "250"
        assert params_of(item_calls[0])["include"] == "variants"
    assert len(run.records["inventory_levels"]) == 3  # noqa: PLR2004


def test_page_size_setting_is_capped_per_endpoint() -> None:
    with responses.RequestsMock() as rsps:
        add_all(rsps)
        run_tap({**CONFIG, "page_size": 500})
        by_path = {urlsplit(c.request.url).path: params_of(c)["limit"] for c in rsps.calls
                   if "limit" in params_of(c) and "is_default" not in params_of(c)}
    assert by_path == {"/stores/abc123/v3/inventory/locations": "500", "/stores/abc123/v3/catalog/products": "250",
                       "/stores/abc123/v3/inventory/items": "500"}


def test_date_modified_min_is_always_a_full_utc_timestamp() -> None:
    state = {"bookmarks": {"inventory_items": {"replication_key": "updated_at",
                                               "replication_key_value": "2025-03-01T12:00:00Z"}}}
    for config, st, expected in (({**CONFIG, "start_date": "2025-02-01"}, None, "2025-02-01T00:00:00Z"),
                                 ({**CONFIG, "start_date": "2025-02-01T05:06:07+02:00"}, None, "2025-02-01T03:06:07Z"),
                                 ({**CONFIG, "lookback": 0}, state, "2025-03-01T12:00:00Z"),
                                 (CONFIG, state, "2025-03-01T11:55:00Z")):  # default lookback: 300 s
        with responses.RequestsMock() as rsps:
            add_all(rsps)
            run = run_tap(config, state=st)
            call = next(c for c in rsps.calls if "/catalog/products" in str(c.request.url))
            assert params_of(call)["date_modified:min"] == expected
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", params_of(call)["date_modified:min"])
        runs = {r["stream_name"]: r["is_full_snapshot"] for r in run.records["sync_runs"]}
        assert runs == {"locations": True, "inventory_items": False, "inventory_levels": True}
        assert run.bookmark("inventory_items") == run.records["sync_runs"][0]["run_started_at"][:19] + "Z"


# --------------------------------------------------------------------------- pacing and 429


def test_pacer_waits_for_the_reset_when_the_window_is_used_up(sleeps: list[float]) -> None:
    # Streams sync in name order: inventory_items (store information, products), inventory_levels, locations.
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/v2/store", json=STORE, headers=limits(5, 800))
        rsps.get(f"{API}/v3/inventory/locations", json=page([LOCATION], 1, 1), headers=limits(1, 800))
        rsps.get(f"{API}/v3/catalog/products", json=page([PRODUCT], 1, 1, 250), headers=limits(0, 700))
        rsps.get(f"{API}/v3/inventory/items", json=page([ITEM], 1, 1), headers=limits(149, 30000))
        run_tap(CONFIG)
    assert len(sleeps) == 1
    assert 0.5 < sleeps[0] < 0.8


def test_pacer_reads_lower_case_headers(sleeps: list[float]) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/v2/store", json=STORE, headers=limits(10, lower=True))
        rsps.get(f"{API}/v3/inventory/locations", json=page([LOCATION], 1, 1), headers=limits(10, lower=True))
        rsps.get(f"{API}/v3/catalog/products", json=page([PRODUCT], 1, 1, 250), headers=limits(0, 900, lower=True))
        rsps.get(f"{API}/v3/inventory/items", json=page([ITEM], 1, 1), headers=limits(9, lower=True))
        run_tap(CONFIG)
    assert len(sleeps) == 1
    assert 0.6 < sleeps[0] < 1.0


def test_pacer_unit(sleeps: list[float]) -> None:
    now = [100.0]
    pacer = QuotaPacer(clock=lambda: now[0])
    assert pacer.wait_before() == 0  # nothing known yet

    class Fake:
        headers: t.ClassVar[dict] = limits(0, 2000, quota=3, window=5000)

    pacer.observe(Fake())  # type: ignore[arg-type]
    assert pacer.left == 0
    assert pacer.quota == 3
    now[0] = 103.0  # the window reset at 102: a fresh one, no wait
    assert pacer.wait_before() == 0
    assert pacer.left == 2
    pacer.left = 0  # used up again: wait for the end of the fresh window (103 + 5 s)
    assert round(pacer.wait_before(), 2) == 5.05  # noqa: PLR2004
    assert sleeps == [pacer.waited]


def test_429_with_headers_waits_the_reset_and_is_not_a_retry(sleeps: list[float]) -> None:
    throttled = {**limits(0, 1500), "X-Retry-After": "2"}
    with responses.RequestsMock() as rsps:
        for _ in range(3):  # the very first requests of the run
            rsps.get(f"{API}/v3/catalog/products", status=429, json={"status": 429, "title": "Too many requests",
                                                                     **PROBLEM}, headers=throttled)
        add_all(rsps)
        run = run_tap({**CONFIG, "max_retries": 0})  # an early 429 never crashes, whatever max_retries says
    assert len(run.records["inventory_items"]) == 1
    assert [round(s, 2) for s in sleeps] == [1.55, 1.55, 1.55]


def test_429_without_headers_backs_off_longer(sleeps: list[float]) -> None:
    with responses.RequestsMock() as rsps:
        for _ in range(3):
            rsps.get(f"{API}/v3/inventory/items", status=429, json={"status": 429, "title": "Too many requests",
                                                                     **PROBLEM})
        add_all(rsps)
        run = run_tap(CONFIG)
    assert len(run.records["inventory_levels"]) == 1
    assert sleeps[:3] == [5.0, 10.0, 20.0]


# --------------------------------------------------------------------------- errors: one clear line


def fatal_message(rsps_setup: t.Callable[[responses.RequestsMock], None], config: dict | None = None) -> str:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps_setup(rsps)
        with pytest.raises(FatalAPIError) as info:
            run_tap(config or CONFIG)
    message = str(info.value)
    assert "\n" not in message
    assert "secret-token-value" not in message
    return message


def test_401_names_the_token() -> None:
    msg = fatal_message(lambda r: r.get(f"{API}/v2/store", status=401, json=[
        {"status": 401, "message": "No valid credentials were found in this request"}]))
    assert msg.startswith("BigCommerce rejected the access token (HTTP 401) for store abc123: check access_token")


def test_403_names_the_missing_scope() -> None:
    def setup(rsps: responses.RequestsMock) -> None:
        rsps.get(f"{API}/v2/store", json=STORE)
        rsps.get(f"{API}/v3/inventory/locations", json=page([LOCATION], 1, 1))
        rsps.get(f"{API}/v3/catalog/products", json=page([PRODUCT], 1, 1, 250))
        rsps.get(f"{API}/v3/inventory/items", status=403, json={
            "status": 403, "title": "You don't have a required scope to access the endpoint", **PROBLEM})

    msg = fatal_message(setup)
    assert "in stream inventory_levels: the access token is missing scope store_inventory_read_only" in msg


def test_403_on_the_store_information_names_its_scope() -> None:
    msg = fatal_message(lambda r: r.get(f"{API}/v2/store", status=403, json=[
        {"status": 403, "message": "You don't have a required scope to access the endpoint"}]))
    assert ("in stream inventory_items: the access token is missing scope store_v2_information_read_only "
            "(the tap needs store_v2_products_read_only, store_inventory_read_only, store_locations_read_only, "
            "store_v2_information_read_only; You don't have a required scope to access the endpoint)") in msg


def test_problem_json_becomes_one_line() -> None:
    def setup(rsps: responses.RequestsMock) -> None:
        rsps.get(f"{API}/v2/store", json=STORE)
        rsps.get(f"{API}/v3/catalog/products", status=422, json={
            "status": 422, "title": "The filter(s): limit are not\n valid", "type": PROBLEM["type"],
            "errors": {"limit": "must be an integer"}})

    msg = fatal_message(setup)
    assert msg == ("BigCommerce answered HTTP 422 for store abc123 in stream inventory_items at "
                   f"{API}/v3/catalog/products: The filter(s): limit are not valid (limit: must be an integer)")


def test_html_answers_are_retried_then_one_clear_line(sleeps: list[float]) -> None:
    page_html = "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>down</body></html>"

    def setup(rsps: responses.RequestsMock) -> None:
        rsps.get(f"{API}/v2/store", json=STORE)
        for _ in range(3):
            rsps.get(f"{API}/v3/catalog/products", status=503, body=page_html, content_type="text/html")

    with responses.RequestsMock() as rsps:
        setup(rsps)
        with pytest.raises(Exception) as info:  # noqa: PT011 - the SDK re-raises the last RetriableAPIError
            run_tap(CONFIG)
    message = str(info.value)
    assert f"expected JSON from {API}/v3/catalog/products, got text/html" in message
    assert "HTTP 503" in message
    assert "\n" not in message
    assert len(sleeps) == 2  # noqa: PLR2004  (max_retries)


def test_5xx_is_retried() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/v3/inventory/locations", status=500, json={"status": 500, "title": "Internal", **PROBLEM})
        add_all(rsps)
        run = run_tap(CONFIG)
    assert len(run.records["locations"]) == 1


def test_token_is_sent_in_the_header_only() -> None:
    with responses.RequestsMock() as rsps:
        add_all(rsps)
        run_tap(CONFIG)
        for call in rsps.calls:
            assert call.request.headers["X-Auth-Token"] == "secret-token-value"
            assert "secret-token-value" not in str(call.request.url)
    assert json.dumps(CONFIG)  # config untouched


def test_reconcile_reads_items_in_full_and_marks_a_full_snapshot() -> None:
    state = {"bookmarks": {"inventory_items": {"replication_key": "updated_at",
                                               "replication_key_value": "2025-03-01T12:00:00Z"}}}
    with responses.RequestsMock() as rsps:
        add_all(rsps)
        run = run_tap({**CONFIG, "reconcile": True}, state=state)
        call = next(c for c in rsps.calls if "/catalog/products" in str(c.request.url))
        assert "date_modified:min" not in params_of(call)
    runs = {r["stream_name"]: r["is_full_snapshot"] for r in run.records["sync_runs"]}
    assert runs == {"locations": True, "inventory_items": True, "inventory_levels": True}
