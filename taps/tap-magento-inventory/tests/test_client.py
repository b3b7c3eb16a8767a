"""Offline tests: a fake Magento REST API served through `responses` (no network)."""

from __future__ import annotations

import json
import logging
import re
import typing as t

import jsonschema
import pytest
import responses
from conftest import run_tap
from fakes import BASE_URL, CONSUMER_KEY, CONSUMER_SECRET, TOKEN, TOKEN_SECRET, FakeMagento, config, oauth_config
from fakes import oauth_signature_ok as verify
from singer_inventory_kit import utc_z
from singer_sdk.exceptions import FatalAPIError

from tap_magento_inventory.client import magento_time, render_message, search_criteria, whole_units
from tap_magento_inventory.tap import TapMagentoInventory

HTML_403 = "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>x</body></html>"
HTML_503 = "<html><head><title>503 Backend fetch failed</title></head><body>Varnish cache server</body></html>"


def fake_store(**kwargs: t.Any) -> t.Iterator[FakeMagento]:  # noqa: ANN401
    store = FakeMagento(**kwargs)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        store.install(rsps)
        yield store


@pytest.fixture
def fake() -> t.Iterator[FakeMagento]:
    """A fake MSI store wired into `responses` for the test."""
    yield from fake_store()


def stable(records: list[dict]) -> list[dict]:
    """Records without the run-dependent column, in a stable order."""
    rows = [{k: v for k, v in r.items() if k != "synced_at"} for r in records]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


# --------------------------------------------------------------------------- helpers


def test_helpers() -> None:
    assert utc_z("2026-02-02 08:00:00") == "2026-02-02T08:00:00Z"
    assert utc_z("2026-02-02T08:00:00+02:00") == "2026-02-02T06:00:00Z"
    assert utc_z(None) is None
    assert magento_time("2026-02-02T08:00:00Z") == "2026-02-02 08:00:00"
    assert whole_units(7.5) == 7  # noqa: PLR2004
    assert whole_units("3.0000") == 3  # noqa: PLR2004
    assert render_message({"message": "%fieldName is a required field.", "parameters": {"fieldName": "x"}}) == (
        "x is a required field."
    )
    assert render_message({"message": "No such entity with %1 = %2", "parameters": ["sku", "A"]}) == (
        "No such entity with sku = A"
    )
    params = search_criteria(groups=[[("sku", ["a", "b"], "in")]], sort=[("sku", "ASC")], page_size=5, current_page=2)
    assert params == {
        "searchCriteria[filter_groups][0][filters][0][field]": "sku",
        "searchCriteria[filter_groups][0][filters][0][value]": "a,b",
        "searchCriteria[filter_groups][0][filters][0][condition_type]": "in",
        "searchCriteria[sortOrders][0][field]": "sku",
        "searchCriteria[sortOrders][0][direction]": "ASC",
        "searchCriteria[pageSize]": "5",
        "searchCriteria[currentPage]": "2",
    }
    assert search_criteria() == {"searchCriteria": ""}


# --------------------------------------------------------------------------- records


