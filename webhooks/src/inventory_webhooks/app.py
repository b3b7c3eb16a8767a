"""The ASGI app: one POST route per platform, verify, commit, then answer.

  POST /webhooks/shopify        Shopify topics in ``verify.SHOPIFY_TOPICS`` (topic from ``X-Shopify-Topic``)
  POST /webhooks/bigcommerce    BigCommerce scopes under ``verify.BIGCOMMERCE_SCOPE_PREFIXES``
  GET  /health                  ``{"status": "ok", "events": N}``

200 ``{"seq": N, "duplicate": bool}`` only after the event is committed; 401 bad/missing/stale credentials,
400 malformed, 413 a body over 1 MB, 404 a platform without a configured secret, 500 if the store cannot commit (the platform retries).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .store import EventStore
from .verify import BIGCOMMERCE_TOKEN_HEADER, Rejected, verify_bigcommerce, verify_shopify

log = logging.getLogger("inventory_webhooks")
MAX_BODY = 1_000_000  # inventory payloads are a few hundred bytes; anything this large is not a webhook


@dataclass
class Settings:
    shopify_secret: str | None = None
    bigcommerce_token: str | None = None
    bigcommerce_header: str = BIGCOMMERCE_TOKEN_HEADER
    max_age: float = 48 * 3600  # Shopify retries for hours, BigCommerce up to two days


def create_app(store: EventStore, settings: Settings) -> Starlette:
    async def receive(request: Request, platform: str) -> JSONResponse:
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, status_code=413)
        body = await request.body()
        try:
            if platform == "shopify":
                if not settings.shopify_secret:
                    raise Rejected(404, "Shopify webhooks are not configured")
                event = verify_shopify(request.headers, body, settings.shopify_secret, settings.max_age)
            else:
                if not settings.bigcommerce_token:
                    raise Rejected(404, "BigCommerce webhooks are not configured")
                event = verify_bigcommerce(request.headers, body, settings.bigcommerce_token, settings.max_age,
                                           header=settings.bigcommerce_header)
        except Rejected as exc:
            log.warning("rejected %s webhook: %s", platform, exc.reason)
            return JSONResponse({"error": exc.reason}, status_code=exc.status)
        # Blocking on purpose: the commit (fsync) must finish before the answer, and one writer keeps seq order.
        seq, is_new = store.accept(event)
        return JSONResponse({"seq": seq, "duplicate": not is_new})

    async def shopify(request: Request) -> JSONResponse:
        return await receive(request, "shopify")

    async def bigcommerce(request: Request) -> JSONResponse:
        return await receive(request, "bigcommerce")

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "events": store.count()})

    return Starlette(routes=[
        Route("/webhooks/shopify", shopify, methods=["POST"]),
        Route("/webhooks/bigcommerce", bigcommerce, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ])
