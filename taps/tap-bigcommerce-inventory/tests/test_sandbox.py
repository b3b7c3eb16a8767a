"""Integration tests against the sandbox store (`inventory-sandbox --platform bigcommerce`, real HTTP)."""

from __future__ import annotations

import time
import typing as t

import pytest
from conftest import Sandbox, run_cli, run_tap, start_sandbox
from singer_inventory_kit.testing import check_faults_spent, requests_of

if t.TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.sandbox

KEYS = {"locations": ("location_id",), "inventory_items": ("inventory_item_id",),
        "inventory_levels": ("inventory_item_id", "location_id")}


def without_synced_at(records: list[dict], *keys: str) -> dict[tuple, dict]:
    return {tuple(r[k] for k in keys): {k: v for k, v in r.items() if k != "synced_at"} for r in records}


def assert_equals_truth(run_records: dict[str, list[dict]], truth: dict) -> None:
    for stream, keys in KEYS.items():
        got = without_synced_at(run_records[stream], *keys)
        want = {tuple(r[k] for k in keys): r for r in truth[stream]}
        assert len(got) == len(run_records[stream]), f"{stream}: duplicate keys"
        assert got == want, stream


@pytest.fixture
def small_sandbox(tmp_path: Path) -> t.Iterator[Sandbox]:
    box = start_sandbox(tmp_path, items=2000)
    yield box
    box.stop()


def test_full_sync_equals_ground_truth(sandbox: Sandbox) -> None:
    sandbox.reset()
    run = run_tap(sandbox.config())
    assert_equals_truth(run.records, sandbox.truth())
    assert {(r["stream_name"], r["is_full_snapshot"]) for r in run.records["sync_runs"]} == {
        ("locations", True), ("inventory_items", True), ("inventory_levels", True)}
    synced = {r["synced_at"] for s in KEYS for r in run.records[s]}
    assert synced == {run.records["sync_runs"][0]["run_started_at"]}
    assert {r["store_id"] for s in KEYS for r in run.records[s]} == {sandbox.store}
    assert any(not r["is_active"] for r in run.records["locations"])
    assert any(not r["is_tracked"] for r in run.records["inventory_items"])
    # what the answers do not carry, found the documented way: the default location and the currency
    assert [r["location_id"] for r in run.records["locations"] if r["is_default"]] == ["1"]
    assert {r["currency"] for r in run.records["inventory_items"]} == {"USD"}
    assert all(r["sku_id"] for r in run.records["inventory_items"])


def test_currency_follows_the_store_default(sandbox: Sandbox) -> None:
    sandbox.reset()
    sandbox.control("POST", "config", {"currency": "EUR"})
    try:
        run = run_tap(sandbox.config())
    finally:
        sandbox.control("POST", "config", {"currency": "USD"})
    assert {r["currency"] for r in run.records["inventory_items"]} == {"EUR"}
    calls = [c for c in sandbox.log()["calls"] if c["path"] == "v2/store"]
    assert len(calls) == 1  # once per run


@pytest.mark.parametrize("lowercase", [False, True], ids=["Headers", "lower-case-headers"])
def test_sync_over_several_quota_windows_never_gets_429(small_sandbox: Sandbox, lowercase: bool) -> None:
    quota, window_ms = 3, 600
    small_sandbox.control("POST", "config", {"window_ms": window_ms, "quota": quota, "lowercase_headers": lowercase})
    small_sandbox.control("POST", "log/reset")
    run = run_tap(small_sandbox.config(page_size=400))  # 2000 variants: many pages, several windows
    log = small_sandbox.log()
    summary = {k: v for k, v in log.items() if k != "calls"}
    assert log["api_requests"] >= 3 * quota, summary
    assert log["too_many_requests"] == 0, summary
    assert "429" not in log["status_counts"], summary
    small_sandbox.control("POST", "config", {"window_ms": 30000, "quota": 10000})
    assert_equals_truth(run.records, small_sandbox.truth())


def test_incremental_run_emits_exactly_the_changed_products(small_sandbox: Sandbox) -> None:
    store = small_sandbox.store
    first = run_tap(small_sandbox.config())
    assert first.bookmark("inventory_items")
    small_sandbox.control("POST", "stock", {"store": store, "changes": 25, "seed": 3})  # does not move date_modified
    touched = small_sandbox.control("POST", "touch_products", {"store": store, "changes": 9, "seed": 4})["changed"]
    time.sleep(1.1)  # `:min` is inclusive: a product edited in the run's first second is read again next run
    second = run_tap(small_sandbox.config(), state=first.state)
    items = second.records["inventory_items"]
    assert {r["product_id"] for r in items} == {c["product_id"] for c in touched}
    truth_items = [r for r in small_sandbox.truth()["inventory_items"] if r["product_id"] in
                   {c["product_id"] for c in touched}]
    assert len(items) == len(truth_items)  # every variant of the 9 products, nothing else
    assert {(r["stream_name"], r["is_full_snapshot"]) for r in second.records["sync_runs"]} == {
        ("locations", True), ("inventory_items", False), ("inventory_levels", True)}
    assert str(second.bookmark("inventory_items")) >= str(first.bookmark("inventory_items"))
    third = run_tap(small_sandbox.config(), state=second.state)
    assert not third.records.get("inventory_items")