def test_sync_emits_contract_records_that_validate(fake: FakeMagento) -> None:
    run = run_tap(config())
    records = run.records
    assert {k: len(v) for k, v in records.items()} == {
        "locations": 3,
        "stocks": 2,
        "stock_source_links": 3,
        "inventory_items": 7,
        "inventory_levels": 8,  # GHOST has no product: skipped
        "sync_runs": 5,
    }
    tap = TapMagentoInventory(config=config())
    for stream_name, rows in records.items():
        schema = tap.streams[stream_name].schema
        for row in rows:
            jsonschema.validate(row, schema)
            assert set(row) == set(schema["properties"]), stream_name
            assert row["store_id"] == "demo-magento"
    synced = {r["synced_at"] for rows in records.values() for r in rows if "synced_at" in r}
    assert len(synced) == 1
    assert synced.pop().endswith("Z")

    items = {r["inventory_item_id"]: r for r in records["inventory_items"]}
    assert {k: v for k, v in items["1"].items() if k != "synced_at"} == {
        "store_id": "demo-magento",
        "inventory_item_id": "1",
        "sku": "SKU-1",
        "product_id": "1",
        "variant_id": None,
        "is_tracked": True,
        "oversell_policy": "deny",
        "unit_cost": 1.5,
        "currency": "USD",  # the store view's base currency (storeConfigs)
        "updated_at": "2026-01-05T10:00:00Z",
        "name": "Product 1",
        "type_id": "simple",
        "status": 1,
        "backorders": 0,
        "created_at": "2025-12-01T00:00:00Z",
    }
    assert (items["2"]["is_tracked"], items["2"]["oversell_policy"]) == (True, "continue")
    assert (items["3"]["is_tracked"], items["3"]["oversell_policy"]) == (False, "deny")
    assert items["6"]["type_id"] == "configurable"
    assert items["7"]["status"] == 2  # noqa: PLR2004

    levels = {(r["sku"], r["location_id"]): r for r in records["inventory_levels"]}
    assert {k: v for k, v in levels["SKU-2", "eu"].items() if k != "synced_at"} == {
        "store_id": "demo-magento",
        "inventory_item_id": "2",
        "location_id": "eu",
        "sku": "SKU-2",
        "available": 7,
        "on_hand": 7,
        "committed": None,
        "reserved": None,
        "incoming": None,
        "updated_at": None,
        "quantity": 7.5,
        "status": 1,
    }
    assert (levels["SKU-3", "default"]["available"], levels["SKU-3", "default"]["on_hand"]) == (0, 3)
    assert ("GHOST", "eu") not in levels

    locations = {r["location_id"]: r for r in records["locations"]}
    assert locations["old"]["is_active"] is False
    assert locations["eu"]["city"] == "Berlin"
    assert records["stocks"][1]["sales_channels"] == [{"type": "website", "code": "eu"}]
    assert {(r["stream_name"], r["is_full_snapshot"]) for r in records["sync_runs"]} == {
        ("locations", True),
        ("stocks", True),
        ("stock_source_links", True),
        ("inventory_items", True),  # no bookmark, no start_date: everything was read
        ("inventory_levels", True),
    }
    last_other = max(i for i, m in enumerate(run.messages) if m["type"] == "RECORD" and m["stream"] != "sync_runs")
    first_run_row = min(i for i, m in enumerate(run.messages) if m["type"] == "RECORD" and m["stream"] == "sync_runs")
    assert first_run_row > last_other


def test_store_configs_give_the_currency_and_the_default_store_id_once_per_run(fake: FakeMagento) -> None:
    """Without store_id, records carry the host of the store view's secure base URL, not of base_url."""
    run = run_tap(config(store_id=None))
    assert {r["store_id"] for rows in run.records.values() for r in rows} == {"www.shop-example.com"}
    assert {r["currency"] for r in run.records["inventory_items"]} == {"USD"}
    calls = fake.calls("/V1/store/storeConfigs")
    assert [c["query"] for c in calls] == [{"storeCodes[]": "default"}]  # once, for the configured store view


def test_another_store_view_has_its_own_currency_and_address() -> None:
    for store in fake_store():
        store.store_views[1]["code"] = "default"  # the view the REST path names is the one read
        store.store_views[0]["code"] = "admin_view"
        run = run_tap(config(store_id=None))
        assert {r["currency"] for r in run.records["inventory_items"]} == {"EUR"}
        assert {r["store_id"] for r in run.records["inventory_items"]} == {"de.shop-example.com"}


def test_an_explicit_store_id_wins_and_a_view_without_secure_url_falls_back_to_base_url() -> None:
    for store in fake_store():
        run = run_tap(config())
        assert {r["store_id"] for r in run.records["locations"]} == {"demo-magento"}
        store.store_views[0]["secure_base_url"] = ""
        run = run_tap(config(store_id=None))
        assert {r["store_id"] for r in run.records["locations"]} == {"shop.example.com"}  # host of base_url


