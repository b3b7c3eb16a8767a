"""Deterministic in-memory Magento 2 store: MSI sources, stocks, links, products, source items, legacy
stock items and reservations.

Generated from ``random.Random(f"{seed}:magento:{store}")``: the same arguments always give the same store.

Model
-----
* sources: ``default`` plus ``--locations - 1`` more (codes like ``eu-warehouse``); the last of three or more
  is disabled. In ``single`` mode only ``default`` exists (and the MSI routes answer 404).
* stocks: ``1`` "Default Stock" (website ``base``) linked to every source; with 2+ sources, ``2`` "EU Stock"
  (website ``eu``) linked to the second and third sources (and ``default`` as last priority).
* products: ``--items`` simple products (some virtual) plus one configurable parent per 8 of them. Entity ids
  from 1; ``updated_at`` comes in same-second clusters (up to 5 products share a second) so paging must keep
  a tie-breaker. Some simple products do not manage stock, some allow backorders (negative ``min_qty``).
* source items: every simple product at ``default`` and at 0-2 other sources; ``quantity`` (a float, a few
  fractional) and ``status`` (0 when quantity is 0, plus a few forced out of stock).
* legacy stock items (``/V1/stockItems``) mirror the ``default`` source, as MSI keeps them.
* reservations per (sku, stock): negative quantities of open orders.

Stock changes never move a product's ``updated_at`` (as in Magento); product touches do.
"""

from __future__ import annotations

import calendar
import random
import threading
import time
from collections.abc import Iterator

from ..control import route_order

FIXED_BASE = calendar.timegm((2026, 1, 1, 0, 0, 0))
SPREAD_SECONDS = 60 * 86400
COMPOSITE_TYPES = ("configurable", "bundle", "grouped")
TRUTH_STREAMS = ("locations", "stocks", "stock_source_links", "inventory_items", "inventory_levels",
                 "salable_quantities")

_SOURCES = (("default", "Default Source", "US", "Texas", "Austin", "78701"),
            ("eu-warehouse", "EU Warehouse", "DE", "Berlin", "Berlin", "10115"),
            ("uk-store", "London Shop", "GB", "England", "London", "EC1A 1BB"),
            ("east-dc", "East Distribution Center", "US", "New Jersey", "Newark", "07102"),
            ("west-dc", "West Distribution Center", "US", "Nevada", "Reno", "89501"),
            ("outlet", "Outlet", "US", "Colorado", "Denver", "80202"))
_WORDS = ("Classic", "Organic", "Deluxe", "Compact", "Vintage", "Urban", "Eco", "Pro")
_NOUNS = ("Hoodie", "Mug", "Backpack", "Sneaker", "Lamp", "Notebook", "Candle", "Bottle")


