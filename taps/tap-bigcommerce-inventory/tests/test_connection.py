"""`--test` for a person with new credentials: one line per stream and a verdict, exit 1 when it cannot sync.

Offline with `responses`, then through the console script against the sandbox store with a good token, a
wrong token, and API accounts without the Inventory scope (`store_inventory_read_only`) or without the
Information & Settings scope (`store_v2_information_read_only`, for the store's currency).
"""

from __future__ import annotations

import io
import typing as t
from pathlib import Path

import pytest
import responses
from conftest import run_cli
from singer_inventory_kit.connection import connection_test
from test_client import API, CONFIG, ITEM, LOCATION, PROBLEM, PRODUCT, STORE, limits, page

from tap_bigcommerce_inventory.tap import TapBigCommerceInventory

if t.TYPE_CHECKING:
    from conftest import Sandbox

DENIED = {"status": 403, "title": "You don't have a required scope to access the endpoint", **PROBLEM}
REJECTED = {"status": 401, "title": "No valid credentials were found in this request", **PROBLEM}


def answer(items_status: int = 200, all_status: int = 200) -> str:
    """Run the check in-process against `responses`; return what it printed."""
    out = io.StringIO()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        store = {200: STORE, 401: [{"status": 401, "message": REJECTED["title"]}]}.get(all_status, STORE)
        rsps.get(f"{API}/v2/store", status=all_status if all_status == 401 else 200, json=store, headers=limits(100))
        for path, body, per_page in (("inventory/locations", LOCATION, 1000), ("catalog/products", PRODUCT, 250),
                                     ("inventory/items", ITEM, 1000)):
            status = items_status if path == "inventory/items" and items_status != 200 else all_status
            reply = {200: page([body], 1, 1, per_page), 401: REJECTED, 403: DENIED}[status]
            rsps.get(f"{API}/v3/{path}", status=status, json=reply, headers=limits(100))
        ok = connection_test(TapBigCommerceInventory(config=CONFIG), out)
    text = out.getvalue()
    assert ok == text.splitlines()[-1].startswith("Ready"), text
    assert CONFIG["access_token"] not in text
    return text


def line(text: str, stream: str) -> str:
    return next(x for x in text.splitlines() if x.strip().startswith(f"{stream} "))


def test_good_token_every_stream_reachable() -> None:
    text = answer()
    assert "OK: reachable, records read" in line(text, "inventory_levels")
    assert text.splitlines()[-1] == "Ready: every stream can sync (4 streams)."


def test_missing_inventory_scope_is_named() -> None:
    text = answer(items_status=403)
    assert "MISSING SCOPE" in line(text, "inventory_levels")
    assert "OK" in line(text, "locations")
    assert "missing scopes store_inventory_read_only" in text.splitlines()[-1]


def test_rejected_token_says_so() -> None:
    text = answer(all_status=401)
    assert "BAD CREDENTIALS" in line(text, "inventory_items")
    assert "check access_token" in text.splitlines()[-1]


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("scopes", "token", "code", "expect"),
    [
        (None, None, 0, "Ready: every stream can sync"),
        (None, "bc_wrong_token", 1, "BAD CREDENTIALS"),
        (["store_v2_products_read_only", "store_locations_read_only", "store_v2_information_read_only"], None, 1,
         "missing scopes store_inventory_read_only"),
        (["store_v2_products_read_only", "store_locations_read_only", "store_inventory_read_only"], None, 1,
         "missing scopes store_v2_information_read_only"),
    ],
    ids=["good", "wrong-token", "no-inventory-scope", "no-information-scope"],
)
def test_console_script_against_the_sandbox(
    sandbox: Sandbox, tmp_path: Path, scopes: list[str] | None, token: str | None, code: int, expect: str
) -> None:
    everything = sandbox.control("GET", "config")["scopes"][sandbox.store]
    sandbox.control("POST", "config", {"store": sandbox.store, "scopes": scopes or everything})
    try:
        overrides = {"access_token": token} if token else {}
        result = run_cli("--test", config=sandbox.config(**overrides), tmp_path=tmp_path, timeout=120)
    finally:
        sandbox.control("POST", "config", {"store": sandbox.store, "scopes": everything})
    assert result.returncode == code, result.stderr[-2000:]
    assert expect in result.stderr
    assert "bc_wrong_token" not in result.stderr  # never a secret in the output


def test_incomplete_config_is_one_line_per_problem(tmp_path: Path) -> None:
    result = run_cli("--test", config={"store_hash": "abc123"}, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Config validation error: 'access_token' is a required property" in result.stderr
    assert "Traceback" not in result.stderr