def test_unknown_store_view_is_one_clear_line(fake: FakeMagento) -> None:
    fake.store_views[:] = [v for v in fake.store_views if v["code"] != "default"]
    with pytest.raises(FatalAPIError) as info:
        run_tap(config())
    assert str(info.value) == ("Magento store demo-magento: GET /V1/store/storeConfigs lists no store view "
                               "'default': check store_code")


def test_low_stock_answer_shaped_like_the_reference_is_read(fake: FakeMagento) -> None:
    """`/V1/stockItems/lowStock` echoes StockItemCriteriaInterface (mapper, criteria list, filters, orders, limit)."""
    run = run_tap(config())
    pages = [(c["query"]["currentPage"], c["query"]["pageSize"]) for c in fake.calls("/V1/stockItems/lowStock")]
    assert pages == [("1", "3"), ("2", "3"), ("3", "3")]  # 7 stock items, stopped on total_count
    items = {r["sku"]: r for r in run.records["inventory_items"]}
    assert (items["SKU-2"]["oversell_policy"], items["SKU-3"]["is_tracked"]) == ("continue", False)


def test_products_are_sorted_with_a_tie_breaker_and_filtered_on_updated_at(fake: FakeMagento) -> None:
    run = run_tap(config(start_date="2026-02-02T08:00:00Z"))
    calls = [c["query"] for c in fake.calls("/V1/products") if "searchCriteria[sortOrders][0][field]" in c["query"]]
    first = calls[0]
    assert first["searchCriteria[sortOrders][0][field]"] == "updated_at"
    assert first["searchCriteria[sortOrders][1][field]"] == "entity_id"
    assert first["searchCriteria[filter_groups][0][filters][0][field]"] == "updated_at"
    assert first["searchCriteria[filter_groups][0][filters][0][value]"] == "2026-02-02 08:00:00"
    assert first["searchCriteria[filter_groups][0][filters][0][condition_type]"] == "gteq"
    # The four same-second products straddle a page boundary (page size 3): none lost, none doubled.
    ids = [r["inventory_item_id"] for r in run.records["inventory_items"]]
    assert ids == ["2", "3", "4", "5", "6", "7"]
    assert ("inventory_items", False) in {(r["stream_name"], r["is_full_snapshot"]) for r in run.records["sync_runs"]}


@pytest.mark.parametrize("repeat", [True, False], ids=["last-page-repeats", "empty-page-past-end"])
def test_paging_stops_on_total_count_with_or_without_the_repeat(repeat: bool) -> None:
    for store in fake_store(repeat_last_page=repeat):
        run = run_tap(config())
        pages = [c["query"].get("searchCriteria[currentPage]") for c in store.calls("/V1/inventory/source-items")]
        assert pages == ["1", "2", "3"]  # 9 rows, 3 a page: never asks for page 4
        assert len(run.records["inventory_levels"]) == 8  # noqa: PLR2004


def test_a_repeated_page_is_not_emitted_twice(fake: FakeMagento) -> None:
    """If rows vanish while paging, total_count lies and page N+1 repeats page N: stop and dedupe."""
    original = fake._page  # noqa: SLF001

    def inflated(table: list[dict], query: dict[str, str]) -> tuple[int, dict, str]:
        status, headers, body = original(table, query)
        payload = json.loads(body)
        payload["total_count"] += 10
        return status, headers, json.dumps(payload)

    fake._page = inflated  # type: ignore[method-assign]  # noqa: SLF001
    run = run_tap(config())
    levels = run.records["inventory_levels"]
    assert len(levels) == len({(r["sku"], r["location_id"]) for r in levels}) == 8  # noqa: PLR2004
    pages = [c["query"]["searchCriteria[currentPage]"] for c in fake.calls("/V1/inventory/source-items")]
    assert pages == ["1", "2", "3", "4"]  # page 4 repeated page 3: stopped there


