"""Sandbox stores -> receiver -> tap-inventory-webhooks, with duplicate, delayed and out-of-order deliveries.

The tap's newest observation per level (by the platform's time) must equal the store's truth for every level
that changed, whatever the delivery order; each delivery is stored once; the tap's bookmark moves on.
"""

from __future__ import annotations

import json
import subprocess
import time

import requests
from conftest import BIGCOMMERCE_TOKEN, SHOPIFY_SECRET, Receiver, script

SHOP, BC = "demo-store", "demostore"


def control(url: str, route: str, body: dict) -> dict:
    answer = requests.post(f"{url}/_sandbox/{route}", json=body, timeout=30)
    answer.raise_for_status()
    return answer.json()


def truth_levels(url: str, store: str) -> dict[tuple, dict]:
    rows = requests.get(f"{url}/_sandbox/truth", params={"store": store}, timeout=30).json()["inventory_levels"]
    return {(r["location_id"], r["inventory_item_id"]): r for r in rows}


def wait_delivered(url: str, expected: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        hooks = requests.get(f"{url}/_sandbox/config", timeout=10).json()["webhooks"]
        if hooks["sent"] >= expected and hooks["pending"] == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"webhooks not delivered in time: {hooks}")


def run_tap(tmp_path, config: dict, state: dict | None = None) -> tuple[list[dict], dict]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    args = [script("tap-inventory-webhooks"), "--config", str(tmp_path / "config.json")]
    if state is not None:
        (tmp_path / "state.json").write_text(json.dumps(state))
        args += ["--state", str(tmp_path / "state.json")]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    records = [m for m in messages if m["type"] == "RECORD"]
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    return records, states[-1] if states else {}


def newest(records: list[dict], channel: str) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for m in records:
        r = m["record"]
        if m["stream"] != "inventory_level_events" or r["channel"] != channel:
            continue
        key = (r["location_id"], r["inventory_item_id"])
        if key not in out or (r["observed_at"], r["seq"]) > (out[key]["observed_at"], out[key]["seq"]):
            out[key] = r
    return out


def test_faulty_delivery_gives_the_right_final_state(tmp_path, sandbox_server) -> None:
    receiver = Receiver(tmp_path / "events.sqlite").start()
    try:
        shop_url, bc_url = sandbox_server("shopify", SHOP), sandbox_server("bigcommerce", BC)
        control(shop_url, "config", {"webhooks": {
            "url": f"{receiver.url}/webhooks/shopify", "secret": SHOPIFY_SECRET,
            "faults": [{"kind": "out_of_order", "count": 1}, {"kind": "duplicate", "count": 2},
                       {"kind": "delay", "count": 1, "delay_ms": 300}]}})
        control(bc_url, "config", {"webhooks": {
            "url": f"{receiver.url}/webhooks/bigcommerce", "secret": BIGCOMMERCE_TOKEN,
            "faults": [{"kind": "duplicate", "count": 1}, {"kind": "out_of_order", "count": 1}]}})

        # The same Shopify level twice (its updatedAt moves on each time), the first delivery overtaken by the second.
        level = next(iter(truth_levels(shop_url, SHOP).values()))
        for available in (11, 22):
            control(shop_url, "stock", {"store": SHOP, "set": [{
                "inventory_item_id": level["inventory_item_id"], "location_id": level["location_id"],
                "quantities": {"available": available}}]})
        changed_shop = {(c["location_id"], c["inventory_item_id"])
                        for c in control(shop_url, "stock", {"store": SHOP, "changes": 4, "seed": 3})["changed"]}
        changed_shop.add((level["location_id"], level["inventory_item_id"]))
        changed_bc = {(c["location_id"], c["inventory_item_id"])
                      for c in control(bc_url, "stock", {"store": BC, "changes": 4, "seed": 3})["changed"]}
        wait_delivered(shop_url, 6 + 2)  # 6 changes, 2 delivered twice
        wait_delivered(bc_url, 1)

        config = {"database": str(receiver.db), "bigcommerce_store_hash": BC,
                  "bigcommerce_access_token": f"bc_sandbox_{BC}", "bigcommerce_api_url": f"{bc_url}/stores/{BC}"}
        records, state = run_tap(tmp_path, config)

        raw = [m["record"] for m in records if m["stream"] == "webhook_events"]
        assert len({r["webhook_id"] for r in raw}) == len(raw)  # duplicates stored once
        first_level = [json.loads(r["payload"])["available"] for r in raw
                       if json.loads(r["payload"]).get("inventory_item_id") == int(level["inventory_item_id"])
                       and json.loads(r["payload"]).get("location_id") == int(level["location_id"])]
        assert first_level == [22, 11]  # received out of order
        shop_truth, bc_truth = truth_levels(shop_url, SHOP), truth_levels(bc_url, BC)
        shop_seen = newest(records, "shopify")
        assert set(shop_seen) == changed_shop
        assert {k: r["available"] for k, r in shop_seen.items()} == {k: shop_truth[k]["available"] for k in shop_seen}
        assert shop_seen[(level["location_id"], level["inventory_item_id"])]["available"] == 22
        bc_seen = newest(records, "bigcommerce")
        assert changed_bc <= set(bc_seen)
        assert {k: (r["available"], r["on_hand"]) for k, r in bc_seen.items()} == {
            k: (bc_truth[k]["available"], bc_truth[k]["on_hand"]) for k in bc_seen}

        # The bookmark: nothing again, then only what is new.
        again, state = run_tap(tmp_path, config, state)
        assert again == []
        control(shop_url, "stock", {"store": SHOP, "changes": 1, "seed": 9})
        wait_delivered(shop_url, 9)
        fresh, _ = run_tap(tmp_path, config, state)
        assert len([m for m in fresh if m["stream"] == "inventory_level_events"]) == 1
    finally:
        receiver.stop()
