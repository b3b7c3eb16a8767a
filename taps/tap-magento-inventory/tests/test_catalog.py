"""Discovery is offline and stable; `--about` lists the capabilities and settings we promise."""

from __future__ import annotations

import json
import time
from pathlib import Path

import responses
from conftest import run_cli
from singer_inventory_kit.testing import check_about, settings_table, undeclared_imports

from tap_magento_inventory.tap import TapMagentoInventory

DISTRIBUTION = "tap-magento-inventory"
FIXTURE = Path(__file__).parent / "fixtures" / "catalog.json"
STREAMS = {
    "locations",
    "stocks",
    "stock_source_links",
    "inventory_items",
    "inventory_levels",
    "salable_quantities",
    "sync_runs",
}


def test_discover_matches_committed_catalog(tmp_path: Path) -> None:
    """Schema drift shows up here; regenerate with `tap-magento-inventory --discover`."""
    result = run_cli("--discover", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(FIXTURE.read_text())


def test_discover_makes_no_http_request() -> None:
    with responses.RequestsMock() as rsps:  # any request would raise ConnectionError
        started = time.monotonic()
        catalog = TapMagentoInventory(config={"base_url": "https://shop.example.com", "access_token": "x"}).catalog_dict
        assert time.monotonic() - started < 5  # noqa: PLR2004
        assert not rsps.calls
    assert {s["tap_stream_id"] for s in catalog["streams"]} == STREAMS


def test_catalog_declares_keys_and_replication() -> None:
    streams = {s["tap_stream_id"]: s for s in json.loads(FIXTURE.read_text())["streams"]}
    assert streams["locations"]["key_properties"] == ["store_id", "location_id"]
    assert streams["locations"]["replication_method"] == "FULL_TABLE"
    assert streams["inventory_items"]["replication_key"] == "updated_at"
    assert streams["inventory_levels"]["key_properties"] == ["store_id", "inventory_item_id", "location_id"]
    assert streams["inventory_levels"]["replication_method"] == "FULL_TABLE"
    assert streams["stock_source_links"]["key_properties"] == ["store_id", "stock_id", "source_code"]
    assert streams["salable_quantities"]["key_properties"] == ["store_id", "sku", "stock_id"]
    assert streams["sync_runs"]["key_properties"] == ["store_id", "run_started_at", "stream_name"]
    # The SDK syncs in name order: sync_runs must come last.
    assert max(STREAMS) == "sync_runs"


def test_about_lists_capabilities_and_settings(tmp_path: Path) -> None:
    result = run_cli("--about", "--format=json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    names = ("base_url", "store_code", "store_id", "auth_method", "access_token", "consumer_key", "consumer_secret",
             "access_token_secret", "oauth_signature_method", "start_date", "lookback", "reconcile", "page_size",
             "include_salable_quantity", "salable_quantity_concurrency", "request_timeout", "max_retries")  # fmt: skip
    secrets = ("access_token", "consumer_key", "consumer_secret", "access_token_secret")
    settings = check_about(json.loads(result.stdout), settings=names, required=["base_url", "access_token"],
                           secrets=secrets)  # fmt: skip
    assert settings["include_salable_quantity"]["default"] is False
    assert settings["store_code"]["default"] == "default"


def test_config_errors_are_one_clear_line(tmp_path: Path) -> None:
    base = {"base_url": "https://shop.example.com", "access_token": "x"}
    future = run_cli(config={**base, "start_date": "2999-01-01T00:00:00Z"}, tmp_path=tmp_path)
    assert future.returncode != 0
    assert "start_date 2999-01-01T00:00:00Z is in the future" in future.stderr
    rest = run_cli(config={**base, "base_url": "https://shop.example.com/rest/V1"}, tmp_path=tmp_path)
    assert rest.returncode != 0
    assert "must stop before /rest/" in rest.stderr
    missing = run_cli(config={"base_url": "https://shop.example.com"}, tmp_path=tmp_path)
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
    assert undeclared_imports(DISTRIBUTION, DISTRIBUTION.replace("-", "_")) == {}
