"""``MagentoSandbox``: run the Magento sandbox server in a daemon thread of the current process.

    with MagentoSandbox(stores=["demo-store"], locations=4, items=500, seed=7) as sandbox:
        requests.get(f"{sandbox.base_url('demo-store')}/rest/default/V1/inventory/source-items?searchCriteria",
                     headers={"Authorization": f"Bearer {sandbox.token('demo-store')}"})

The helper methods call the control API over HTTP, exactly as an out-of-process client would.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..base import SandboxBase
from .app import MagentoApp, oauth_credentials, token_for


class MagentoSandbox(SandboxBase):
    """``configure`` settings: ``repeat_last_page``, ``bearer``, ``resources``, ``write_resources``, ``currency``,
    ``host`` (optional ``store``)."""

    def __init__(self, stores: Iterable[str] = ("demo-store",), locations: int = 4, items: int = 500, seed: int = 7,
                 mode: str = "msi", repeat_last_page: bool = True, bearer: bool = True,
                 host: str = "127.0.0.1", port: int = 0):
        self.stores = list(stores)
        super().__init__(MagentoApp(self.stores, locations=locations, items=items, seed=seed, mode=mode,
                                    repeat_last_page=repeat_last_page, bearer=bearer),
                         host, port)

    # ------------------------------------------------------------------ addresses and credentials
    def base_url(self, store: str = "demo-store") -> str:
        """A tap's ``base_url``: the part before ``/rest/{store_code}/V1``."""
        return f"{self.url}/stores/{store}"

    @staticmethod
    def token(store: str = "demo-store") -> str:
        return token_for(store)

    @staticmethod
    def write_token(store: str = "demo-store") -> str:
        """The token of the store's second integration, which may also save source items."""
        return token_for(store, write=True)

    @staticmethod
    def oauth(store: str = "demo-store", write: bool = False) -> dict:
        """``consumer_key``, ``consumer_secret``, ``access_token``, ``access_token_secret``."""
        return oauth_credentials(store, write)

    # ------------------------------------------------------------------ control API helpers
    def change_stock(self, store: str = "demo-store", n: int = 1, seed: int | None = None) -> list[dict]:
        """Random new quantities for ``n`` distinct source items (product ``updated_at`` does not move)."""
        return self._call("POST", "stock", {"store": store, "changes": n, "seed": seed})["changed"]

    def set_stock(self, store: str, changes: list[dict]) -> list[dict]:
        """``changes``: ``[{"sku", "source_code", "quantity", "status" (optional)}]``."""
        return self._call("POST", "stock", {"store": store, "set": changes})["changed"]

    def touch_products(self, store: str = "demo-store", n: int = 1, seed: int | None = None,
                       skus: Iterable[str] | None = None) -> list[dict]:
        """Edit products so their ``updated_at`` moves to now."""
        body: dict = {"store": store, "changes": n, "seed": seed}
        if skus is not None:
            body["skus"] = list(skus)
        return self._call("POST", "touch_products", body)["changed"]

    def delete_source_item(self, store: str, sku: str, source_code: str) -> dict:
        return self._call("POST", "delete_source_item", {"store": store, "sku": sku, "source_code": source_code})

    def delete_product(self, store: str, sku: str) -> dict:
        return self._call("POST", "delete_product", {"store": store, "sku": sku})

    def set_source_enabled(self, store: str, source_code: str, enabled: bool) -> dict:
        return self._call("POST", "source", {"store": store, "source_code": source_code, "enabled": enabled})

    def set_reservation(self, store: str, sku: str, stock_id: int, quantity: float) -> dict:
        return self._call("POST", "reservation", {"store": store, "sku": sku, "stock_id": stock_id,
                                                  "quantity": quantity})
