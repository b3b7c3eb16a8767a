"""`--test` for a person with new credentials: one line per stream and a verdict, exit 1 when it cannot sync.

Offline against the fake endpoint (`responses`), then through the console script against the sandbox store
with a good token, a wrong token, and a token lacking `read_locations`.
"""

from __future__ import annotations

import io
import json
import typing as t
from pathlib import Path

import pytest
import responses
from conftest import run_cli
from fakes import ENDPOINT, FakeShopify, config
from singer_inventory_kit.connection import connection_test

from tap_shopify_inventory.tap import TapShopifyInventory

if t.TYPE_CHECKING:
    from conftest import Sandbox

DENIED = {
    "errors": [{"message": "Access denied for locations field. Required access: `read_locations` access scope.",
                "extensions": {"code": "ACCESS_DENIED"}, "path": ["locations"]}],
    "data": None,
}


def answer(shop: FakeShopify, *, deny_locations: bool = False, status: int | None = None) -> str:
    """Run the check in-process against the fake; return what it printed."""
    out = io.StringIO()

    def callback(request: t.Any) -> tuple[int, dict, str]:  # noqa: ANN401
        query = json.loads(request.body)["query"]
        if status:
            return status, {"Content-Type": "application/json"}, json.dumps({"errors": "[API] Invalid API key"})
        if deny_locations and "location" in query:
            return 200, {"Content-Type": "application/json"}, json.dumps(DENIED)
        return shop._callback(request)  # noqa: SLF001

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.POST, ENDPOINT, callback=callback)
        ok = connection_test(TapShopifyInventory(config=config()), out)
    text = out.getvalue()
    assert ok == text.splitlines()[-1].startswith("Ready"), text
    return text


def line(text: str, stream: str) -> str:
    return next(x for x in text.splitlines() if x.strip().startswith(f"{stream} "))


def test_good_token_every_stream_reachable() -> None:
    text = answer(FakeShopify())
    assert "OK: reachable, records read" in line(text, "inventory_levels")
    assert text.splitlines()[-1] == "Ready: every stream can sync (4 streams)."


def test_missing_scope_is_named_per_stream() -> None:
    text = answer(FakeShopify(), deny_locations=True)
    assert "MISSING SCOPE" in line(text, "locations")
    assert "MISSING SCOPE" in line(text, "inventory_levels")  # levels are read per location
    assert "OK" in line(text, "inventory_items")
    assert "missing scopes read_locations" in text.splitlines()[-1]


def test_rejected_token_says_so() -> None:
    text = answer(FakeShopify(), status=401)
    assert "BAD CREDENTIALS" in line(text, "locations")
    assert "check access_token" in text.splitlines()[-1]


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("scopes", "token", "code", "expect"),
    [
        (None, None, 0, "Ready: every stream can sync"),
        (None, "shpat_wrong", 1, "BAD CREDENTIALS"),
        (["read_inventory", "read_products"], None, 1, "missing scopes read_locations"),
    ],
    ids=["good", "wrong-token", "no-read_locations"],
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
    assert "shpat_wrong" not in result.stderr  # never a secret in the output


def test_incomplete_config_is_one_line_per_problem(tmp_path: Path) -> None:
    result = run_cli("--test", config={"store": "demo-store"}, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Config validation error: 'access_token' is a required property" in result.stderr
    assert "Traceback" not in result.stderr
