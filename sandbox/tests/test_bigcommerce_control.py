"""BigCommerce sandbox: quota windows and 429s, faults, stock and product changes, removals, log, CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from inventory_sandbox import BigCommerceSandbox

STORE = "demostore"
LIMIT_HEADERS = ("X-Rate-Limit-Requests-Left", "X-Rate-Limit-Requests-Quota", "X-Rate-Limit-Time-Reset-Ms",
                 "X-Rate-Limit-Time-Window-Ms")


@pytest.fixture
def bc():
    with BigCommerceSandbox(stores=[STORE], locations=3, items=60, seed=11, quota=1000) as sb:
        yield sb


def get(sb, path="inventory/items", **params):
    return requests.get(f"{sb.api_url(STORE)}/v3/{path}", params=params,
                        headers={"X-Auth-Token": sb.token(STORE)}, timeout=30)


def test_quota_window_headers_and_429(bc):
    bc.configure(window_ms=1500, quota=3)
    lefts = []
    for _ in range(3):
        resp = get(bc)
        assert resp.status_code == 200
        assert all(h in resp.headers for h in LIMIT_HEADERS)
        lefts.append(int(resp.headers["X-Rate-Limit-Requests-Left"]))
    assert lefts == [2, 1, 0]
    assert resp.headers["X-Rate-Limit-Requests-Quota"] == "3"
    assert resp.headers["X-Rate-Limit-Time-Window-Ms"] == "1500"
    assert 0 < int(resp.headers["X-Rate-Limit-Time-Reset-Ms"]) <= 1500
    over = get(bc)
    assert over.status_code == 429
    assert over.json() == {"status": 429, "title": "Too many requests", "type": over.json()["type"], "errors": {}}
    assert all(h in over.headers for h in LIMIT_HEADERS) and over.headers["X-Retry-After"] in ("1", "2")
    time.sleep(int(over.headers["X-Rate-Limit-Time-Reset-Ms"]) / 1000 + 0.05)
    assert get(bc).status_code == 200  # a new window
    log = bc.log()
    assert log["rate_limited"] == 1 and log["too_many_requests"] == 1 and log["status_counts"]["429"] == 1


def test_lowercase_header_option(bc):
    bc.configure(lowercase_headers=True)
    raw = requests.get(f"{bc.api_url(STORE)}/v3/inventory/items", headers={"X-Auth-Token": bc.token(STORE)},
                       stream=True)
    names = list(raw.raw.headers.keys())
    assert "x-rate-limit-requests-left" in names and "X-Rate-Limit-Requests-Left" not in names


def test_429_faults_with_and_without_headers(bc):
    bc.add_fault("http_429")
    bare = get(bc)
    assert bare.status_code == 429 and not any(h in bare.headers for h in LIMIT_HEADERS)
    bc.add_fault("throttled", retry_after=2)
    full = get(bc)
    assert full.status_code == 429 and full.headers["X-Rate-Limit-Requests-Left"] == "0"
    assert full.headers["X-Rate-Limit-Time-Reset-Ms"] == "2000" and full.headers["X-Retry-After"] == "2"
    assert get(bc).status_code == 200
    assert bc.log()["too_many_requests"] == 2 and bc.log()["rate_limited"] == 0


@pytest.mark.parametrize(("kind", "check"), [
    ("http_500", lambda r: r.status_code == 500 and r.json()["status"] == 500),
    ("http_503", lambda r: r.status_code == 503),
    ("malformed", lambda r: r.status_code == 200 and r.text.startswith('{"data"') and not r.text.endswith("}")),
    ("html", lambda r: r.status_code == 503 and r.headers["Content-Type"].startswith("text/html")),
])
def test_faults(bc, kind, check):
    bc.add_fault(kind)
    assert check(get(bc))
    assert get(bc).status_code == 200


def test_reset_and_truncated_faults(bc):
    bc.add_fault("reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        get(bc)
    bc.add_fault("truncated")
    with pytest.raises(requests.exceptions.RequestException):
        get(bc).json()
    assert get(bc).status_code == 200


def test_stock_change_does_not_move_date_modified_but_product_edit_does(bc):
    before = bc.truth(STORE)
    changed = bc.change_stock(STORE, n=5, seed=1)
    assert len({(c["inventory_item_id"], c["location_id"]) for c in changed}) == 5
    after = bc.truth(STORE)
    assert after["inventory_items"] == before["inventory_items"]
    levels = {(r["inventory_item_id"], r["location_id"]): r for r in after["inventory_levels"]}
    for c in changed:
        assert levels[(c["inventory_item_id"], c["location_id"])]["on_hand"] == c["on_hand"]
    touched = bc.touch_products(STORE, n=3, seed=2)
    assert len({t["product_id"] for t in touched}) == 3
    items = bc.truth(STORE)["inventory_items"]
    moved = {r["product_id"] for r in items if r not in before["inventory_items"]}
    assert moved == {t["product_id"] for t in touched}
    r = get(bc, "catalog/products", limit=250, **{"date_modified:min": min(t["date_modified"] for t in touched)})
    assert {str(p["id"]) for p in r.json()["data"]} == {t["product_id"] for t in touched}


def test_set_stock_and_remove_variant(bc):
    row = bc.truth(STORE)["inventory_levels"][0]
    out = bc.set_stock(STORE, [{"variant_id": row["variant_id"], "location_id": row["location_id"],
                                "quantities": {"on_hand": 9, "safety_stock": 2}}])
    assert out[0]["available"] == 7 and out[0]["on_hand"] == 9
    truth = bc.truth(STORE)
    victim = next(r for r in truth["inventory_items"] if r["is_tracked"] and not r["is_base_variant"])
    result = bc.delete_variant(STORE, victim["variant_id"])
    assert result["product_deleted"] is False
    after = bc.truth(STORE)
    assert victim["inventory_item_id"] not in {r["inventory_item_id"] for r in after["inventory_items"]}
    assert victim["inventory_item_id"] not in {r["inventory_item_id"] for r in after["inventory_levels"]}
    assert len(after["inventory_levels"]) == len(truth["inventory_levels"]) - 3
    sibling = next(r for r in after["inventory_items"] if r["product_id"] == victim["product_id"])
    assert sibling["updated_at"] > victim["updated_at"]  # removing a variant edits the product
    ids = {i["identity"]["variant_id"] for i in get(bc, limit=1000).json()["data"]}
    assert int(victim["variant_id"]) not in ids
    with pytest.raises(RuntimeError, match="404"):
        bc.delete_variant(STORE, victim["variant_id"])


def test_inactive_location_toggle(bc):
    loc = bc.set_location_active(STORE, 1, False)
    assert loc["is_active"] is False
    assert get(bc, "inventory/locations").json()["data"][0]["enabled"] is False


def _script() -> list[str]:
    exe = Path(sys.executable).with_name("inventory-sandbox")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "inventory_sandbox"]


def test_cli_serves_bigcommerce(tmp_path):
    ready = tmp_path / "ready"
    proc = subprocess.Popen(_script() + ["serve", "--platform", "bigcommerce", "--stores", "abc123", "--items", "30",
                                         "--locations", "2", "--window-ms", "5000", "--quota", "20",
                                         "--lowercase-headers", "--ready-file", str(ready)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:")
        url = line.split(" ", 1)[1]
        assert ready.read_text().strip() == url
        health = requests.get(f"{url}/_sandbox/health").json()
        assert health["platform"] == "bigcommerce" and health["stores"]["abc123"]["token"] == "bc_sandbox_abc123"
        resp = requests.get(f"{url}/stores/abc123/v3/inventory/items", headers={"X-Auth-Token": "bc_sandbox_abc123"})
        assert resp.status_code == 200 and resp.headers["x-rate-limit-requests-quota"] == "20"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
