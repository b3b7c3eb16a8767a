"""Shared fixtures: sandboxes on loopback and a small GraphQL client."""

from __future__ import annotations

import pytest
import requests

# Under CI no skip passes (the repo's guard, from the kit the root test venv installs).
from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401 - under CI no skip passes
from inventory_sandbox import ShopifySandbox

STORE = "demo-store"
VERSION = "2025-07"


class Client:
    """POSTs GraphQL to one store of a sandbox the way a tap would."""

    def __init__(self, sandbox: ShopifySandbox, store: str = STORE):
        self.sandbox = sandbox
        self.store = store
        self.session = requests.Session()
        self.url = sandbox.graphql_url(store, VERSION)

    def post(self, query: str, variables: dict | None = None, **kwargs) -> requests.Response:
        headers = {"X-Shopify-Access-Token": self.sandbox.token(self.store)}
        return self.session.post(self.url, json={"query": query, "variables": variables or {}},
                                 headers=headers, timeout=30, **kwargs)

    def __call__(self, query: str, variables: dict | None = None) -> dict:
        resp = self.post(query, variables)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def data(self, query: str, variables: dict | None = None) -> dict:
        body = self(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture(scope="session")
def sandbox():
    """Shared read-mostly sandbox (tests that change data use ``fresh``)."""
    with ShopifySandbox(stores=[STORE, "other-store"], locations=4, items=500, seed=7,
                        bucket_size=1_000_000, restore_rate=1_000_000, bulk_delay_ms=150) as sb:
        yield sb


@pytest.fixture(scope="session")
def client(sandbox) -> Client:
    return Client(sandbox)


@pytest.fixture
def fresh():
    """A private sandbox for tests that mutate data, throttling or faults."""
    with ShopifySandbox(stores=[STORE], locations=4, items=120, seed=11, bucket_size=1_000_000,
                        restore_rate=1_000_000, bulk_delay_ms=150) as sb:
        yield sb


@pytest.fixture
def fresh_client(fresh) -> Client:
    return Client(fresh)


def gid_tail(gid: str) -> str:
    return gid.split("?", 1)[0].rsplit("/", 1)[-1]


def level_key(gid: str) -> tuple[str, str]:
    """InventoryLevel GID -> (inventory_item_id, location_id)."""
    path, _, query = gid.partition("?")
    return query.split("inventory_item_id=", 1)[1], path.rsplit("/", 1)[-1]


def crit(*groups, sort=(), size=None, page=None) -> dict:
    """Magento searchCriteria query parameters: filter groups of (field, value, condition), sort orders, paging.
    Values are strings, as a query string carries them."""
    params = {}
    for g, group in enumerate(groups):
        for f, (field, value, cond) in enumerate(group):
            p = f"searchCriteria[filter_groups][{g}][filters][{f}]"
            params.update({f"{p}[field]": field, f"{p}[value]": value, f"{p}[condition_type]": cond})
    for i, (field, direction) in enumerate(sort):
        params.update({f"searchCriteria[sortOrders][{i}][field]": field,
                       f"searchCriteria[sortOrders][{i}][direction]": direction})
    if size is not None:
        params["searchCriteria[pageSize]"] = str(size)
    if page is not None:
        params["searchCriteria[currentPage]"] = str(page)
    return params or {"searchCriteria": ""}
