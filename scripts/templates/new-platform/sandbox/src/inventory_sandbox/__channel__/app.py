"""The __Channel__ sandbox app: seeded locations, items and levels per store, served as
``GET /stores/{store}/{locations|inventory_items|inventory_levels}`` with ``Authorization: Bearer token_{store}``;
``GET /_sandbox/health`` and ``GET /_sandbox/truth?store=...`` for tests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ..server import Reply

UPDATED_AT = "2026-01-01T00:00:00Z"


@dataclass
class StoreData:
    """One store's seeded inventory."""

    locations: list[dict] = field(default_factory=list)
    inventory_items: list[dict] = field(default_factory=list)
    inventory_levels: list[dict] = field(default_factory=list)


@dataclass
class StoreState:
    data: StoreData


def seed_store(name: str, locations: int, items: int, seed: int) -> StoreData:
    rng = random.Random(f"{seed}:{name}")
    data = StoreData()
    for i in range(1, locations + 1):
        data.locations.append({"id": i, "name": f"Location {i}", "active": True, "fulfills_online_orders": i == 1,
                               "updated_at": UPDATED_AT})
    for i in range(1, items + 1):
        data.inventory_items.append({"id": i, "sku": f"SKU-{i:05d}", "product_id": i, "variant_id": i, "tracked": True,
                                     "oversell_policy": "deny", "cost": round(rng.uniform(1, 50), 2), "currency": "USD",
                                     "updated_at": UPDATED_AT})
        for loc in range(1, locations + 1):
            on_hand = rng.randint(0, 150)
            data.inventory_levels.append({"item_id": i, "location_id": loc, "sku": f"SKU-{i:05d}", "available": on_hand,
                                          "on_hand": on_hand, "committed": 0, "reserved": 0, "incoming": 0,
                                          "updated_at": UPDATED_AT})
    return data


class __Channel__App:
    """The platform app ``inventory_sandbox.server.SandboxServer`` serves."""

    platform = "__channel__"
    base_url = ""

    def __init__(self, stores: list[str], *, locations: int = 4, items: int = 500, seed: int = 7) -> None:
        self.stores = {name: StoreState(seed_store(name, locations, items, seed)) for name in stores}
        self.catalog = None

    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> Reply:  # noqa: ARG002
        parts = path.strip("/").split("/")
        if method != "GET" or len(parts) != 3 or parts[0] != "stores":  # noqa: PLR2004
            return Reply.json(404, {"error": "not found"})
        store, stream = parts[1], parts[2]
        if store not in self.stores:
            return Reply.json(404, {"error": f"no store {store}"})
        if headers.get("Authorization") != f"Bearer token_{store}":
            return Reply.json(401, {"error": "invalid token"})
        data = self.stores[store].data
        if stream not in ("locations", "inventory_items", "inventory_levels"):
            return Reply.json(404, {"error": "not found"})
        rows = getattr(data, stream)
        since = query.get("updated_since")
        if since and stream == "inventory_items":
            rows = [r for r in rows if r["updated_at"] >= since]
        return Reply.json(200, {stream: rows})

    def control(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:  # noqa: ARG002
        if path == "health":
            return Reply.json(200, {"ok": True, "platform": self.platform, "stores": list(self.stores)})
        if path == "truth":
            store = query.get("store") or next(iter(self.stores))
            data = self.stores[store].data
            return Reply.json(200, {"locations": data.locations, "inventory_items": data.inventory_items,
                                    "inventory_levels": data.inventory_levels})
        return Reply.json(404, {"error": "unknown control path"})

    def close(self) -> None:
        """Nothing to release."""
