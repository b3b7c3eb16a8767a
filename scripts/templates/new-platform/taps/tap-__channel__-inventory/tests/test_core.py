"""The tap's catalog offers the streams of the normalized contract, offline (no HTTP)."""

from __future__ import annotations

from tap___channel___inventory.tap import Tap__Channel__Inventory

CONFIG = {"store": "demo-store", "access_token": "token_demo-store", "api_url": "http://127.0.0.1:9/stores/demo-store"}


def test_catalog_has_the_contract_streams() -> None:
    tap = Tap__Channel__Inventory(config=CONFIG, parse_env_config=False)
    names = {stream.name for stream in tap.discover_streams()}
    assert names == {"locations", "inventory_items", "inventory_levels", "sync_runs"}
