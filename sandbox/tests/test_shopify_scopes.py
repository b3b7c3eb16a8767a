"""A token without an access scope: Shopify's ACCESS_DENIED for the fields needing it, nothing charged."""

from __future__ import annotations

import pytest
import requests
from conftest import Client

from inventory_sandbox import ShopifySandbox

LOCATIONS = "{ locations(first: 2) { nodes { id name } } }"
ITEMS = "{ inventoryItems(first: 2) { nodes { id sku variant { id product { id } } } } }"


@pytest.fixture
def scoped():
    with ShopifySandbox(stores=["demo-store", "other-store"], locations=2, items=10, seed=3) as sb:
        yield sb


def test_missing_scope_denies_its_fields_only(scoped) -> None:
    answer = requests.post(f"{scoped.url}/_sandbox/config", json={"store": "demo-store",
                           "scopes": ["read_inventory", "read_products"]}, timeout=10)
    assert answer.json()["scopes"]["demo-store"] == ["read_inventory", "read_products"]
    client = Client(scoped, "demo-store")

    denied = client(LOCATIONS)
    assert denied["data"] is None
    (error,) = denied["errors"]
    assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert "`read_locations` access scope" in error["message"]
    assert denied["extensions"]["cost"]["requestedQueryCost"] == 0

    assert len(client.data(ITEMS)["inventoryItems"]["nodes"]) == 2  # the scopes it has still work
    # Scopes are per store: the other store's token keeps them all.
    assert Client(scoped, "other-store").data(LOCATIONS)["locations"]["nodes"]


def test_every_missing_scope_is_named(scoped) -> None:
    scoped_config = requests.post(f"{scoped.url}/_sandbox/config", json={"scopes": []}, timeout=10)
    assert scoped_config.status_code == 200
    errors = Client(scoped, "demo-store")(ITEMS)["errors"]
    assert {e["extensions"]["requiredAccess"] for e in errors} == {
        "`read_inventory` access scope.", "`read_products` access scope."}


def test_unknown_scope_is_refused(scoped) -> None:
    answer = requests.post(f"{scoped.url}/_sandbox/config", json={"scopes": ["write_everything"]}, timeout=10)
    assert answer.status_code == 400
    assert "unknown scopes" in answer.json()["error"]