def test_bookmark_is_run_start_and_next_run_filters_from_it_minus_lookback(fake: FakeMagento) -> None:
    first = run_tap(config())
    bookmark = first.state["bookmarks"]["inventory_items"]["replication_key_value"]
    assert bookmark.endswith("Z")
    fake.requests.clear()
    second = run_tap(config(lookback=60), state=first.state)
    query = next(c["query"] for c in fake.calls("/V1/products") if "searchCriteria[sortOrders][1][field]" in c["query"])
    since = query["searchCriteria[filter_groups][0][filters][0][value]"]
    assert since == magento_time(utc_z(_minus(bookmark, 60)))  # type: ignore[arg-type]
    assert second.records.get("inventory_items", []) == []
    # Levels are a full snapshot every run, whatever the bookmark.
    assert len(second.records["inventory_levels"]) == 8  # noqa: PLR2004


def _minus(value: str, seconds: int) -> str:
    import datetime as dt  # noqa: PLC0415

    return (dt.datetime.fromisoformat(value.replace("Z", "+00:00")) - dt.timedelta(seconds=seconds)).isoformat()


def test_reconcile_reads_all_products_as_a_full_snapshot(fake: FakeMagento) -> None:
    first = run_tap(config())
    again = run_tap(config(reconcile=True), state=first.state)
    assert len(again.records["inventory_items"]) == 7  # noqa: PLR2004
    assert ("inventory_items", True) in {(r["stream_name"], r["is_full_snapshot"]) for r in again.records["sync_runs"]}


def test_salable_quantities_skip_composites_and_refusals(caplog: pytest.LogCaptureFixture) -> None:
    for store in fake_store():
        with caplog.at_level(logging.INFO):
            run = run_tap(config(include_salable_quantity=True, salable_quantity_concurrency=3))
        rows = {(r["sku"], r["stock_id"]): r["salable_quantity"] for r in run.records["salable_quantities"]}
        assert rows["SKU-1", "1"] == 10  # noqa: PLR2004
        assert rows["SKU-1", "2"] == 14  # noqa: PLR2004  (eu + default)
        assert rows["SKU-2", "2"] == 7.5  # noqa: PLR2004
        assert not any(sku == "CONF-1" for sku, _ in rows)
        asked = {c["path"] for c in store.requests if "salable" in c["path"]}
        assert not any("CONF-1" in p for p in asked)
        assert "skipped 1 composite products" in caplog.text
        runs = {(r["stream_name"], r["is_full_snapshot"]) for r in run.records["sync_runs"]}
        assert ("salable_quantities", True) in runs


def test_salable_quantities_off_by_default(fake: FakeMagento) -> None:
    run = run_tap(config())
    assert "salable_quantities" not in run.records
    assert not [r for r in fake.requests if "salable" in r["path"]]


# --------------------------------------------------------------------------- single source


def test_store_without_msi_falls_back_to_legacy_stock_items() -> None:
    for store in fake_store(msi=False):
        run = run_tap(config())
        records = run.records
        assert [r["location_id"] for r in records["locations"]] == ["default"]
        assert [r["stock_id"] for r in records["stocks"]] == ["1"]
        assert [(r["stock_id"], r["source_code"]) for r in records["stock_source_links"]] == [("1", "default")]
        levels = {r["sku"]: r for r in records["inventory_levels"]}
        assert set(levels) == {"SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-5", "SKU-7"}  # not the configurable
        assert {r["location_id"] for r in levels.values()} == {"default"}
        assert (levels["SKU-1"]["inventory_item_id"], levels["SKU-1"]["on_hand"], levels["SKU-1"]["available"]) == (
            "1", 10, 10,
        )  # fmt: skip
        assert (levels["SKU-3"]["on_hand"], levels["SKU-3"]["available"]) == (3, 0)
        assert len(records["inventory_items"]) == 7  # noqa: PLR2004
        assert len(store.calls("/V1/inventory/sources")) == 1  # probed once per run
        assert all(r["is_full_snapshot"] for r in records["sync_runs"] if r["stream_name"] != "inventory_items")


