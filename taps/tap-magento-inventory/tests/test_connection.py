"""`--test` for a person with new credentials: one line per stream and a verdict, exit 1 when it cannot sync.

Magento answers 401 both for wrong credentials and for a missing ACL resource; the check tells them apart by
whether any stream could be read. Offline with the fake store, then through the console script against the
sandbox store with good credentials, a wrong token, and an integration without `Magento_InventoryApi::stock`.
"""

from __future__ import annotations

import io
import json
import re
import typing as t
from pathlib import Path

import pytest
import responses
from conftest import run_cli
from fakes import REST, TOKEN, FakeMagento, config
from singer_inventory_kit.connection import connection_test

from tap_magento_inventory.tap import TapMagentoInventory

if t.TYPE_CHECKING:
    from conftest import Sandbox

STOCK_ROUTES = ("/V1/inventory/stocks", "/V1/inventory/stock-source-links")


def answer(*, deny_stock: bool = False, deny_store: bool = False, token: str = TOKEN, **settings: t.Any) -> str:  # noqa: ANN401
    """Run the check in-process against the fake store; return what it printed."""
    store, out = FakeMagento(), io.StringIO()
    denied = (STOCK_ROUTES if deny_stock else ()) + (("/V1/store/storeConfigs",) if deny_store else ())

    def callback(request: t.Any) -> tuple[int, dict, str]:  # noqa: ANN401
        route = request.path_url.split("?")[0]
        if route.endswith(denied):
            resource = "Magento_Backend::store" if route.endswith("storeConfigs") else "Magento_InventoryApi::stock"
            body = {"message": "The consumer isn't authorized to access %resources.",
                    "parameters": {"resources": resource}}  # fmt: skip
            return 401, {"Content-Type": "application/json"}, json.dumps(body)
        return store._handle(request)  # noqa: SLF001

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.GET, re.compile(re.escape(REST) + r"/.*"), callback=callback)
        ok = connection_test(TapMagentoInventory(config=config(access_token=token, **settings)), out)
    text = out.getvalue()
    assert ok == text.splitlines()[-1].startswith("Ready"), text
    assert token not in text
    return text


def line(text: str, stream: str) -> str:
    return next(x for x in text.splitlines() if x.strip().startswith(f"{stream} "))


def test_good_credentials_every_stream_reachable() -> None:
    text = answer()
    assert "OK: reachable, records read" in line(text, "inventory_levels")
    assert "OK: off (include_salable_quantity is false)" in line(text, "salable_quantities")
    assert text.splitlines()[-1] == "Ready: every stream can sync (7 streams)."


def test_missing_acl_resource_is_named() -> None:
    text = answer(deny_stock=True)
    assert "MISSING ACL RESOURCE" in line(text, "stocks")
    assert "MISSING ACL RESOURCE" in line(text, "stock_source_links")
    assert "OK" in line(text, "inventory_levels")
    assert "missing ACL resources Magento_InventoryApi::stock" in text.splitlines()[-1]


def test_missing_store_resource_is_named_when_store_id_is_set() -> None:
    text = answer(deny_store=True)
    assert "MISSING ACL RESOURCE" in line(text, "inventory_items")  # its currency
    assert "OK" in line(text, "locations")
    assert "missing ACL resources Magento_Backend::store" in text.splitlines()[-1]


def test_without_store_id_a_refused_store_view_may_be_either() -> None:
    text = answer(deny_store=True, store_id=None)
    assert "BAD CREDENTIALS" in line(text, "locations")
    assert "tick Magento_Backend::store" in text


def test_every_stream_refused_means_the_credentials() -> None:
    text = answer(token="not-the-token")  # noqa: S106
    assert "BAD CREDENTIALS" in line(text, "locations")
    assert "check access_token" in text.splitlines()[-1]


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("resources", "token", "code", "expect"),
    [
        (None, None, 0, "Ready: every stream can sync"),
        (None, "mg_wrong_token", 1, "BAD CREDENTIALS"),
        (["Magento_Catalog::products", "Magento_CatalogInventory::cataloginventory", "Magento_InventoryApi::source",
          "Magento_Backend::store"], None, 1, "missing ACL resources Magento_InventoryApi::stock"),
        (["Magento_Catalog::products", "Magento_CatalogInventory::cataloginventory", "Magento_InventoryApi::source",
          "Magento_InventoryApi::stock"], None, 1, "missing ACL resources Magento_Backend::store"),
    ],
    ids=["good", "wrong-token", "no-stock-resource", "no-store-resource"],
)
def test_console_script_against_the_sandbox(
    sandbox: Sandbox, tmp_path: Path, resources: list[str] | None, token: str | None, code: int, expect: str
) -> None:
    everything = sandbox.control("GET", "config")["resources"][sandbox.store]
    sandbox.control("POST", "config", {"store": sandbox.store, "resources": resources or everything})
    try:
        overrides = {"access_token": token} if token else {}
        result = run_cli("--test", config=sandbox.config(**overrides), tmp_path=tmp_path, timeout=120)
    finally:
        sandbox.control("POST", "config", {"store": sandbox.store, "resources": everything})
    assert result.returncode == code, result.stderr[-2000:]
    assert expect in result.stderr
    assert "mg_wrong_token" not in result.stderr  # never a secret in the output


def test_incomplete_config_is_one_line_per_problem(tmp_path: Path) -> None:
    result = run_cli("--test", config={"base_url": "https://shop.example.com"}, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Config validation error: 'access_token' is a required property" in result.stderr
    assert "Traceback" not in result.stderr
