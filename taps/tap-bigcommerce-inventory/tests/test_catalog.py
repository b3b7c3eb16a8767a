"""Discovery is offline and stable; `--about` lists the capabilities and settings we promise."""

from __future__ import annotations

import json
import time
from pathlib import Path

import responses
from conftest import run_cli
from singer_inventory_kit.testing import check_about, settings_table, undeclared_imports

from tap_bigcommerce_inventory.tap import TapBigCommerceInventory

FIXTURE = Path(__file__).parent / "fixtures" / "catalog.json"


def test_discover_matches_committed_catalog(tmp_path: Path) -> None:
    """Schema drift shows up here; regenerate with `tap-bigcommerce-inventory --discover`."""
    result = run_cli("--discover", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(FIXTURE.read_text())


def test_discover_makes_no_http_request() -> None:
    with responses.RequestsMock() as rsps:  # any request would raise ConnectionError
        started = time.monotonic()
        catalog = TapBigCommerceInventory(config={"store_hash": "abc123", "access_token": "x"}).catalog_dict
        assert time.monotonic() - started < 5  # noqa: PLR2004
        assert not rsps.calls
    assert {s["tap_stream_id"] for s in catalog["streams"]} == {
        "locations", "inventory_items", "inventory_levels", "sync_runs"}


def test_catalog_declares_keys_and_replication() -> None:
    streams = {s["tap_stream_id"]: s for s in json.loads(FIXTURE.read_text())["streams"]}
    assert streams["locations"]["key_properties"] == ["store_id", "location_id"]
    assert streams["locations"]["replication_method"] == "FULL_TABLE"
    assert streams["inventory_items"]["replication_key"] == "updated_at"
    assert streams["inventory_levels"]["key_properties"] == ["store_id", "inventory_item_id", "location_id"]
    assert streams["inventory_levels"]["replication_method"] == "FULL_TABLE"
    assert streams["sync_runs"]["key_properties"] == ["store_id", "run_started_at", "stream_name"]


def test_streams_sync_in_name_order_so_sync_runs_is_last() -> None:
    tap = TapBigCommerceInventory(config={"store_hash": "abc123", "access_token": "x"})
    assert sorted(tap.streams)[-1] == "sync_runs"


def test_about_lists_capabilities_and_settings(tmp_path: Path) -> None:
    result = run_cli("--about", "--format=json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    names = ("store_hash", "access_token", "start_date", "api_url", "page_size", "request_timeout", "max_retries")
    settings = check_about(json.loads(result.stdout), settings=names, required=["store_hash", "access_token"])
    assert settings["max_retries"]["default"] == 8  # noqa: PLR2004


def test_config_errors_are_one_clear_line(tmp_path: Path) -> None:
    future = run_cli(
        config={"store_hash": "abc123", "access_token": "x", "start_date": "2999-01-01T00:00:00Z"}, tmp_path=tmp_path
    )
    assert future.returncode != 0
    assert "start_date 2999-01-01T00:00:00Z is in the future" in future.stderr
    missing = run_cli(config={"store_hash": "abc123"}, tmp_path=tmp_path)
    assert missing.returncode != 0
    assert "'access_token' is a required property" in missing.stderr


def test_readme_settings_table_is_the_generated_one(tmp_path: Path) -> None:
    """The README pastes `--about --format=markdown`; regenerate it after changing a setting."""
    result = run_cli("--about", "--format=markdown", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert settings_table(readme) == settings_table(result.stdout)


def test_package_imports_only_what_it_declares() -> None:
    """singer-sdk, the kit, its own modules and the standard library: nothing else from this repository."""
    assert undeclared_imports("tap-bigcommerce-inventory", "tap_bigcommerce_inventory") == {}


def test_package_imports_nothing_else_from_the_repository() -> None:
    package = Path(__file__).parent.parent / "tap_bigcommerce_inventory"
    for path in package.rglob("*.py"):
        text = path.read_text()
        for other in ("inventory_sandbox", "tap_shopify", "tap_magento"):
            assert other not in text, path