# --------------------------------------------------------------------------- auth


def test_bearer_token_is_sent(fake: FakeMagento) -> None:
    run_tap(config())
    assert {c["authorization"] for c in fake.requests} == {f"Bearer {TOKEN}"}


@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SHA1"])
def test_oauth1_signature_is_present_and_verifiable(method: str) -> None:
    for store in fake_store(oauth=True):
        run = run_tap(oauth_config(oauth_signature_method=method))
        assert len(run.records["inventory_levels"]) == 8  # noqa: PLR2004
        headers = [c["authorization"] for c in store.requests]
        assert all(h.startswith("OAuth ") for h in headers)
        assert all(f'oauth_signature_method="{method}"' in h for h in headers)
        assert all(f'oauth_consumer_key="{CONSUMER_KEY}"' in h and f'oauth_token="{TOKEN}"' in h for h in headers)
        assert len({h for h in headers}) == len(headers)  # fresh nonce every request
        assert CONSUMER_SECRET not in "".join(headers)
        assert TOKEN_SECRET not in "".join(headers)


def test_independent_verifier_rejects_a_tampered_request() -> None:
    import requests  # noqa: PLC0415
    from requests_oauthlib import OAuth1  # noqa: PLC0415

    url = f"{BASE_URL}/rest/default/V1/products?searchCriteria%5BpageSize%5D=2"
    auth = OAuth1(CONSUMER_KEY, CONSUMER_SECRET, TOKEN, TOKEN_SECRET, signature_method="HMAC-SHA256")
    prepared = auth(requests.Request("GET", url).prepare())
    header = prepared.headers["Authorization"]
    header = header.decode() if isinstance(header, bytes) else header
    assert verify("GET", url, header, CONSUMER_SECRET, TOKEN_SECRET)
    assert not verify("GET", url.replace("=2", "=3"), header, CONSUMER_SECRET, TOKEN_SECRET)
    assert not verify("GET", url, header, CONSUMER_SECRET, "wrong")


def test_wrong_oauth_secret_fails_with_one_clear_line() -> None:
    for _ in fake_store(oauth=True):
        with pytest.raises(FatalAPIError) as info:
            run_tap(oauth_config(consumer_secret="not-the-secret"))
        message = str(info.value)
        assert "HTTP 401" in message
        assert "Magento_InventoryApi::source" in message
        assert "auth_method oauth1" in message
        assert "\n" not in message
        assert "not-the-secret" not in message


def test_oauth1_needs_all_its_settings() -> None:
    from singer_sdk.exceptions import ConfigValidationError  # noqa: PLC0415

    with pytest.raises(ConfigValidationError) as info:
        TapMagentoInventory(config=config(auth_method="oauth1", consumer_key="x"))
    assert "auth_method oauth1 needs consumer_secret, access_token_secret" in str(info.value.errors)


# --------------------------------------------------------------------------- errors


def test_401_names_the_missing_acl_resource(fake: FakeMagento) -> None:
    body = {"message": "The consumer isn't authorized to access %resources.",
            "parameters": {"resources": "Magento_InventoryApi::stock"}}  # fmt: skip
    fake.queue(401, json.dumps(body), {"Content-Type": "application/json"})
    with pytest.raises(FatalAPIError) as info:
        run_tap(config())
    message = str(info.value)
    assert "The consumer isn't authorized to access Magento_InventoryApi::stock." in message
    assert "needs ACL resource Magento_InventoryApi::stock" in message
    assert "standalone Bearer" in message
    assert TOKEN not in message


def test_401_on_store_configs_names_magento_backend_store(fake: FakeMagento) -> None:
    original = fake._handle  # noqa: SLF001

    def deny(request: t.Any) -> tuple[int, dict, str]:  # noqa: ANN401
        if "/V1/store/storeConfigs" in request.url:
            return fake._error(401, "The consumer isn't authorized to access %resources.",  # noqa: SLF001
                               {"resources": "Magento_Backend::store"})
        return original(request)

    fake._handle = deny  # type: ignore[method-assign]  # noqa: SLF001
    with pytest.raises(FatalAPIError) as info:
        run_tap(config())
    assert "needs ACL resource Magento_Backend::store" in str(info.value)
    assert "GET /rest/default/V1/store/storeConfigs" in str(info.value)


