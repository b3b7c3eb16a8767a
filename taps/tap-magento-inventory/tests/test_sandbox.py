"""Integration tests against `inventory-sandbox serve --platform magento` (real HTTP on loopback)."""

from __future__ import annotations

import json
import typing as t

import pytest
from conftest import Sandbox, run_cli, run_tap, start_sandbox
from singer_sdk.exceptions import FatalAPIError

if t.TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.sandbox


def stable(rows: list[dict]) -> list[dict]:
    """Rows without synced_at, in a stable order."""
    clean = [{k: v for k, v in r.items() if k != "synced_at"} for r in rows]
    return sorted(clean, key=lambda r: json.dumps(r, sort_keys=True))


def assert_equals_truth(records: dict[str, list[dict]], truth: dict[str, list[dict]]) -> None:
    for stream, rows in truth.items():
        assert stable(records.get(stream, [])) == stable(rows), stream


def test_records_equal_ground_truth(sandbox: Sandbox) -> None:
    run = run_tap(sandbox.config(include_salable_quantity=True, page_size=7))
    assert_equals_truth(run.records, sandbox.truth())
    runs = {(r["stream_name"], r["is_full_snapshot"]) for r in run.records["sync_runs"]}
    assert ("inventory_levels", True) in runs
    assert len({r["synced_at"] for rows in run.records.values() for r in rows if "synced_at" in r}) == 1


def test_store_view_gives_the_currency_and_the_default_store_id(sandbox: Sandbox) -> None:
    """Without store_id, records carry the host of the store view's secure base URL (never the sandbox's own
    loopback address, which is what base_url points at); the currency is the store view's base currency."""
    sandbox.control("POST", "config", {"currency": "GBP", "host": "shop.sandbox-brand.example"})
    try:
        sandbox.control("POST", "log/reset")
        run = run_tap(sandbox.config(store_id=None))
    finally:
        sandbox.control("POST", "config", {"currency": "USD", "host": f"{sandbox.store}.example.com"})
    assert {r["store_id"] for rows in run.records.values() for r in rows} == {"shop.sandbox-brand.example"}
    assert {r["currency"] for r in run.records["inventory_items"]} == {"GBP"}
    assert sandbox.log()["routes"]["store/storeConfigs"] == 1  # read once per run
    kept = run_tap(sandbox.config())  # an explicit store_id is kept
    assert {r["store_id"] for r in kept.records["locations"]} == {sandbox.store}
    assert {r["currency"] for r in kept.records["inventory_items"]} == {"USD"}


def test_last_page_repeat_on_and_off_gives_the_same_rows(sandbox: Sandbox) -> None:
    outputs = []
    for repeat in (True, False):
        sandbox.control("POST", "config", {"repeat_last_page": repeat})
        try:
            run = run_tap(sandbox.config(page_size=9))
        finally:
            sandbox.control("POST", "config", {"repeat_last_page": True})
        outputs.append({s: stable(rows) for s, rows in run.records.items() if s != "sync_runs"})
    assert outputs[0] == outputs[1]
    assert len(outputs[0]["inventory_levels"]) == len(sandbox.truth()["inventory_levels"])


def test_oauth1_and_bearer_give_the_same_records(sandbox: Sandbox) -> None:
    bearer = run_tap(sandbox.config())
    sandbox.control("POST", "config", {"bearer": False})
    try:
        sandbox.control("POST", "log/reset")
        for method in ("HMAC-SHA256", "HMAC-SHA1"):
            signed = run_tap(sandbox.oauth_config(oauth_signature_method=method))
            for stream in ("locations", "inventory_items", "inventory_levels"):
                assert stable(signed.records[stream]) == stable(bearer.records[stream])
        log = sandbox.log()
        assert log["oauth_requests"] == log["api_requests"] > 0
        assert log["auth_failures"] == 0
        with pytest.raises(FatalAPIError) as info:  # Bearer refused, as on Magento 2.4.4+ by default
            run_tap(sandbox.config())
        assert "HTTP 401" in str(info.value)
        assert "standalone Bearer" in str(info.value)
    finally:
        sandbox.control("POST", "config", {"bearer": True})


