"""Offline tests: a fake Shopify endpoint served through `responses` (no network)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import typing as t

import jsonschema
import pytest
import requests
import responses
from conftest import run_tap
from fakes import ENDPOINT, TOKEN, FakeShopify, config, cost_block
from singer_inventory_kit import utc_z
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_shopify_inventory.client import gid_tail
from tap_shopify_inventory.pacing import CostGovernor
from tap_shopify_inventory.tap import TapShopifyInventory

THROTTLED = {
    "errors": [
        {
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
        },
    ],
    "extensions": {"cost": cost_block(752, available=666, maximum=1000, rate=50)},
}
HTML = "<!DOCTYPE html><html><head><title>Access denied | Cloudflare</title></head><body>blocked</body></html>"


@pytest.fixture
def fake() -> t.Iterator[FakeShopify]:
    """A fake store wired into `responses` for the test."""
    shop = FakeShopify()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        yield shop


def graphql_requests(fake: FakeShopify, needle: str) -> list[dict]:
    """Payloads of requests whose query contains `needle`."""
    return [r["payload"] for r in fake.requests if "payload" in r and needle in r["payload"]["query"]]


def stable(records: list[dict]) -> list[dict]:
    """Records without the run-dependent column, in a stable order."""
    rows = [{k: v for k, v in r.items() if k != "synced_at"} for r in records]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


# --------------------------------------------------------------------------- records


def test_paged_sync_emits_contract_records_that_validate(fake: FakeShopify, sleeps: list[float]) -> None:
    run = run_tap(config())
    records = run.records
    assert {k: len(v) for k, v in records.items()} == {
        "locations": 2,
        "inventory_items": 7,
        "inventory_levels": 14,
        "sync_runs": 3,
    }
    tap = TapShopifyInventory(config=config())
    for stream_name, rows in records.items():
        schema = tap.streams[stream_name].schema
        for row in rows:
            jsonschema.validate(row, schema)
            assert set(row) == set(schema["properties"]), stream_name
    synced = {r["synced_at"] for rows in records.values() for r in rows if "synced_at" in r}
    assert len(synced) == 1
    assert synced.pop().endswith("Z")

    item = next(r for r in records["inventory_items"] if r["inventory_item_id"] == "101")
    assert item == {
        "store_id": "demo-store",
        "inventory_item_id": "101",
        "sku": "SKU-1",
        "product_id": "301",
        "variant_id": "201",
        "is_tracked": True,
        "oversell_policy": "continue",
        "unit_cost": 1.5,
        "currency": "USD",
        "updated_at": "2026-02-02T08:00:00Z",
        "inventory_item_gid": "gid://shopify/InventoryItem/101",
        "created_at": "2025-12-01T00:00:00Z",
        "synced_at": item["synced_at"],
    }
    level = next(r for r in records["inventory_levels"] if r["inventory_item_id"] == "102" and r["location_id"] == "2")
    assert level["available"] == 22  # noqa: PLR2004
    assert level["safety_stock"] == 29  # noqa: PLR2004
    assert {r["location_id"] for r in records["locations"]} == {"1", "2"}
    assert {(r["stream_name"], r["is_full_snapshot"]) for r in records["sync_runs"]} == {
        ("locations", True),
        ("inventory_items", False),
        ("inventory_levels", False),
    }
    # sync_runs comes after every other stream's records
    last_other = max(i for i, m in enumerate(run.messages) if m["type"] == "RECORD" and m["stream"] != "sync_runs")
    first_run_row = min(i for i, m in enumerate(run.messages) if m["type"] == "RECORD" and m["stream"] == "sync_runs")
    assert first_run_row > last_other


def test_queries_ask_for_all_locations_and_all_eight_quantities(fake: FakeShopify, sleeps: list[float]) -> None:
    run_tap(config())
    locations_query = graphql_requests(fake, "locations(")[0]["query"]
    assert "includeInactive: true" in locations_query
    assert "includeLegacy: true" in locations_query
    levels = graphql_requests(fake, "location(id:")
    assert {p["variables"]["id"] for p in levels} == {"gid://shopify/Location/1", "gid://shopify/Location/2"}
    for name in (
        "available",
        "on_hand",
        "committed",
        "reserved",
        "incoming",
        "damaged",
        "quality_control",
        "safety_stock",
    ):
        assert f'"{name}"' in levels[0]["query"]
    for request in fake.requests:
        assert request["headers"]["X-Shopify-Access-Token"] == TOKEN


def test_helpers() -> None:
    assert gid_tail("gid://shopify/InventoryLevel/12?inventory_item_id=7") == "12"
    assert gid_tail("gid://shopify/Location/3") == "3"
    assert utc_z("2026-01-01T05:00:00-05:00") == "2026-01-01T10:00:00Z"
    assert utc_z("2026-01-01T10:00:00.25Z") == "2026-01-01T10:00:00Z"


def test_pagination_follows_cursors_and_stops() -> None:
    shop = FakeShopify(n_locations=1, n_items=260)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        run = run_tap(config())
    assert len(run.records["inventory_items"]) == 260  # noqa: PLR2004
    assert len({r["inventory_item_id"] for r in run.records["inventory_items"]}) == 260  # noqa: PLR2004
    items = graphql_requests(shop, "inventoryItems(")
    assert [p["variables"]["after"] for p in items] == [None, "cursor:250"]
    levels = graphql_requests(shop, "location(id:")
    assert [p["variables"]["after"] for p in levels] == [None, "cursor:250"]


# --------------------------------------------------------------------------- throttling and pacing


def test_throttle_wait_is_computed_from_extensions_cost() -> None:
    assert CostGovernor.throttle_wait(THROTTLED["extensions"]["cost"]) == pytest.approx((752 - 666) / 50)


def test_throttled_at_http_200_is_retried_without_counting_as_failure(fake: FakeShopify, sleeps: list[float]) -> None:
    for _ in range(3):
        fake.queue(200, THROTTLED)
    run = run_tap(config(max_retries=0))
    assert len(run.records["inventory_items"]) == 7  # noqa: PLR2004
    assert sleeps.count(pytest.approx(1.72)) == 3  # noqa: PLR2004


def test_http_429_honours_retry_after(fake: FakeShopify, sleeps: list[float]) -> None:
    fake.queue(429, {"errors": "Exceeded 2 calls per second for api client."}, {"Retry-After": "2.5"})
    run = run_tap(config(max_retries=0))
    assert len(run.records["locations"]) == 2  # noqa: PLR2004
    assert 2.5 in sleeps  # noqa: PLR2004


def test_governor_waits_until_the_bucket_holds_the_last_requested_cost() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    governor = CostGovernor(clock=lambda: now[0], sleep=sleep)
    governor.observe("q", 250, cost_block(50, available=10, maximum=100, rate=100))
    assert governor.wait_before("q", 250) == pytest.approx(0.4)
    now[0] += 1.0  # the bucket refills to its maximum (100) and no further
    assert governor.available_now() == pytest.approx(100)
    assert governor.wait_before("q", 250) == 0.0
    # an unseen shape waits for the most a single query may request (here the bucket size)
    governor.observe("q", 250, cost_block(50, available=0, maximum=100, rate=100))
    assert governor.wait_before("other", 250) == pytest.approx(1.0)


def test_page_shrinks_from_reported_cost_on_max_cost_exceeded(sleeps: list[float]) -> None:
    shop = FakeShopify(n_locations=1, n_items=400, cost_of=lambda n: 2 + 6 * n)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        run = run_tap(config())
    assert len(run.records["inventory_items"]) == 400  # noqa: PLR2004
    sizes = [p["variables"]["first"] for p in graphql_requests(shop, "inventoryItems(")]
    assert sizes[0] == 250  # noqa: PLR2004
    assert sizes[1] == int(250 * 1000 / 1502 * 0.98)  # proportional to the reported cost
    assert all(2 + 6 * n <= 1000 for n in sizes[1:])  # noqa: PLR2004
    assert sizes[2:] == [166, 166]  # then the largest page under the cap


def test_page_size_converges_to_largest_allowed_with_sublinear_cost(sleeps: list[float]) -> None:
    def steps(n: int) -> int:
        bounds = [(2, 1), (4, 2), (7, 3), (12, 4), (20, 5), (39, 6), (59, 7), (79, 8), (127, 9), (200, 10)]
        return next((m for top, m in bounds if n <= top), 11)

    shop = FakeShopify(n_locations=1, n_items=600, cost_of=lambda n: 2 + steps(n) * 136)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        run = run_tap(config())
    assert len(run.records["inventory_items"]) == 600  # noqa: PLR2004
    served = [
        p["variables"]["first"]
        for p in graphql_requests(shop, "inventoryItems(")
        if 2 + steps(p["variables"]["first"]) * 136 <= 1000  # noqa: PLR2004
    ]
    assert served[-1] == 59  # the largest page whose cost is under 1000  # noqa: PLR2004


# --------------------------------------------------------------------------- errors


def test_other_graphql_errors_are_fatal_with_message_and_code(fake: FakeShopify, sleeps: list[float]) -> None:
    fake.queue(
        200,
        {
            "errors": [
                {
                    "message": "Field 'bogus' doesn't exist on type 'QueryRoot'",
                    "extensions": {"code": "undefinedField", "typeName": "QueryRoot"},
                },
            ],
        },
    )
    with pytest.raises(FatalAPIError) as info:
        run_tap(config())
    message = str(info.value)
    assert "Field 'bogus' doesn't exist on type 'QueryRoot'" in message
    assert "undefinedField" in message
    assert "\n" not in message


def test_401_names_the_store_and_the_setting(fake: FakeShopify, sleeps: list[float]) -> None:
    fake.queue(401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
    with pytest.raises(FatalAPIError) as info:
        run_tap(config())
    assert str(info.value) == ("Shopify rejected the access token (HTTP 401) for store demo-store: check access_token")


@pytest.mark.parametrize(
    ("status", "body", "scope"),
    [
        (403, {"errors": "[API] This action requires merchant approval for read_locations scope."}, "read_locations"),
        (
            200,
            {
                "errors": [
                    {
                        "message": (
                            "Access denied for inventoryItems field. Required access: `read_inventory` access scope."
                        ),
                        "extensions": {"code": "ACCESS_DENIED"},
                    },
                ],
            },
            "read_inventory",
        ),
    ],
)
def test_access_denied_names_the_missing_scope(
    fake: FakeShopify, sleeps: list[float], status: int, body: dict, scope: str
) -> None:
    fake.queue(status, body)
    with pytest.raises(FatalAPIError) as info:
        run_tap(config())
    assert f"missing scope {scope}" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (200, HTML, "text/html"),
        (403, HTML, "text/html"),  # a firewall page, not a missing scope
        (503, HTML, "text/html"),
        (200, '{"data": {"locations": {"no', "application/json"),
    ],
)
def test_non_json_answer_is_retried_then_reported(
    fake: FakeShopify,
    sleeps: list[float],
    status: int,
    body: str,
    content_type: str,
) -> None:
    for _ in range(3):
        fake.queue(status, body, {"Content-Type": content_type})
    with pytest.raises(RetriableAPIError) as info:
        run_tap(config(max_retries=2))
    message = str(info.value)
    assert message.startswith(f"expected JSON from {ENDPOINT}, got {content_type} (HTTP {status}")
    assert "\n" not in message
    assert TOKEN not in message
    assert len(sleeps) == 2  # noqa: PLR2004


def test_transport_errors_end_in_one_clear_line(fake: FakeShopify, sleeps: list[float]) -> None:
    original = fake._execute  # noqa: SLF001

    def reset(query: str, variables: dict) -> dict:
        raise requests.ConnectionError("Connection reset by peer")

    fake._execute = reset  # type: ignore[method-assign]  # noqa: SLF001
    with pytest.raises(FatalAPIError) as info:
        run_tap(config(max_retries=3))
    assert str(info.value).startswith(f"could not get an answer from {ENDPOINT} for store demo-store after 4 tries")
    assert len(sleeps) == 3  # noqa: PLR2004
    fake._execute = original  # type: ignore[method-assign]  # noqa: SLF001


def test_non_json_answer_then_recovery(fake: FakeShopify, sleeps: list[float]) -> None:
    fake.queue(200, HTML, {"Content-Type": "text/html"})
    fake.queue(503, "Service Unavailable", {"Content-Type": "text/plain"})
    run = run_tap(config(max_retries=2))
    assert len(run.records["inventory_levels"]) == 14  # noqa: PLR2004


def test_token_never_reaches_the_logs(
    fake: FakeShopify, sleeps: list[float], caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.queue(200, THROTTLED)
    fake.queue(500, "boom", {"Content-Type": "text/plain"})
    run_tap(config(max_retries=2))
    fake.queue(401, {"errors": "[API] Invalid API key or access token"})
    with pytest.raises(FatalAPIError):
        run_tap(config(max_retries=2))
    assert TOKEN not in caplog.text
    assert TOKEN not in capsys.readouterr().err


# --------------------------------------------------------------------------- bookmarks


def test_filter_is_bookmark_minus_lookback_and_bookmark_stops_at_run_start(
    fake: FakeShopify, sleeps: list[float]
) -> None:
    fake.items[0]["updatedAt"] = "2099-01-01T00:00:00Z"  # a clock-skewed row from the future
    state = {
        "bookmarks": {
            "inventory_items": {"replication_key": "updated_at", "replication_key_value": "2026-02-05T08:00:00Z"},
            "inventory_levels": {"replication_key": "updated_at", "replication_key_value": "2026-03-03T00:00:00Z"},
        },
    }
    before = utc_z(dt.datetime.now(dt.timezone.utc))
    run = run_tap(config(lookback=3600), state=state)
    after = utc_z(dt.datetime.now(dt.timezone.utc))
    items = graphql_requests(fake, "inventoryItems(")
    assert items[0]["variables"]["query"] == "updated_at:>='2026-02-05T07:00:00Z'"
    levels = graphql_requests(fake, "location(id:")
    assert {p["variables"]["query"] for p in levels} == {"updated_at:>='2026-03-02T23:00:00Z'"}
    assert {r["inventory_item_id"] for r in run.records["inventory_items"]} == {"101", "104", "105", "106", "107"}
    for stream in ("inventory_items", "inventory_levels"):
        assert before <= run.bookmark(stream) <= after  # never past the run start


def test_start_date_is_honoured_exactly(fake: FakeShopify, sleeps: list[float]) -> None:
    run = run_tap(config(start_date="2026-02-06T08:00:00Z"))
    assert {r["updated_at"] for r in run.records["inventory_items"]} == {
        "2026-02-06T08:00:00Z",
        "2026-02-07T08:00:00Z",
        "2026-02-08T08:00:00Z",
    }


def test_reconcile_reads_everything_and_marks_full_snapshots(fake: FakeShopify, sleeps: list[float]) -> None:
    state = {
        "bookmarks": {
            "inventory_items": {"replication_key": "updated_at", "replication_key_value": "2099-01-01T00:00:00Z"}
        }
    }
    run = run_tap(config(reconcile=True), state=state)
    assert len(run.records["inventory_items"]) == 7  # noqa: PLR2004
    assert all(p["variables"]["query"] is None for p in graphql_requests(fake, "inventoryItems("))
    assert all(r["is_full_snapshot"] for r in run.records["sync_runs"])


def test_failed_sync_keeps_the_old_bookmark_and_writes_no_sync_runs(fake: FakeShopify, sleeps: list[float]) -> None:
    old = "2026-01-01T00:00:00Z"
    state = {"bookmarks": {"inventory_levels": {"replication_key": "updated_at", "replication_key_value": old}}}
    fake.locations.append({**fake.locations[0], "id": "gid://shopify/Location/9"})
    fake.levels["gid://shopify/Location/9"] = []
    original = fake._execute  # noqa: SLF001

    def failing(query: str, variables: dict) -> dict:
        if variables.get("id") == "gid://shopify/Location/2":
            msg = "location 2 is down"
            raise requests.ConnectionError(msg)
        return original(query, variables)

    fake._execute = failing  # type: ignore[method-assign]  # noqa: SLF001
    with pytest.raises(Exception) as info:  # noqa: PT011
        run_tap(config(max_retries=1), state=state)
    run = info.value.run  # type: ignore[attr-defined]
    assert "inventory_levels" in run.records  # location 1 was emitted before the failure
    assert all(s["bookmarks"].get("inventory_levels", {}).get("replication_key_value") == old for s in run.states)
    assert "sync_runs" not in run.records
    assert len(sleeps) >= 1  # the connection error was retried (max_retries=1) first


# --------------------------------------------------------------------------- bulk


def test_bulk_output_equals_paged_output_with_shuffled_lines(sleeps: list[float]) -> None:
    outputs = {}
    for use_bulk in (False, True):
        shop = FakeShopify(n_locations=3, n_items=9)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            shop.install(rsps)
            run = run_tap(config(use_bulk=use_bulk, start_date="2026-02-03T00:00:00Z"))
        outputs[use_bulk] = {k: stable(v) for k, v in run.records.items() if k != "sync_runs"}
        if use_bulk:
            bulk_queries = [p["variables"]["query"] for p in graphql_requests(shop, "bulkOperationRunQuery")]
            assert len(bulk_queries) == 3  # noqa: PLR2004
            assert any("inventoryLevels(query: \"updated_at:>='2026-02-03T00:00:00Z'\")" in q for q in bulk_queries)
            # the download is a signed URL on another host: no token sent there
            downloads = [r for r in shop.requests if "download" in r]
            assert downloads
            assert all("X-Shopify-Access-Token" not in r["headers"] for r in downloads)
    assert outputs[True] == outputs[False]
    assert len(outputs[True]["inventory_levels"]) == 27  # noqa: PLR2004


def test_bulk_waits_for_an_operation_it_did_not_start(fake: FakeShopify, sleeps: list[float]) -> None:
    fake.running_other = "gid://shopify/BulkOperation/999"
    run = run_tap(config(use_bulk=True))
    assert len(run.records["inventory_items"]) == 7  # noqa: PLR2004
    polled = [p["variables"]["id"] for p in graphql_requests(fake, "node(id:")]
    assert "gid://shopify/BulkOperation/999" in polled
    assert not graphql_requests(fake, "bulkOperationCancel")


def test_bulk_failure_names_the_error_code(fake: FakeShopify, sleeps: list[float]) -> None:
    original = fake._bulk_poll  # noqa: SLF001

    def failing(op_id: str) -> dict:
        fake.bulk[op_id].update(status="FAILED", errorCode="ACCESS_DENIED")
        return original(op_id)

    fake._bulk_poll = failing  # type: ignore[method-assign]  # noqa: SLF001
    with pytest.raises(FatalAPIError) as info:
        run_tap(config(use_bulk=True))
    assert "ended FAILED with errorCode ACCESS_DENIED" in str(info.value)


def test_bulk_empty_result_is_fine(fake: FakeShopify, sleeps: list[float]) -> None:
    run = run_tap(config(use_bulk=True, start_date="2026-11-01T00:00:00Z"))
    assert "inventory_items" not in run.records
    assert {r["stream_name"] for r in run.records["sync_runs"]} == {"locations", "inventory_items", "inventory_levels"}
