"""Signature, freshness and shape checks of each platform's delivery (no server)."""

from __future__ import annotations

import json
import time

import pytest

from inventory_webhooks.verify import Rejected, shopify_signature, verify_bigcommerce, verify_shopify

SECRET = "shpss_unit"
TOKEN = "bc_unit_token"
BODY = json.dumps({"inventory_item_id": 7, "location_id": 3, "available": 4,
                   "updated_at": "2026-01-02T10:00:00-05:00"}).encode()


def shopify_headers(body: bytes = BODY, secret: str = SECRET, triggered: float | None = None) -> dict:
    moment = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if triggered is None else triggered))
    return {"x-shopify-hmac-sha256": shopify_signature(secret, body), "x-shopify-topic": "inventory_levels/update",
            "x-shopify-webhook-id": "wh-1", "x-shopify-shop-domain": "demo-store.myshopify.com",
            "x-shopify-triggered-at": moment}


def bc_body(created_at: float | None = None, scope: str = "store/sku/inventory/updated") -> bytes:
    return json.dumps({"scope": scope, "store_id": "1", "producer": "stores/abc123", "hash": "h1",
                       "created_at": int(time.time() if created_at is None else created_at),
                       "data": {"type": "sku", "id": 9, "inventory": {"product_id": 2, "variant_id": 9}}}).encode()


def test_shopify_good_signature_is_accepted() -> None:
    event = verify_shopify(shopify_headers(), BODY, SECRET, max_age=60)
    assert (event.platform, event.webhook_id, event.store_id, event.topic) == (
        "shopify", "wh-1", "demo-store", "inventory_levels/update")
    assert event.payload["available"] == 4


@pytest.mark.parametrize("change", ["body", "secret", "missing"])
def test_shopify_bad_or_missing_signature_is_rejected(change: str) -> None:
    headers = shopify_headers(secret="other" if change == "secret" else SECRET)
    body = BODY.replace(b'"available": 4', b'"available": 400') if change == "body" else BODY
    if change == "missing":
        del headers["x-shopify-hmac-sha256"]
    with pytest.raises(Rejected) as err:
        verify_shopify(headers, body, SECRET, max_age=60)
    assert err.value.status == 401
    assert SECRET not in err.value.reason
    if change != "missing":
        assert headers["x-shopify-hmac-sha256"] not in err.value.reason


def test_shopify_replay_outside_the_window_is_rejected() -> None:
    with pytest.raises(Rejected, match="stale"):
        verify_shopify(shopify_headers(triggered=time.time() - 3600), BODY, SECRET, max_age=600)


def test_shopify_unknown_topic_is_refused() -> None:
    headers = {**shopify_headers(), "x-shopify-topic": "orders/create"}
    with pytest.raises(Rejected) as err:
        verify_shopify(headers, BODY, SECRET, max_age=60)
    assert err.value.status == 400


def test_bigcommerce_good_token_is_accepted() -> None:
    event = verify_bigcommerce({"x-webhook-token": TOKEN}, bc_body(), TOKEN, max_age=60)
    assert (event.platform, event.webhook_id, event.store_id) == ("bigcommerce", "h1", "abc123")


@pytest.mark.parametrize("headers", [{"x-webhook-token": "wrong"}, {}])
def test_bigcommerce_bad_or_missing_token_is_rejected(headers: dict) -> None:
    with pytest.raises(Rejected) as err:
        verify_bigcommerce(headers, bc_body(), TOKEN, max_age=60)
    assert err.value.status == 401
    assert TOKEN not in err.value.reason


def test_bigcommerce_replay_outside_the_window_is_rejected() -> None:
    with pytest.raises(Rejected, match="stale"):
        verify_bigcommerce({"x-webhook-token": TOKEN}, bc_body(created_at=time.time() - 7200), TOKEN, max_age=600)


def test_bigcommerce_other_scopes_are_refused() -> None:
    with pytest.raises(Rejected) as err:
        verify_bigcommerce({"x-webhook-token": TOKEN}, bc_body(scope="store/order/created"), TOKEN, max_age=60)
    assert err.value.status == 400
