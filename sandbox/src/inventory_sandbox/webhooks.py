"""Signed inventory webhooks from the sandbox stores, as Shopify and BigCommerce send them.

Off until configured through the control API of a Shopify or BigCommerce server:

  POST /_sandbox/config {"webhooks": {"url": "http://127.0.0.1:8080/webhooks/shopify", "secret": "..."}}

Keys: ``url`` (where to POST; null turns emission off), ``secret`` (Shopify: the app's client secret for
``X-Shopify-Hmac-Sha256``; BigCommerce: the value of the custom header), ``header`` (BigCommerce's custom
header name, default ``X-Webhook-Token``), ``faults`` (a list, applied in order to the next deliveries):
  {"kind": "delay", "count": N, "delay_ms": D}   hold each of the next N deliveries for D ms
  {"kind": "duplicate", "count": N}              deliver each of the next N twice (same webhook id)
  {"kind": "out_of_order", "count": N}           hold each of the next N back until the one after it is sent
``GET /_sandbox/config`` shows ``webhooks`` (without the secret) with counters ``sent``, ``failed``, ``pending``.

A stock change made through ``POST /_sandbox/stock`` emits one delivery per changed level (Shopify
``inventory_levels/update`` with the REST-shaped body) or per changed variant (BigCommerce
``store/sku/inventory/updated``, or ``store/product/inventory/updated`` for a product tracked by product).
Deliveries go out from one background thread, in order unless a fault says otherwise; a delivery that fails
(no answer or not 2xx) is retried a few times with backoff, as the platforms do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta, timezone

SHOP_TZ = timezone(timedelta(hours=-5))  # Shopify webhooks carry the shop's offset, not Z
API_VERSION = "2026-10"
RETRIES = 4


class Emitter:
    def __init__(self, platform: str):
        self.platform = platform
        self.url: str | None = None
        self.secret = ""
        self.header = "X-Webhook-Token"
        self.faults: list[dict] = []
        self.sent = self.failed = 0
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"{platform}-webhooks", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ settings
    def configure(self, spec: dict) -> None:
        with self._lock:
            if "url" in spec:
                self.url = spec["url"] or None
            if "secret" in spec:
                self.secret = str(spec["secret"] or "")
            if "header" in spec:
                self.header = str(spec["header"])
            for fault in spec.get("faults") or []:
                if fault.get("kind") not in ("delay", "duplicate", "out_of_order"):
                    raise ValueError(f"unknown webhook fault kind {fault.get('kind')!r}")
                self.faults.append({"kind": fault["kind"], "count": int(fault.get("count", 1)),
                                    "delay_ms": int(fault.get("delay_ms", 1000))})

    def config(self) -> dict:
        with self._lock:
            return {"url": self.url, "header": self.header, "faults": [dict(f) for f in self.faults],
                    "sent": self.sent, "failed": self.failed, "pending": self._queue.qsize()}

    def _next_fault(self) -> dict | None:
        with self._lock:
            if not self.faults:
                return None
            fault = self.faults[0]
            fault["count"] -= 1
            if fault["count"] <= 0:
                self.faults.pop(0)
            return fault

    # ------------------------------------------------------------------ deliveries
    def enqueue(self, deliveries: list[tuple[dict, bytes]]) -> None:
        if self.url:
            for delivery in deliveries:
                self._queue.put((self.url, *delivery))

    def _run(self) -> None:
        held = None
        while True:
            url, headers, body = self._queue.get()
            fault = self._next_fault()
            kind = fault["kind"] if fault else None
            if kind == "out_of_order" and held is None:
                held = (url, headers, body)
                if self._queue.empty():  # nothing to overtake it yet: wait briefly for the next change
                    time.sleep(0.2)
                    if self._queue.empty():
                        held, (url, headers, body) = None, held
                    else:
                        continue
                else:
                    continue
            if kind == "delay":
                time.sleep(fault["delay_ms"] / 1000)
            self._post(url, headers, body)
            if kind == "duplicate":
                self._post(url, headers, body)
            if held is not None:
                self._post(*held)
                held = None

    def _post(self, url: str, headers: dict, body: bytes) -> None:
        for attempt in range(RETRIES + 1):
            req = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **headers})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    if 200 <= resp.status < 300:
                        with self._lock:
                            self.sent += 1
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(min(0.2 * 2 ** attempt, 2))
        with self._lock:
            self.failed += 1

    # ------------------------------------------------------------------ payloads
    def shopify(self, store: str, levels: list[dict]) -> list[tuple[dict, bytes]]:
        out = []
        for row in levels:
            updated = datetime.fromisoformat(row["updated_at"].replace("Z", "+00:00")).astimezone(SHOP_TZ)
            item, loc = int(row["inventory_item_id"]), int(row["location_id"])
            body = json.dumps({
                "inventory_item_id": item, "location_id": loc, "available": row["available"],
                "updated_at": updated.isoformat(),
                "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{loc}?inventory_item_id={item}",
            }).encode()
            signature = base64.b64encode(hmac.new(self.secret.encode(), body, hashlib.sha256).digest()).decode()
            out.append(({
                "X-Shopify-Topic": "inventory_levels/update", "X-Shopify-Hmac-Sha256": signature,
                "X-Shopify-Shop-Domain": f"{store}.myshopify.com", "X-Shopify-API-Version": API_VERSION,
                "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Event-Id": str(uuid.uuid4()),
                "X-Shopify-Triggered-At": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }, body))
        return out

    def bigcommerce(self, store: str, data, changes: list[dict]) -> list[tuple[dict, bytes]]:
        out, seen = [], set()
        for change in changes:
            vid, pid = int(change["variant_id"]), int(change["product_id"])
            by_product = data.products[pid]["inventory_tracking"] == "product"
            key = ("product", pid) if by_product else ("sku", vid)
            if key in seen:
                continue
            seen.add(key)
            created = int(time.time())
            inventory = {"product_id": pid, "method": "absolute", "value": change.get("on_hand")}
            if by_product:
                scope, target = "store/product/inventory/updated", {"type": "product", "id": pid}
            else:
                inventory["variant_id"] = vid
                sku_id = data.variants[vid].get("sku_id") or vid
                scope, target = "store/sku/inventory/updated", {"type": "sku", "id": sku_id}
            event_hash = hashlib.sha1(f"{store}|{scope}|{key}|{created}|{uuid.uuid4()}".encode()).hexdigest()
            body = json.dumps({"scope": scope, "store_id": str(int(hashlib.sha1(store.encode()).hexdigest()[:6], 16)),
                               "producer": f"stores/{store}", "hash": event_hash, "created_at": created,
                               "data": {**target, "inventory": inventory}}).encode()
            out.append(({self.header: self.secret}, body))
        return out


def emitter(app) -> Emitter:
    """The app's emitter, created on first use."""
    found = getattr(app, "_webhook_emitter", None)
    if found is None:
        found = app._webhook_emitter = Emitter(app.platform)
    return found


def configure(app, spec: dict) -> dict:
    """``POST /_sandbox/config {"webhooks": {...}}``."""
    if app.platform not in ("shopify", "bigcommerce"):
        raise ValueError(f"{app.platform} sends no webhooks")
    found = emitter(app)
    found.configure(spec)
    return found.config()


def stock_changed(app, store: str, changed: list[dict]) -> None:
    """Hook called where a stock change happens: Shopify level records, BigCommerce change entries."""
    found = getattr(app, "_webhook_emitter", None)
    if found is None or not found.url or not changed:
        return
    if app.platform == "shopify":
        found.enqueue(found.shopify(store, changed))
    else:
        found.enqueue(found.bigcommerce(store, app.stores[store].data, changed))