def test_removed_variant_disappears_from_the_snapshot(small_sandbox: Sandbox) -> None:
    store = small_sandbox.store
    first = run_tap(small_sandbox.config())
    victim = next(r for r in small_sandbox.truth()["inventory_items"] if r["is_tracked"] and not r["is_base_variant"])
    assert victim["inventory_item_id"] in {r["inventory_item_id"] for r in first.records["inventory_levels"]}
    small_sandbox.control("POST", "delete_variant", {"store": store, "variant_id": victim["variant_id"]})
    second = run_tap(small_sandbox.config(), state=first.state)
    assert victim["inventory_item_id"] not in {r["inventory_item_id"] for r in second.records["inventory_levels"]}
    truth = small_sandbox.truth()
    assert without_synced_at(second.records["inventory_levels"], "inventory_item_id", "location_id") == {
        (r["inventory_item_id"], r["location_id"]): r for r in truth["inventory_levels"]}
    # removing a variant edits its product: the siblings come again in the incremental items read
    assert {r["product_id"] for r in second.records["inventory_items"]} == {victim["product_id"]}


@pytest.fixture(scope="module")
def faultless_requests(sandbox: Sandbox) -> int:
    """The requests of the fault tests' sync when nothing goes wrong."""
    return requests_of(sandbox, lambda: run_tap(sandbox.config(max_retries=3, request_timeout=5)))


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "throttled", "count": 2, "retry_after": 0.3},
        {"kind": "http_429", "count": 1},
        {"kind": "http_500", "count": 2},
        {"kind": "http_503", "count": 2},
        {"kind": "reset", "count": 2},
        {"kind": "malformed", "count": 2},
        {"kind": "truncated", "count": 2},
        {"kind": "html", "count": 2, "status": 503},
    ],
    ids=lambda f: f"{f['kind']}-{f.get('status', '')}",
)
def test_transient_faults_are_retried(sandbox: Sandbox, fault: dict, faultless_requests: int) -> None:
    sandbox.reset()
    sandbox.control("POST", "faults", fault)
    run = run_tap(sandbox.config(max_retries=3, request_timeout=5))
    check_faults_spent(sandbox, fault["count"], faultless_requests)  # each fault fired once and was retried
    sandbox.reset()
    assert_equals_truth(run.records, sandbox.truth())


def test_cli_connection_test_and_clear_auth_errors(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    ok = run_cli("--test", config=sandbox.config(), tmp_path=tmp_path)
    assert ok.returncode == 0, ok.stderr[-2000:]
    bad = run_cli(config=sandbox.config(access_token="bc_wrong_token_value"), tmp_path=tmp_path)
    assert bad.returncode != 0
    assert "BigCommerce rejected the access token (HTTP 401) for store demostore: check access_token" in bad.stderr
    assert "bc_wrong_token_value" not in bad.stderr
    sandbox.control("POST", "config", {"scopes": ["store_v2_products_read_only", "store_locations_read_only",
                                                  "store_v2_information_read_only"]})
    try:
        denied = run_cli(config=sandbox.config(), tmp_path=tmp_path)
    finally:
        sandbox.control("POST", "config", {"scopes": ["store_v2_products_read_only", "store_inventory_read_only",
                                                      "store_locations_read_only", "store_v2_information_read_only"]})
    assert denied.returncode != 0
    assert ("BigCommerce denied access (HTTP 403) for store demostore in stream inventory_levels: "
            "the access token is missing scope store_inventory_read_only") in denied.stderr
    assert sandbox.token not in denied.stderr


def test_html_that_outlasts_retries_ends_in_one_clear_line(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    sandbox.control("POST", "faults", {"kind": "html", "count": 50, "status": 503})
    result = run_cli(config=sandbox.config(max_retries=1), tmp_path=tmp_path)
    sandbox.reset()
    assert result.returncode != 0
    endpoint = f"{sandbox.url}/stores/{sandbox.store}/v2/store"  # the run's first request
    assert f"expected JSON from {endpoint}, got text/html" in result.stderr
    assert sandbox.token not in result.stderr
