"""Accepted webhook events -> inventory level observations (the `inventory_level_events` stream).

Shopify: the body is the observation (``available`` only), timed by its ``updated_at`` (converted to UTC);
``disconnect`` marks the level gone at the delivery's trigger time.
BigCommerce: the body only names what changed, so the changed variants (or products) are read again from
``GET /v3/inventory/items``; each row is the state at that read, timed by the read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import requests

SHOPIFY_LEVEL_TOPICS = {"inventory_levels/update", "inventory_levels/connect", "inventory_levels/disconnect"}
BIGCOMMERCE_LEVEL_SCOPES = ("store/sku/inventory/", "store/product/inventory/")


def utc(value: float | str) -> str:
    """An epoch or an ISO time with any offset -> ISO-8601 UTC ending in Z."""
    moment = (datetime.fromtimestamp(value, UTC) if isinstance(value, int | float)
              else datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _base(event: dict) -> dict:
    return {"seq": event["seq"], "channel": event["platform"], "store_id": event["store_id"],
            "topic": event["topic"], "webhook_id": event["webhook_id"],
            "triggered_at": utc(event["triggered_at"]), "received_at": utc(event["received_at"])}


def shopify_levels(event: dict) -> Iterator[dict]:
    if event["topic"] not in SHOPIFY_LEVEL_TOPICS:
        return
    body = event["payload"]
    gone = event["topic"] == "inventory_levels/disconnect"
    yield {**_base(event),
           # numeric ids from the body, never parsed out of admin_graphql_api_id
           "inventory_item_id": str(body["inventory_item_id"]), "location_id": str(body["location_id"]),
           "available": None if gone else body.get("available"), "on_hand": None, "safety_stock": None,
           "is_disconnected": gone,
           "observed_at": utc(body["updated_at"]) if body.get("updated_at") else utc(event["triggered_at"])}


class BigCommerceReader:
    """Reads changed rows from one store's Inventory API (``api_url`` replaces api.bigcommerce.com/stores/{hash})."""

    def __init__(self, store_hash: str, api_url: str, token: str, timeout: float = 60, retries: int = 8):
        self.store_hash, self.api_url, self.timeout, self.retries = store_hash, api_url.rstrip("/"), timeout, retries
        self.session = requests.Session()
        self.session.headers.update({"X-Auth-Token": token, "Accept": "application/json"})

    def _get(self, params: dict) -> dict:
        for attempt in range(self.retries + 1):
            response = self.session.get(f"{self.api_url}/v3/inventory/items", params=params, timeout=self.timeout)
            if response.status_code == 429 or response.status_code >= 500:
                reset_ms = response.headers.get("X-Rate-Limit-Time-Reset-Ms")
                time.sleep(min(float(reset_ms) / 1000 if reset_ms else 2 ** attempt, 30))
                continue
            if response.status_code >= 400:
                raise RuntimeError(f"BigCommerce {response.status_code} reading inventory/items for store "
                                   f"{self.store_hash}: {response.text[:200]}")
            return response.json()
        raise RuntimeError(f"BigCommerce inventory/items kept failing for store {self.store_hash}")

    def items(self, variant_ids: set[int], product_ids: set[int]) -> list[dict]:
        found = []
        for key, ids in (("variant_id:in", variant_ids), ("product_id:in", product_ids)):
            ordered = sorted(ids)
            for start in range(0, len(ordered), 100):
                page = 1
                while True:
                    body = self._get({key: ",".join(map(str, ordered[start:start + 100])), "limit": 1000,
                                      "page": page})
                    found.extend(body.get("data") or [])
                    pagination = (body.get("meta") or {}).get("pagination") or {}
                    if page >= int(pagination.get("total_pages") or 1):
                        break
                    page += 1
        return found


def bigcommerce_levels(events: list[dict], reader: BigCommerceReader) -> Iterator[dict]:
    """One row per (event, location) of the variants the events name; one API read for the whole batch."""
    wanted = []
    for event in events:
        if not event["topic"].startswith(BIGCOMMERCE_LEVEL_SCOPES):
            continue
        data = event["payload"].get("data") or {}
        inventory = data.get("inventory") or {}
        variant, product = inventory.get("variant_id"), inventory.get("product_id")
        if variant is not None:
            wanted.append((event, "variant_id", int(variant)))
        elif product is not None or data.get("type") == "product":
            wanted.append((event, "product_id", int(product if product is not None else data["id"])))
    if not wanted:
        return
    observed_at = utc(time.time())
    items = reader.items({i for _, k, i in wanted if k == "variant_id"}, {i for _, k, i in wanted if k == "product_id"})
    for event, key, wanted_id in wanted:
        for item in items:
            identity = item.get("identity") or {}
            if identity.get(key) != wanted_id:
                continue
            for loc in item.get("locations") or []:
                yield {**_base(event),
                       "inventory_item_id": str(identity.get("variant_id") or identity.get("product_id")),
                       "location_id": str(loc.get("location_id")),
                       "available": loc.get("available_to_sell"), "on_hand": loc.get("total_inventory_onhand"),
                       "safety_stock": (loc.get("settings") or {}).get("safety_stock"),
                       "is_disconnected": False, "observed_at": observed_at}


def level_rows(events: Iterable[dict], reader_for) -> Iterator[dict]:
    """Rows for a batch of events, in seq order (each store's BigCommerce events share one read)."""
    events = list(events)
    rows = [row for event in events if event["platform"] == "shopify" for row in shopify_levels(event)]
    by_store: dict[str, list[dict]] = {}
    for event in events:
        if event["platform"] == "bigcommerce":
            by_store.setdefault(event["store_id"], []).append(event)
    for store, batch in by_store.items():
        rows.extend(bigcommerce_levels(batch, reader_for(store)))
    rows.sort(key=lambda row: row["seq"])
    return iter(rows)