def test_wrong_signature_fails_with_a_clear_line(sandbox: Sandbox, tmp_path: Path) -> None:
    config = sandbox.oauth_config(consumer_secret="wrong-consumer-secret", max_retries=0)
    result = run_cli(config=config, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "HTTP 401: The consumer isn't authorized to access Magento_" in result.stderr
    assert "auth_method oauth1: consumer_key, consumer_secret, access_token, access_token_secret" in result.stderr
    assert "wrong-consumer-secret" not in result.stderr


def test_missing_acl_resource_is_named(sandbox: Sandbox) -> None:
    granted = sandbox.control("GET", "config")["resources"][sandbox.store]
    sandbox.control("POST", "config", {"resources": [r for r in granted if r != "Magento_InventoryApi::stock"]})
    try:
        with pytest.raises(FatalAPIError) as info:
            run_tap(sandbox.config())
        assert "needs ACL resource Magento_InventoryApi::stock" in str(info.value)
    finally:
        sandbox.control("POST", "config", {"resources": granted})


def test_firewall_pages_are_retried_or_reported(sandbox: Sandbox) -> None:
    sandbox.reset()
    sandbox.control("POST", "faults", {"kind": "http_503", "count": 1})
    sandbox.control("POST", "faults", {"kind": "http_429", "count": 1})
    run = run_tap(sandbox.config())
    assert sandbox.pending_faults() == []  # both queued faults were used...
    statuses = sandbox.log()["status_counts"]
    assert (statuses.get("503"), statuses.get("429")) == (1, 1), statuses  # ...answered as the sandbox logged
    assert len(run.records["locations"]) == len(sandbox.truth()["locations"])
    sandbox.control("POST", "faults", {"kind": "html", "status": 403, "count": 1})
    with pytest.raises(FatalAPIError) as info:
        run_tap(sandbox.config())
    assert "HTTP 403 text/html page" in str(info.value)
    assert "blocked by a firewall or CDN" in str(info.value)
    sandbox.reset()


def test_stock_changes_and_deletions_show_in_the_next_snapshot(fresh_sandbox: Sandbox) -> None:
    first = run_tap(fresh_sandbox.config())
    fresh_sandbox.control("POST", "stock", {"store": fresh_sandbox.store, "changes": 5, "seed": 1})
    gone = fresh_sandbox.truth()["inventory_levels"][3]
    fresh_sandbox.control(
        "POST",
        "delete_source_item",
        {"store": fresh_sandbox.store, "sku": gone["sku"], "source_code": gone["location_id"]},
    )
    second = run_tap(fresh_sandbox.config(), state=first.state)
    truth = fresh_sandbox.truth()
    assert stable(second.records["inventory_levels"]) == stable(truth["inventory_levels"])
    # Stock changes do not move products: the incremental read finds nothing new.
    assert second.records.get("inventory_items", []) == []
    fresh_sandbox.control("POST", "touch_products", {"store": fresh_sandbox.store, "skus": ["MG-00004"]})
    third = run_tap(fresh_sandbox.config(), state=second.state)
    assert [r["sku"] for r in third.records["inventory_items"]] == ["MG-00004"]


def test_single_source_store_falls_back_to_legacy_stock_items(tmp_path: Path) -> None:
    box = start_sandbox(tmp_path, "--mode", "single", items=40)
    try:
        run = run_tap(box.config(include_salable_quantity=True))
        truth = box.truth()
        assert_equals_truth(
            {s: rows for s, rows in run.records.items() if s in ("locations", "inventory_items", "inventory_levels")},
            {s: truth[s] for s in ("locations", "inventory_items", "inventory_levels")},
        )
        assert [r["location_id"] for r in run.records["locations"]] == ["default"]
        assert [r["stock_id"] for r in run.records["stocks"]] == ["1"]
        assert "salable_quantities" not in run.records
    finally:
        box.stop()