def test_html_403_from_a_firewall_is_one_clear_fatal_line(fake: FakeMagento, sleeps: list[float]) -> None:
    fake.queue(403, HTML_403, {"Content-Type": "text/html; charset=UTF-8"})
    with pytest.raises(FatalAPIError) as info:
        run_tap(config())
    message = str(info.value)
    assert "HTTP 403 text/html page 'Attention Required! | Cloudflare' instead of JSON" in message
    assert "blocked by a firewall or CDN" in message
    assert "\n" not in message
    assert sleeps == []


@pytest.mark.parametrize("status", [429, 503])
def test_transient_html_pages_are_retried_then_recover(fake: FakeMagento, sleeps: list[float], status: int) -> None:
    fake.queue(status, HTML_503, {"Content-Type": "text/html"})
    fake.queue(status, HTML_503, {"Content-Type": "text/html"})
    run = run_tap(config(max_retries=2))
    assert len(run.records["inventory_levels"]) == 8  # noqa: PLR2004
    assert len(sleeps) == 2  # noqa: PLR2004


def test_transient_html_pages_give_up_in_one_line(fake: FakeMagento, sleeps: list[float]) -> None:
    for _ in range(3):
        fake.queue(503, HTML_503, {"Content-Type": "text/html"})
    with pytest.raises(FatalAPIError) as info:
        run_tap(config(max_retries=2))
    message = str(info.value)
    assert re.match(r"Magento store demo-magento: gave up after 3 tries in \d+\.\d s:", message), message
    assert "HTTP 503 text/html page '503 Backend fetch failed' instead of JSON" in message
    assert "\n" not in message


def test_json_500_is_retried(fake: FakeMagento, sleeps: list[float]) -> None:
    fake.queue(500, json.dumps({"message": "Internal Error. Details are available in Magento log file."}))
    run = run_tap(config())
    assert len(run.records["locations"]) == 3  # noqa: PLR2004
    assert len(sleeps) == 1


def test_400_is_fatal_with_the_rendered_message(fake: FakeMagento, sleeps: list[float]) -> None:
    body = {"message": "%fieldName is a required field.", "parameters": {"fieldName": "searchCriteria"}}
    fake.queue(400, json.dumps(body), {"Content-Type": "application/json"})
    with pytest.raises(FatalAPIError) as info:
        run_tap(config())
    assert "HTTP 400: searchCriteria is a required field." in str(info.value)
    assert sleeps == []


def test_garbled_json_body_is_retried(fake: FakeMagento, sleeps: list[float]) -> None:
    """A 200 JSON answer cut off or garbled in transit is transient, not a wrong base_url."""
    fake.queue(200, '{"items": [{"sku": "MG-0', {"Content-Type": "application/json"})
    run_tap(config())
    assert len(sleeps) == 1


def test_html_404_points_at_base_url(fake: FakeMagento) -> None:
    fake.queue(404, "<html><head><title>404 Not Found</title></head></html>", {"Content-Type": "text/html"})
    with pytest.raises(FatalAPIError) as info:
        run_tap(config())
    assert "not a Magento REST endpoint, check base_url and store_code" in str(info.value)


def test_secrets_never_reach_the_logs(
    sleeps: list[float], caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    for store in fake_store(oauth=True):
        store.queue(503, HTML_503, {"Content-Type": "text/html"})
        with caplog.at_level(logging.DEBUG):
            run_tap(oauth_config())
        out = capsys.readouterr()
        for secret in (TOKEN, CONSUMER_SECRET, TOKEN_SECRET):
            assert secret not in caplog.text
            assert secret not in out.err
