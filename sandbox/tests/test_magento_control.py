"""Magento sandbox: seeded data, ground truth, stock changes, touches, deletions, faults, log, CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from inventory_sandbox import MagentoSandbox
from inventory_sandbox.magento.data import StoreData

STORE = "demo-store"


@pytest.fixture
def mg():
    with MagentoSandbox(stores=[STORE], locations=4, items=60, seed=7) as sb:
        yield sb


def api(sb, path, **params):
    params = params or {"searchCriteria": ""}
    return requests.get(f"{sb.base_url()}/rest/default/V1/{path}", params=params,
                        headers={"Authorization": f"Bearer {sb.token()}"}, timeout=30)


def test_seed_is_deterministic_and_varied():
    a, b = StoreData(STORE, 4, 80, 7).truth(), StoreData(STORE, 4, 80, 7).truth()
    assert a == b
    assert StoreData(STORE, 4, 80, 8).truth() != a
    items = a["inventory_items"]
    assert {r["type_id"] for r in items} >= {"simple", "configurable"}
    assert any(r["is_tracked"] is False for r in items)
    assert any(r["oversell_policy"] == "continue" for r in items)
    assert sum(1 for r in a["locations"] if not r["is_active"]) == 1
    levels = a["inventory_levels"]
    assert any(r["status"] == 0 and r["on_hand"] > 0 for r in levels) or any(r["available"] == 0 for r in levels)
    assert all(r["available"] in (0, r["on_hand"]) for r in levels)
    assert {r["stock_id"] for r in a["stocks"]} == {"1", "2"}


def test_truth_matches_the_api(mg):
    truth = mg.truth(STORE)
    items = api(mg, "inventory/source-items").json()["items"]
    assert sorted((i["sku"], i["source_code"], i["quantity"]) for i in items) == \
        sorted((r["sku"], r["location_id"], r["quantity"]) for r in truth["inventory_levels"])
    products = api(mg, "products").json()["items"]
    by_id = {str(p["id"]): p for p in products}
    for row in truth["inventory_items"]:
        assert row["updated_at"] == by_id[row["inventory_item_id"]]["updated_at"].replace(" ", "T") + "Z"


def test_stock_changes_do_not_move_updated_at_but_touches_do(mg):
    before = {p["sku"]: p["updated_at"] for p in api(mg, "products").json()["items"]}
    changed = mg.change_stock(STORE, n=5, seed=3)
    assert len(changed) == 5
    mg.set_stock(STORE, [{"sku": "MG-00001", "source_code": "default", "quantity": 42}])
    after = {p["sku"]: p["updated_at"] for p in api(mg, "products").json()["items"]}
    assert after == before
    level = next(r for r in mg.truth(STORE)["inventory_levels"]
                 if (r["sku"], r["location_id"]) == ("MG-00001", "default"))
    assert (level["on_hand"], level["available"], level["status"]) == (42, 42, 1)
    mg.touch_products(STORE, skus=["MG-00002"])
    moved = {p["sku"]: p["updated_at"] for p in api(mg, "products").json()["items"]}
    assert moved["MG-00002"] > before["MG-00002"]
    assert sum(1 for k in moved if moved[k] != before[k]) == 1


def test_delete_source_item_and_product(mg):
    first = mg.truth(STORE)["inventory_levels"][0]
    mg.delete_source_item(STORE, first["sku"], first["location_id"])
    keys = {(r["sku"], r["location_id"]) for r in mg.truth(STORE)["inventory_levels"]}
    assert (first["sku"], first["location_id"]) not in keys
    mg.delete_product(STORE, "MG-00003")
    truth = mg.truth(STORE)
    assert "MG-00003" not in {r["sku"] for r in truth["inventory_items"]}
    assert "MG-00003" not in {r["sku"] for r in truth["inventory_levels"]}
    with pytest.raises(RuntimeError, match="404"):
        mg.delete_source_item(STORE, "MG-00003", "default")


def test_salable_respects_disabled_sources_reservations_and_backorders(mg):
    truth = mg.truth(STORE)
    sku = "MG-00001"
    mg.set_stock(STORE, [{"sku": sku, "source_code": "default", "quantity": 10}])
    mg.set_reservation(STORE, sku, 1, -3)

    def salable(stock):
        return api(mg, f"inventory/get-product-salable-quantity/{sku}/{stock}").json()

    others = sum(r["quantity"] for r in mg.truth(STORE)["inventory_levels"]
                 if r["sku"] == sku and r["location_id"] != "default" and r["status"] == 1
                 and next(loc for loc in truth["locations"] if loc["location_id"] == r["location_id"])["is_active"])
    item = next(r for r in truth["inventory_items"] if r["sku"] == sku)
    if item["oversell_policy"] == "deny":
        assert salable(1) == max(0, 10 + others - 3)
    mg.set_reservation(STORE, sku, 1, -10_000)
    if item["oversell_policy"] == "deny":
        assert salable(1) == 0  # never negative without backorders
    backorder = next(r for r in truth["inventory_items"]
                     if r["oversell_policy"] == "continue" and r["type_id"] != "configurable")
    mg.set_reservation(STORE, backorder["sku"], 1, -10_000)
    assert api(mg, f"inventory/get-product-salable-quantity/{backorder['sku']}/1").json() < 0


@pytest.mark.parametrize(("kind", "status", "content_type"), [
    ("http_429", 429, "text/html"), ("http_503", 503, "text/html"), ("http_500", 500, "application/json"),
    ("html", 403, "text/html"),
])
def test_faults(mg, kind, status, content_type):
    mg.add_fault(kind, count=2, status=403 if kind == "html" else None)
    for _ in range(2):
        resp = api(mg, "inventory/sources")
        assert resp.status_code == status
        assert resp.headers["Content-Type"].startswith(content_type)
    assert api(mg, "inventory/sources").status_code == 200


def test_reset_malformed_truncated_faults(mg):
    mg.add_fault("reset")
    with pytest.raises(requests.ConnectionError):
        api(mg, "inventory/sources")
    mg.add_fault("malformed")
    with pytest.raises(ValueError):
        api(mg, "inventory/sources").json()
    mg.add_fault("truncated")
    with pytest.raises(requests.RequestException):
        api(mg, "inventory/sources").json()
    assert api(mg, "inventory/sources").status_code == 200


def test_log_counts_requests_routes_and_auth(mg):
    mg.reset_log()
    api(mg, "products")
    api(mg, "inventory/source-items")
    requests.get(f"{mg.base_url()}/rest/default/V1/products?searchCriteria", timeout=30)
    log = mg.log()
    assert log["requests"] == 3 and log["api_requests"] == 3
    assert log["routes"] == {"products": 2, "inventory/source-items": 1}
    assert log["bearer_requests"] == 2 and log["auth_failures"] == 1
    assert log["status_counts"] == {"200": 2, "401": 1}
    assert log["calls"][-1]["status"] == 401


def test_cli_serves_magento(tmp_path: Path):
    script = Path(sys.executable).parent / "inventory-sandbox"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "inventory_sandbox"]
    proc = subprocess.Popen([*command, "serve", "--platform", "magento", "--port", "0", "--items", "10",
                             "--mode", "single", "--no-repeat-last-page", "--ready-file", str(tmp_path / "r")],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("READY http://")
        url = line.split()[1]
        health = requests.get(f"{url}/_sandbox/health", timeout=10).json()
        assert health["platform"] == "magento" and health["stores"][STORE]["mode"] == "single"
        assert requests.get(f"{url}/_sandbox/config", timeout=10).json()["repeat_last_page"] is False
    finally:
        proc.terminate()
        proc.wait(timeout=15)