def mage_time(ts: int) -> str:
    """Epoch seconds -> Magento's zone-less UTC ``2026-01-15 08:03:17``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def iso_z(ts: int | None) -> str | None:
    """Epoch seconds -> normalized ``2026-01-15T08:03:17Z``."""
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class NotFound(KeyError):
    """A reference to a row that does not exist."""


class StoreData:
    """All rows of one store plus the operations the API and control API need (lock: ``lock``)."""

    scenario: list[dict] | None = None  # the cases ``apply_catalog`` seeded (shared catalog)

    def __init__(self, name: str, locations: int = 4, items: int = 500, seed: int = 7, mode: str = "msi"):
        if mode not in ("msi", "single"):
            raise ValueError("mode is msi or single")
        self.name = name
        self.mode = mode
        self.currency = "USD"  # the base currency (GET /V1/store/storeConfigs), in which prices and costs are
        self.host = f"{name}.example.com"  # the store view's web address (its base URLs), never the sandbox's own
        self.lock = threading.RLock()
        self._last_touch = 0
        self.generation = 0  # bumped by every change (``changed``): answers cached under an older one are stale
        self._index: tuple[int, dict[str, list[int]], dict[int, int]] | None = None  # see _product_index
        rng = random.Random(f"{seed}:magento:{name}")
        self._generate_sources(1 if mode == "single" else max(1, locations))
        self._generate_products(rng, items)
        self._generate_stock(rng)

    # ------------------------------------------------------------------ generation
    def _generate_sources(self, count: int) -> None:
        self.sources: dict[str, dict] = {}
        for i in range(count):
            code, name, country, region, city, postcode = _SOURCES[i % len(_SOURCES)]
            if i >= len(_SOURCES):
                code, name = f"{code}-{i}", f"{name} {i}"
            self.sources[code] = {
                "source_code": code, "name": name, "enabled": not (count >= 3 and i == count - 1),
                "description": f"{name} ({city})", "latitude": 0, "longitude": 0, "country_id": country,
                "region": region, "city": city, "street": f"{i + 1} Main Street", "postcode": postcode,
                "contact_name": "Stock Keeper", "email": f"{code}@example.com", "phone": "555-0100",
                "use_default_carrier_config": True,
            }
        codes = list(self.sources)
        self.stocks = {1: {"stock_id": 1, "name": "Default Stock",
                           "extension_attributes": {"sales_channels": [{"type": "website", "code": "base"}]}}}
        self.links = [{"stock_id": 1, "source_code": code, "priority": p} for p, code in enumerate(codes, start=1)]
        if len(codes) >= 2:
            self.stocks[2] = {"stock_id": 2, "name": "EU Stock",
                              "extension_attributes": {"sales_channels": [{"type": "website", "code": "eu"}]}}
            eu = codes[1:3] + ["default"]
            self.links += [{"stock_id": 2, "source_code": code, "priority": p} for p, code in enumerate(eu, start=1)]

    def _generate_products(self, rng: random.Random, items: int) -> None:
        self.products: dict[int, dict] = {}
        self.stock_flags: dict[int, dict] = {}
        next_id = 1
        ts = FIXED_BASE - SPREAD_SECONDS
        cluster = 0
        for i in range(items):
            if i and i % 8 == 0:  # a configurable parent for the 8 simple products before it
                self._add_product(next_id, f"MG-CONF-{next_id:05d}", "configurable", ts, rng)
                next_id += 1
            if cluster <= 0:
                ts += rng.randint(1, SPREAD_SECONDS // max(1, items))
                cluster = rng.choice((1, 1, 2, 3, 5))
            cluster -= 1
            type_id = "virtual" if rng.random() < 0.05 else "simple"
            self._add_product(next_id, f"MG-{next_id:05d}", type_id, ts, rng)
            next_id += 1
        self._next_id = next_id

    def _add_product(self, pid: int, sku: str, type_id: str, ts: int, rng: random.Random) -> None:
        name = f"{rng.choice(_WORDS)} {rng.choice(_NOUNS)}"
        self.products[pid] = {
            "id": pid, "sku": sku, "name": name if type_id != "configurable" else f"{name} (all sizes)",
            "attribute_set_id": 4, "price": round(rng.uniform(5, 200), 2),
            "status": 2 if rng.random() < 0.05 else 1, "visibility": 4, "type_id": type_id,
            "created_ts": ts - rng.randint(0, 30 * 86400), "updated_ts": ts, "weight": 1,
            "cost": round(rng.uniform(1, 80), 2) if rng.random() < 0.7 else None,
        }
        roll = rng.random()
        if type_id in COMPOSITE_TYPES:
            flags = {"manage_stock": True, "use_config_manage_stock": True, "backorders": 0,
                     "use_config_backorders": True, "min_qty": 0}
        elif roll < 0.1:
            flags = {"manage_stock": False, "use_config_manage_stock": False, "backorders": 0,
                     "use_config_backorders": True, "min_qty": 0}
        elif roll < 0.2:
            flags = {"manage_stock": True, "use_config_manage_stock": False, "backorders": rng.choice((1, 2)),
                     "use_config_backorders": False, "min_qty": -rng.choice((5, 10, 20))}
        else:
            flags = {"manage_stock": True, "use_config_manage_stock": True, "backorders": 0,
                     "use_config_backorders": True, "min_qty": 0}
        self.stock_flags[pid] = flags

    def _generate_stock(self, rng: random.Random) -> None:
        self.source_items: dict[tuple[str, str], dict] = {}
        self.reservations: dict[tuple[str, int], float] = {}
        others = [c for c in self.sources if c != "default"]
        for p in self.products.values():
            if p["type_id"] in COMPOSITE_TYPES:
                continue
            codes = ["default", *rng.sample(others, k=min(len(others), rng.randint(0, 2)))]
            for code in codes:
                qty = float(rng.choice((0, rng.randint(1, 20), rng.randint(1, 200))))
                if rng.random() < 0.03:
                    qty += 0.5
                status = 1 if qty > 0 and rng.random() > 0.05 else 0
                self.source_items[p["sku"], code] = {"sku": p["sku"], "source_code": code, "quantity": qty,
                                                     "status": status}
            for stock_id in self.stocks:
                if rng.random() < 0.15:
                    self.reservations[p["sku"], stock_id] = -float(rng.randint(1, 5))

    def changed(self) -> None:
        """Note a change to any row: every mutator calls this, so selections cached by the API go stale."""
        self.generation += 1

    # ------------------------------------------------------------------ shared catalog (catalog.py)
    def apply_catalog(self, plan) -> None:
        """Relabel and restock as a ``CatalogPlan`` says (``--catalog shared``): shared SKUs go to the first simple
        products that manage stock, stocked over the enabled sources they are assigned to (``default`` first); no
        backorders; other products stop managing stock and hold nothing; reservations are dropped."""
        from ..catalog import seeded_case

        self.changed()
        def managed(p: dict) -> bool:
            flags = self.stock_flags[p["id"]]
            return flags["use_config_manage_stock"] or flags["manage_stock"]

        eligible = [p for p in self.products.values() if p["type_id"] not in COMPOSITE_TYPES and managed(p)]
        if len(eligible) < plan.size:
            raise ValueError(f"shared catalog: {self.name} has {len(eligible)} products to hold {plan.size} shared "
                             "SKUs; use more --items")
        shared = {p["id"]: sku for p, sku in zip(eligible, plan.skus, strict=False)}
        old = {}
        for (sku, code), item in self.source_items.items():
            old.setdefault(sku, []).append(code)
        self.source_items, self.reservations = {}, {}
        for p in self.products.values():
            codes = old.get(p["sku"], [])
            flags = self.stock_flags[p["id"]]
            flags.update(backorders=0, use_config_backorders=True, min_qty=0)
            if p["id"] in shared:
                p["sku"] = plan.listed_sku("magento", shared[p["id"]])
            elif p["type_id"] not in COMPOSITE_TYPES:
                flags.update(manage_stock=False, use_config_manage_stock=False)
            selling = sorted((c for c in codes if self.sources[c]["enabled"]), key=lambda c: (c != "default", c))
            spread = dict(zip(selling, plan.spread("magento", shared[p["id"]], len(selling)), strict=True)) \
                if p["id"] in shared and selling else {}
            for code in codes:
                qty = spread.get(code, 0)
                self.source_items[p["sku"], code] = {"sku": p["sku"], "source_code": code, "quantity": float(qty),
                                                     "status": 1 if qty > 0 else 0}
        self.scenario = [seeded_case(c, self.name, c.sku) for c in plan.cases_for("magento")]
        self.changed()  # again at the end: SKUs were relabelled, and no lookup in between may keep the old ones

    # ------------------------------------------------------------------ lookups
    def product_by_sku(self, sku: str) -> dict:
        """The first product (in entity order) with this SKU."""
        for pid in self.product_ids_by_text().get(sku, ()):
            if self.products[pid]["sku"] == sku:
                return self.products[pid]
        raise NotFound(f"unknown sku {sku!r}")

    def product_ids_by_text(self) -> dict[str, list[int]]:
        """SKU as text (``""`` for none) -> product ids in entity order; rebuilt after any change."""
        return self._product_index()[0]

    def product_positions(self) -> dict[int, int]:
        """Product id -> its place in entity order (the products list's natural order); rebuilt after any change."""
        return self._product_index()[1]

    def _product_index(self) -> tuple[dict[str, list[int]], dict[int, int]]:
        if self._index is None or self._index[0] != self.generation:
            by_text: dict[str, list[int]] = {}
            for pid, p in self.products.items():
                by_text.setdefault("" if p["sku"] is None else str(p["sku"]), []).append(pid)
            self._index = (self.generation, by_text, {pid: n for n, pid in enumerate(self.products)})
        return self._index[1], self._index[2]

    def sorted_source_items(self) -> list[dict]:
        return [self.source_items[k] for k in sorted(self.source_items)]

    # ------------------------------------------------------------------ API bodies
    def product_body(self, p: dict) -> dict:
        custom = [{"attribute_code": "url_key", "value": p["sku"].lower()}]
        if p["cost"] is not None:
            custom.append({"attribute_code": "cost", "value": f"{p['cost']:.2f}"})
        return {
            "id": p["id"], "sku": p["sku"], "name": p["name"], "attribute_set_id": p["attribute_set_id"],
            "price": p["price"], "status": p["status"], "visibility": p["visibility"], "type_id": p["type_id"],
            "created_at": mage_time(p["created_ts"]), "updated_at": mage_time(p["updated_ts"]), "weight": p["weight"],
            "extension_attributes": {"website_ids": [1]}, "product_links": [], "options": [],
            "media_gallery_entries": [], "tier_prices": [], "custom_attributes": custom,
        }

    def store_configs(self) -> list[dict]:
        """``GET /V1/store/storeConfigs``: the one store view (``default``, website ``base``), with the fields of
        Magento's StoreConfigInterface."""
        unsecure, secure = f"http://{self.host}/", f"https://{self.host}/"
        return [{"id": 1, "code": "default", "website_id": 1, "locale": "en_US",
                 "base_currency_code": self.currency, "default_display_currency_code": self.currency,
                 "timezone": "America/Chicago", "weight_unit": "lbs",
                 "base_url": unsecure, "base_link_url": unsecure, "base_static_url": f"{unsecure}static/",
                 "base_media_url": f"{unsecure}media/", "secure_base_url": secure, "secure_base_link_url": secure,
                 "secure_base_static_url": f"{secure}static/", "secure_base_media_url": f"{secure}media/"}]

    def stock_item_body(self, p: dict) -> dict:
        """Legacy CatalogInventory stock item (mirrors the ``default`` source)."""
        item = self.source_items.get((p["sku"], "default"))
        flags = self.stock_flags[p["id"]]
        return {
            "item_id": p["id"], "product_id": p["id"], "stock_id": 1,
            "qty": item["quantity"] if item else 0, "is_in_stock": bool(item and item["status"]),
            "is_qty_decimal": False, "show_default_notification_message": False,
            "use_config_min_qty": flags["min_qty"] == 0, "min_qty": flags["min_qty"],
            "use_config_min_sale_qty": 1, "min_sale_qty": 1, "use_config_max_sale_qty": True,
            "max_sale_qty": 10000, "use_config_backorders": flags["use_config_backorders"],
            "backorders": flags["backorders"], "use_config_notify_stock_qty": True, "notify_stock_qty": 1,
            "use_config_qty_increments": True, "qty_increments": 0, "use_config_enable_qty_inc": True,
            "enable_qty_increments": False, "use_config_manage_stock": flags["use_config_manage_stock"],
            "manage_stock": flags["manage_stock"], "low_stock_date": None, "is_decimal_divided": False,
            "stock_status_changed_auto": 0,
        }

    def salable_qty(self, p: dict, stock_id: int) -> float:
        """Sum of in-stock quantities at the stock's enabled sources, plus reservations, minus ``min_qty``."""
        codes = {link["source_code"] for link in self.links if link["stock_id"] == stock_id}
        qty = sum(i["quantity"] for (sku, code), i in self.source_items.items()
                  if sku == p["sku"] and code in codes and i["status"] and self.sources[code]["enabled"])
        flags = self.stock_flags[p["id"]]
        value = qty + self.reservations.get((p["sku"], stock_id), 0.0) - flags["min_qty"]
        if not flags["backorders"] or flags["use_config_backorders"]:
            value = max(0.0, value)
        return value

    # ------------------------------------------------------------------ changes
    def _touch_ts(self) -> int:
        ts = max(int(time.time()), self._last_touch)
        self._last_touch = ts
        return ts

    def set_source_item(self, sku: str, source_code: str, quantity: float, status: int | None = None) -> dict:
        product = self.product_by_sku(sku)
        if product["type_id"] in COMPOSITE_TYPES:
            raise ValueError(f"{sku} is {product['type_id']}: it has no source items")
        if source_code not in self.sources:
            raise NotFound(f"unknown source {source_code!r}")
        quantity = float(quantity)
        self.changed()
        self.source_items[sku, source_code] = {
            "sku": sku, "source_code": source_code, "quantity": quantity,
            "status": int(status) if status is not None else int(quantity > 0),
        }
        return {"sku": sku, "source_code": source_code}

    def change_random(self, n: int, seed: int | None) -> list[dict]:
        """New random quantities for ``n`` distinct source items (product ``updated_at`` does not move)."""
        rng = random.Random(seed)
        keys = sorted(self.source_items)
        self.changed()
        changed = []
        for sku, code in rng.sample(keys, k=min(n, len(keys))):
            changed.append(self.set_source_item(sku, code, float(rng.randint(0, 150))))
        return changed

    def delete_source_item(self, sku: str, source_code: str) -> dict:
        if self.source_items.pop((sku, source_code), None) is None:
            raise NotFound(f"no source item {sku!r} at {source_code!r}")
        self.changed()
        return {"deleted": {"sku": sku, "source_code": source_code}}

    def touch_products(self, n: int | None = None, seed: int | None = None, skus=None) -> list[dict]:
        """Edit products so their ``updated_at`` moves to now."""
        if skus is None:
            rng = random.Random(seed)
            ids = sorted(self.products)
            chosen = [self.products[i] for i in rng.sample(ids, k=min(int(n or 1), len(ids)))]
        else:
            chosen = [self.product_by_sku(s) for s in skus]
        ts = self._touch_ts()
        self.changed()
        for p in chosen:
            p["updated_ts"] = ts
            p["name"] = p["name"].removesuffix(" *") + " *"
        return [{"sku": p["sku"], "inventory_item_id": str(p["id"])} for p in chosen]

    def delete_product(self, sku: str) -> dict:
        p = self.product_by_sku(sku)
        self.changed()
        del self.products[p["id"]]
        for key in [k for k in self.source_items if k[0] == sku]:
            del self.source_items[key]
        return {"deleted": {"sku": sku, "inventory_item_id": str(p["id"])}}

    def set_source_enabled(self, source_code: str, enabled: bool) -> dict:
        if source_code not in self.sources:
            raise NotFound(f"unknown source {source_code!r}")
        self.changed()
        self.sources[source_code]["enabled"] = bool(enabled)
        return {"source_code": source_code, "enabled": bool(enabled)}

    def set_reservation(self, sku: str, stock_id: int, quantity: float) -> dict:
        self.product_by_sku(sku)
        self.changed()
        self.reservations[sku, int(stock_id)] = float(quantity)
        return {"sku": sku, "stock_id": int(stock_id), "quantity": float(quantity)}

    # ------------------------------------------------------------------ the storefront (sales simulator)
    def place_order(self, sku: str, quantity: int, location_id=None, force: bool = False) -> tuple[dict, list]:
        """A storefront order for ``quantity`` units from a source, or (none given) routed over the enabled sources
        the SKU is assigned to, ``default`` first: accepted when their in-stock quantity covers it, when the
        product takes backorders, or when ``force`` (an order imported by an OMS). The sandbox deducts the source
        items at once (as if the order shipped): reservations are not modelled, so the source items the tap reads
        show every sale."""
        product = self.product_by_sku(sku)
        code = "default" if location_id is None else str(location_id)
        flags = self.stock_flags[product["id"]]
        backorders = bool(flags["backorders"]) and not flags["use_config_backorders"]
        answer = {"sku": sku, "inventory_item_id": str(product["id"]), "location_id": code,
                  "policy": "continue" if backorders else "deny"}
        if not (flags["use_config_manage_stock"] or flags["manage_stock"]):
            return {**answer, "accepted": True, "policy": "untracked", "before": None, "after": None}, []
        if (sku, code) not in self.source_items:
            raise NotFound(f"{sku} is not assigned to source {code!r}")
        codes = [code] if location_id is not None else [code, *sorted(
            c for (s, c) in self.source_items if s == sku and c != code and self.sources[c]["enabled"])]

        def shown(c: str) -> float:
            item = self.source_items[sku, c]
            return item["quantity"] if item["status"] == 1 and self.sources[c]["enabled"] else 0.0

        before = sum(shown(c) for c in codes) if location_id is None else self.source_items[sku, code]["quantity"]
        accepted = force or backorders or sum(shown(c) for c in codes) >= quantity
        if accepted:
            taken = route_order(quantity, [int(shown(c) // 1) for c in codes])
            for c, units in zip(codes, taken, strict=True):
                if units:
                    after = self.source_items[sku, c]["quantity"] - units
                    self.set_source_item(sku, c, after, 1 if after > 0 or backorders else 0)
            answer["location_id"] = next(c for c, units in zip(codes, taken, strict=True) if units)
        after = sum(shown(c) for c in codes) if location_id is None else self.source_items[sku, code]["quantity"]
        return {**answer, "accepted": accepted, "before": before, "after": after}, []

    def receive(self, sku: str, quantity: int, location_id=None) -> tuple[dict, list]:
        """Stock received at a source: its quantity grows by ``quantity`` (in stock when above 0)."""
        code = "default" if location_id is None else str(location_id)
        item = self.source_items.get((sku, code))
        before = item["quantity"] if item else 0.0
        self.set_source_item(sku, code, before + quantity, 1 if before + quantity > 0 else 0)
        return {"sku": sku, "location_id": code, "before": before, "after": before + quantity}, []

    # ------------------------------------------------------------------ ground truth (the tap's record shapes)
    def truth(self, streams=TRUTH_STREAMS) -> dict:
        return {s: list(self.iter_truth(s)) for s in streams}

    def iter_truth(self, stream: str) -> Iterator[dict]:
        store = self.name
        if stream == "locations":
            if self.mode == "single":  # no MSI: nothing is known about the one implicit source but its code
                yield {"store_id": store, "location_id": "default", "name": "Default Source", "is_active": True,
                       "updated_at": None, "description": None, "country_id": None, "region": None, "city": None,
                       "postcode": None}
                return
            for s in self.sources.values():
                yield {"store_id": store, "location_id": s["source_code"], "name": s["name"],
                       "is_active": s["enabled"], "updated_at": None, "description": s["description"],
                       "country_id": s["country_id"], "region": s["region"], "city": s["city"],
                       "postcode": s["postcode"]}
        elif stream == "stocks":
            for st in self.stocks.values():
                yield {"store_id": store, "stock_id": str(st["stock_id"]), "name": st["name"],
                       "sales_channels": st["extension_attributes"]["sales_channels"]}
        elif stream == "stock_source_links":
            for link in self.links:
                yield {"store_id": store, "stock_id": str(link["stock_id"]), "source_code": link["source_code"],
                       "priority": link["priority"]}
        elif stream == "inventory_items":
            for p in self.products.values():
                flags = self.stock_flags[p["id"]]
                tracked = True if flags["use_config_manage_stock"] else flags["manage_stock"]
                backorders = 0 if flags["use_config_backorders"] else flags["backorders"]
                yield {"store_id": store, "inventory_item_id": str(p["id"]), "sku": p["sku"],
                       "product_id": str(p["id"]), "variant_id": None, "is_tracked": tracked,
                       "oversell_policy": "continue" if backorders > 0 else "deny", "unit_cost": p["cost"],
                       "currency": self.currency, "updated_at": iso_z(p["updated_ts"]), "name": p["name"],
                       "type_id": p["type_id"], "status": p["status"], "backorders": backorders,
                       "created_at": iso_z(p["created_ts"])}
        elif stream == "inventory_levels":
            ids = {p["sku"]: p["id"] for p in self.products.values()}
            for item in self.sorted_source_items():
                on_hand = int(item["quantity"] // 1)
                yield {"store_id": store, "inventory_item_id": str(ids[item["sku"]]),
                       "location_id": item["source_code"], "sku": item["sku"],
                       "available": on_hand if item["status"] == 1 else 0, "on_hand": on_hand, "committed": None,
                       "reserved": None, "incoming": None, "updated_at": None, "quantity": item["quantity"],
                       "status": item["status"]}
        elif stream == "salable_quantities":
            if self.mode == "single":
                return
            for p in self.products.values():
                if p["type_id"] in COMPOSITE_TYPES:
                    continue
                for stock_id in self.stocks:
                    yield {"store_id": store, "sku": p["sku"], "stock_id": str(stock_id),
                           "inventory_item_id": str(p["id"]), "salable_quantity": self.salable_qty(p, stock_id)}
        else:
            raise ValueError(f"unknown stream {stream!r}")
