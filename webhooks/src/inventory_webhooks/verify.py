"""Who sent this webhook, is it intact, is it fresh? One function per platform.

Shopify signs the raw request body: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the body keyed
with the app's client secret. The signature does not cover the headers, so ``X-Shopify-Triggered-At`` (the
event time) only bounds how old an accepted delivery may be.

BigCommerce does not sign bodies. A hook is created with custom ``headers`` that BigCommerce sends back
with every callback; the documented way to authenticate callbacks is a secret in one of those headers. We
compare it in constant time. Freshness comes from the body's ``created_at`` (epoch seconds), identity from
its ``hash`` (the same for every delivery of one event).

Both functions return ``Verified`` or raise ``Rejected`` (HTTP 401 with a one-line reason). Neither ever puts a
secret or a signature in the reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime

SHOPIFY_TOPICS = {
    "inventory_levels/update", "inventory_levels/connect", "inventory_levels/disconnect",
    "inventory_items/create", "inventory_items/update", "inventory_items/delete",
    "locations/create", "locations/update", "locations/delete", "locations/activate", "locations/deactivate",
}
BIGCOMMERCE_SCOPE_PREFIXES = ("store/sku/inventory/", "store/product/inventory/", "store/inventory/location/")
BIGCOMMERCE_TOKEN_HEADER = "X-Webhook-Token"


class Rejected(Exception):
    """A delivery we refuse; ``status`` is the HTTP answer, the message one line without secrets."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Verified:
    platform: str
    webhook_id: str
    topic: str
    store_id: str
    triggered_at: float  # epoch seconds, the platform's event time
    payload: dict


def shopify_signature(secret: str, body: bytes) -> str:
    """The value Shopify puts in ``X-Shopify-Hmac-Sha256`` for ``body``."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _fresh(event_time: float, max_age: float, now: float | None) -> None:
    age = (time.time() if now is None else now) - event_time
    if age > max_age:
        raise Rejected(401, f"stale delivery: event is {age:.0f} s old (limit {max_age:.0f} s)")
    if age < -300:
        raise Rejected(401, "event time is in the future")


def _json(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except ValueError:
        raise Rejected(400, "body is not JSON") from None
    if not isinstance(payload, dict):
        raise Rejected(400, "body is not a JSON object")
    return payload


def verify_shopify(headers, body: bytes, secret: str, max_age: float, now: float | None = None) -> Verified:
    """Check a Shopify delivery (``headers`` is any case-insensitive mapping)."""
    given = headers.get("x-shopify-hmac-sha256")
    if not given:
        raise Rejected(401, "missing X-Shopify-Hmac-Sha256")
    if not hmac.compare_digest(given.encode(), shopify_signature(secret, body).encode()):
        raise Rejected(401, "bad X-Shopify-Hmac-Sha256 signature")
    topic = headers.get("x-shopify-topic") or ""
    if topic not in SHOPIFY_TOPICS:
        raise Rejected(400, f"unsupported topic {topic[:80]!r}")
    webhook_id = headers.get("x-shopify-webhook-id")
    shop = headers.get("x-shopify-shop-domain")
    triggered = headers.get("x-shopify-triggered-at")
    if not webhook_id or not shop or not triggered:
        raise Rejected(400, "missing X-Shopify-Webhook-Id, X-Shopify-Shop-Domain or X-Shopify-Triggered-At")
    try:
        triggered_at = datetime.fromisoformat(triggered.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise Rejected(400, "X-Shopify-Triggered-At is not an ISO-8601 time") from None
    _fresh(triggered_at, max_age, now)
    store = shop.removesuffix(".myshopify.com")
    return Verified("shopify", webhook_id, topic, store, triggered_at, _json(body))


def verify_bigcommerce(headers, body: bytes, token: str, max_age: float, now: float | None = None,
                       header: str = BIGCOMMERCE_TOKEN_HEADER) -> Verified:
    """Check a BigCommerce delivery: the shared-secret header, then the body's scope, hash and age."""
    given = headers.get(header.lower())
    if not given:
        raise Rejected(401, f"missing {header}")
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise Rejected(401, f"bad {header}")
    payload = _json(body)
    scope = payload.get("scope") or ""
    if not scope.startswith(BIGCOMMERCE_SCOPE_PREFIXES):
        raise Rejected(400, f"unsupported scope {str(scope)[:80]!r}")
    event_hash, created_at = payload.get("hash"), payload.get("created_at")
    producer = str(payload.get("producer") or "")
    if not event_hash or not isinstance(created_at, int | float) or not producer.startswith("stores/"):
        raise Rejected(400, "payload lacks hash, created_at or producer")
    _fresh(float(created_at), max_age, now)
    return Verified("bigcommerce", str(event_hash), scope, producer.removeprefix("stores/"), float(created_at),
                    payload)
