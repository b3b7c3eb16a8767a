"""Data faults and the pass-through kinds: rows repeated across pages, control calls between pages."""

from __future__ import annotations

import pytest
import requests

from inventory_sandbox import BigCommerceSandbox, MagentoSandbox, ShopifySandbox
from inventory_sandbox.faults import Fault


def _faults(sandbox, *specs) -> None:
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"faults": list(specs)}, timeout=10).raise_for_status()


def test_overlap_repeats_the_previous_pages_last_rows():
    with BigCommerceSandbox(stores=["s1"], locations=2, items=12, seed=1) as bc:
        api, headers = bc.api_url("s1"), {"X-Auth-Token": bc.token("s1")}
        _faults(bc, {"kind": "none"}, {"kind": "overlap", "rows": 2})
        pages = [requests.get(f"{api}/v3/inventory/items", params={"limit": 5, "page": n}, headers=headers,
                              timeout=10).json()["data"] for n in (1, 2, 3)]
        ids = [[r["identity"]["variant_id"] for r in page] for page in pages]
        assert ids[1][:2] == ids[0][-2:] and len(ids[1]) == 7  # page 2 repeats page 1's last two rows
        assert len(ids[2]) <= 5 and not set(ids[2]) & set(ids[1])  # the fault is spent


def test_mutate_runs_a_control_call_before_answering():
    with MagentoSandbox(stores=["m1"], locations=2, items=6, seed=1) as mg:
        _faults(mg, {"kind": "mutate", "route": "source", "body": {"store": "m1", "source_code": "eu-warehouse",
                                                                    "enabled": False}})
        assert all(s["is_active"] for s in mg.truth("m1")["locations"])
        requests.get(f"{mg.base_url('m1')}/rest/V1/inventory/sources", params={"searchCriteria": ""},
                     headers={"Authorization": f"Bearer {mg.token('m1')}"}, timeout=10).raise_for_status()
        active = {s["location_id"]: s["is_active"] for s in mg.truth("m1")["locations"]}
        assert active["eu-warehouse"] is False


def test_fault_specs_are_checked():
    assert Fault.from_json({"kind": "timeout"}).delay_ms == 5000
    assert Fault.from_json({"kind": "none"}).delay_ms == 0
    with pytest.raises(ValueError, match="mutate"):
        Fault.from_json({"kind": "mutate", "route": "stock"})


def test_a_matched_fault_waits_for_its_endpoint_and_every_used_fault_is_reported():
    """``match`` holds a fault (and those queued after it) until a request whose target contains the text;
    ``fired`` lists each fault used, so a test can prove its faults were spent where it meant them."""
    with BigCommerceSandbox(stores=["s1"], locations=2, items=12, seed=1) as bc:
        api, headers = bc.api_url("s1"), {"X-Auth-Token": bc.token("s1")}
        _faults(bc, {"kind": "http_500", "match": "inventory/items"}, {"kind": "http_503"})

        def status(path: str) -> int:
            return requests.get(f"{api}/v3/{path}", params={"limit": 5}, headers=headers, timeout=10).status_code

        assert status("inventory/locations") == 200  # not the matched endpoint: the queue waits
        assert status("catalog/products") == 200
        assert status("inventory/items") == 500
        assert status("inventory/locations") == 503  # the next fault, unmatched, takes any request
        state = requests.get(f"{bc.url}/_sandbox/faults", timeout=10).json()
        assert state["pending"] == []
        assert [(f["kind"], f["target"].split("?")[0]) for f in state["fired"]] == [
            ("http_500", "GET inventory/items"), ("http_503", "GET inventory/locations")]
        requests.delete(f"{bc.url}/_sandbox/faults", timeout=10).raise_for_status()
        assert requests.get(f"{bc.url}/_sandbox/faults", timeout=10).json() == {"pending": [], "fired": []}


def test_magento_and_shopify_faults_match_their_request_target():
    with MagentoSandbox(stores=["m1"], locations=2, items=6, seed=1) as mg:
        _faults(mg, {"kind": "http_500", "match": "inventory/source-items"})
        get = lambda path: requests.get(f"{mg.base_url('m1')}/rest/V1/{path}",  # noqa: E731
                                        params={"searchCriteria[pageSize]": 5},
                                        headers={"Authorization": f"Bearer {mg.token('m1')}"}, timeout=10)
        assert get("products").status_code == 200
        assert get("inventory/source-items").status_code == 500
        fired = requests.get(f"{mg.url}/_sandbox/faults", timeout=10).json()["fired"]
        assert [f["kind"] for f in fired] == ["http_500"] and "inventory/source-items" in fired[0]["target"]
    with ShopifySandbox(stores=["s1"], locations=2, items=6, seed=1) as shop:
        _faults(shop, {"kind": "http_500", "match": "inventoryLevels"})
        post = lambda query: requests.post(shop.graphql_url("s1", "2026-10"), json={"query": query},  # noqa: E731
                                           headers={"X-Shopify-Access-Token": shop.token("s1")}, timeout=10)
        assert post("{ locations(first: 5) { nodes { id } } }").status_code == 200
        levels = "{ location(id: \"gid://shopify/Location/60000000001\") { inventoryLevels(first: 5) { nodes { id } } } }"
        assert post(levels).status_code == 500
        assert [f["kind"] for f in requests.get(f"{shop.url}/_sandbox/faults", timeout=10).json()["fired"]] == [
            "http_500"]


def test_match_must_be_text():
    with pytest.raises(ValueError, match="match"):
        Fault.from_json({"kind": "none", "match": ""})
