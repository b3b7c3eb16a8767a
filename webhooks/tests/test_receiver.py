"""The receiver as a real server: what it answers, what it keeps, and that a crash loses nothing accepted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid

import requests
from conftest import BIGCOMMERCE_TOKEN, SHOPIFY_SECRET, Receiver, script

from inventory_webhooks.store import EventStore
from inventory_webhooks.verify import shopify_signature


def shopify_delivery(available: int, webhook_id: str | None = None, secret: str = SHOPIFY_SECRET,
                     triggered: float | None = None) -> tuple[dict, bytes]:
    body = json.dumps({"inventory_item_id": 40000000001, "location_id": 60000000001, "available": available,
                       "updated_at": "2026-01-02T10:00:00-05:00",
                       "admin_graphql_api_id": "gid://shopify/InventoryLevel/60000000001?inventory_item_id=40000000001"
                       }).encode()
    moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if triggered is None else triggered))
    return {"X-Shopify-Hmac-Sha256": shopify_signature(secret, body), "X-Shopify-Topic": "inventory_levels/update",
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()), "X-Shopify-Shop-Domain": "demo-store.myshopify.com",
            "X-Shopify-Triggered-At": moment, "Content-Type": "application/json"}, body


def post(receiver: Receiver, headers: dict, body: bytes, platform: str = "shopify") -> requests.Response:
    return requests.post(f"{receiver.url}/webhooks/{platform}", data=body, headers=headers, timeout=10)


def stored(receiver: Receiver) -> list[dict]:
    store = EventStore(receiver.db, readonly=True)
    try:
        return list(store.read())
    finally:
        store.close()


def test_signature_good_bad_missing(receiver: Receiver) -> None:
    headers, body = shopify_delivery(5)
    good = post(receiver, headers, body)
    assert good.status_code == 200 and good.json()["duplicate"] is False

    bad_headers, bad_body = shopify_delivery(6, secret="not-the-secret")
    assert post(receiver, bad_headers, bad_body).status_code == 401
    missing = {k: v for k, v in shopify_delivery(7)[0].items() if k != "X-Shopify-Hmac-Sha256"}
    assert post(receiver, missing, shopify_delivery(7)[1]).status_code == 401
    tampered = post(receiver, headers, body.replace(b'"available": 5', b'"available": 500'))
    assert tampered.status_code == 401

    bc = json.dumps({"scope": "store/sku/inventory/updated", "store_id": "1", "producer": "stores/abc", "hash": "h-1",
                     "created_at": int(time.time()), "data": {"type": "sku", "id": 1,
                                                              "inventory": {"product_id": 1, "variant_id": 1}}})
    assert post(receiver, {"X-Webhook-Token": "wrong"}, bc.encode(), "bigcommerce").status_code == 401
    assert post(receiver, {}, bc.encode(), "bigcommerce").status_code == 401
    assert post(receiver, {"X-Webhook-Token": BIGCOMMERCE_TOKEN}, bc.encode(), "bigcommerce").status_code == 200

    huge = post(receiver, headers, b" " * 2_000_000)
    assert huge.status_code == 413

    rows = stored(receiver)
    assert [(r["platform"], r["payload"].get("available")) for r in rows] == [("shopify", 5), ("bigcommerce", None)]


def test_serve_without_any_secret_is_one_line(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_WEBHOOKS_")}
    proc = subprocess.run([script("inventory-webhooks"), "serve", "--db", str(tmp_path / "e.sqlite")],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "INVENTORY_WEBHOOKS_SHOPIFY_SECRET" in proc.stderr


def test_replays_are_stored_once_or_refused(tmp_path) -> None:
    receiver = Receiver(tmp_path / "events.sqlite", max_age=600).start()
    try:
        headers, body = shopify_delivery(5, webhook_id="same-id")
        first, again = post(receiver, headers, body), post(receiver, headers, body)
        assert first.status_code == again.status_code == 200  # a redelivery must be acknowledged...
        assert again.json() == {"seq": first.json()["seq"], "duplicate": True}  # ...but is not a new event
        stale_headers, stale_body = shopify_delivery(9, triggered=time.time() - 3600)
        assert post(receiver, stale_headers, stale_body).status_code == 401
        assert len(stored(receiver)) == 1
    finally:
        receiver.stop()


def test_crash_after_acceptance_loses_nothing(receiver: Receiver) -> None:
    """Deliveries keep arriving from 4 threads while the receiver is killed with SIGKILL: every delivery that
    got a 200 is in the store after a restart, exactly once."""
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def sender(n: int) -> None:
        session = requests.Session()
        for i in range(10_000):
            if stop.is_set():
                return
            webhook_id = f"t{n}-{i}"
            headers, body = shopify_delivery(i, webhook_id=webhook_id)
            try:
                answer = session.post(f"{receiver.url}/webhooks/shopify", data=body, headers=headers, timeout=5)
            except requests.RequestException:
                return
            if answer.status_code == 200:
                with lock:
                    acknowledged.append(webhook_id)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.time() + 30
    while len(acknowledged) < 60 and time.time() < deadline:
        time.sleep(0.05)
    receiver.stop(signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) >= 60

    receiver.start()  # the same file, as a supervisor would restart it
    rows = stored(receiver)
    ids = [r["webhook_id"] for r in rows]
    assert set(acknowledged) <= set(ids), f"lost {len(set(acknowledged) - set(ids))} acknowledged events"
    assert len(ids) == len(set(ids))
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    headers, body = shopify_delivery(1)
    after = post(receiver, headers, body)
    assert after.status_code == 200 and after.json()["seq"] > max(r["seq"] for r in rows)
