"""``BigCommerceSandbox``: run the BigCommerce sandbox server in a daemon thread of the current process.

    with BigCommerceSandbox(stores=["demostore"], locations=4, items=500, seed=7) as sandbox:
        requests.get(f"{sandbox.api_url('demostore')}/v3/inventory/items?limit=1000",
                     headers={"X-Auth-Token": sandbox.token("demostore")})

The helper methods call the control API over HTTP, exactly as an out-of-process client would.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..base import SandboxBase
from .app import BigCommerceApp, token_for, write_token_for


class BigCommerceSandbox(SandboxBase):
    """``configure`` settings: ``window_ms``, ``quota``, ``lowercase_headers``, ``scopes``, ``write_scopes``,
    ``read_lag_ms``, ``currency`` (optional ``store``)."""

    def __init__(self, stores: Iterable[str] = ("demostore",), locations: int = 4, items: int = 500, seed: int = 7,
                 window_ms: int = 30_000, quota: int = 150, lowercase_headers: bool = False, read_lag_ms: float = 0,
                 host: str = "127.0.0.1", port: int = 0):
        self.stores = list(stores)
        super().__init__(BigCommerceApp(self.stores, locations=locations, items=items, seed=seed,
                                        window_ms=window_ms, quota=quota, lowercase_headers=lowercase_headers,
                                        read_lag_ms=read_lag_ms),
                         host, port)

    # ------------------------------------------------------------------ addresses
    def api_url(self, store: str = "demostore") -> str:
        """What a tap uses instead of ``https://api.bigcommerce.com/stores/{store_hash}``."""
        return f"{self.url}/stores/{store}"

    @staticmethod
    def token(store: str = "demostore") -> str:
        return token_for(store)

    @staticmethod
    def write_token(store: str = "demostore") -> str:
        return write_token_for(store)

    # ------------------------------------------------------------------ control API helpers
    def truth(self, store: str = "demostore", streams: Iterable[str] | None = None) -> dict:
        return super().truth(store, streams)

    def change_stock(self, store: str = "demostore", n: int = 1, seed: int | None = None) -> list[dict]:
        """Random new on-hand quantities for ``n`` distinct levels (product ``date_modified`` does not move)."""
        return self._call("POST", "stock", {"store": store, "changes": n, "seed": seed})["changed"]

    def set_stock(self, store: str, changes: list[dict]) -> list[dict]:
        """``changes``: ``[{"variant_id", "location_id", "quantities": {"on_hand": 5, "safety_stock": 1}}]``."""
        return self._call("POST", "stock", {"store": store, "set": changes})["changed"]

    def touch_products(self, store: str = "demostore", n: int = 1, seed: int | None = None,
                       product_ids: Iterable | None = None) -> list[dict]:
        """Edit products so their ``date_modified`` moves to now."""
        body: dict = {"store": store, "changes": n, "seed": seed}
        if product_ids is not None:
            body["product_ids"] = [str(p) for p in product_ids]
        return self._call("POST", "touch_products", body)["changed"]

    def delete_variant(self, store: str, variant_id) -> dict:
        return self._call("POST", "delete_variant", {"store": store, "variant_id": str(variant_id)})

    def delete_product(self, store: str, product_id) -> dict:
        return self._call("POST", "delete_product", {"store": store, "product_id": str(product_id)})

    def set_location_active(self, store: str, location_id, is_active: bool) -> dict:
        return self._call("POST", "location", {"store": store, "location_id": str(location_id),
                                               "is_active": is_active})
