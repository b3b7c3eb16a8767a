"""``ShopifySandbox``: run the sandbox server in a daemon thread of the current process.

    with ShopifySandbox(stores=["demo-store"], locations=4, items=500, seed=7) as sandbox:
        requests.post(f"{sandbox.api_url('demo-store')}/admin/api/2025-07/graphql.json",
                      headers={"X-Shopify-Access-Token": sandbox.token("demo-store")}, json={...})

The helper methods call the control API over HTTP, exactly as an out-of-process client would.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..base import SandboxBase
from .app import ShopifyApp, token_for, write_token_for


class ShopifySandbox(SandboxBase):
    """``configure`` settings: ``bucket_size``, ``restore_rate``, ``cost_model``, ``max_cost``, ``bulk_delay_ms``
    (optional ``store``)."""

    def __init__(self, stores: Iterable[str] = ("demo-store",), locations: int = 4, items: int = 500,
                 seed: int = 7, bucket_size: float = 2000, restore_rate: float = 100,
                 cost_model: str = "measured", host: str = "127.0.0.1", port: int = 0,
                 max_cost: int = 1000, bulk_delay_ms: int = 300):
        self.stores = list(stores)
        super().__init__(ShopifyApp(self.stores, locations=locations, items=items, seed=seed,
                                    bucket_size=bucket_size, restore_rate=restore_rate, cost_model=cost_model,
                                    max_cost=max_cost, bulk_delay_ms=bulk_delay_ms),
                         host, port)

    # ------------------------------------------------------------------ addresses
    def api_url(self, store: str = "demo-store") -> str:
        """What a tap uses instead of ``https://{store}.myshopify.com``."""
        return f"{self.url}/stores/{store}"

    def graphql_url(self, store: str = "demo-store", version: str = "2025-07") -> str:
        return f"{self.api_url(store)}/admin/api/{version}/graphql.json"

    @staticmethod
    def token(store: str = "demo-store") -> str:
        return token_for(store)

    @staticmethod
    def write_token(store: str = "demo-store") -> str:
        """The store's second app, with ``write_inventory``."""
        return write_token_for(store)

    # ------------------------------------------------------------------ control API helpers
    def change_stock(self, store: str = "demo-store", n: int = 1, seed: int | None = None) -> list[dict]:
        return self._call("POST", "stock", {"store": store, "changes": n, "seed": seed})["changed"]

    def set_stock(self, store: str, changes: list[dict]) -> list[dict]:
        """``changes``: ``[{"inventory_item_id", "location_id", "quantities": {"available": 3}}]``."""
        return self._call("POST", "stock", {"store": store, "set": changes})["changed"]

    def disconnect(self, store: str, inventory_item_id, location_id) -> dict:
        return self._call("POST", "disconnect", {"store": store, "inventory_item_id": str(inventory_item_id),
                                                 "location_id": str(location_id)})

    def delete_item(self, store: str, inventory_item_id) -> dict:
        return self._call("POST", "delete_item", {"store": store, "inventory_item_id": str(inventory_item_id)})

    def set_location_active(self, store: str, location_id, is_active: bool) -> dict:
        return self._call("POST", "location", {"store": store, "location_id": str(location_id),
                                               "is_active": is_active})
