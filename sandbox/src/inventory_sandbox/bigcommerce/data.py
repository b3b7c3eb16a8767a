"""Deterministic in-memory catalog and multi-location inventory for one BigCommerce sandbox store.

Generated eagerly from ``random.Random(f"{seed}:bigcommerce:{store}")``: the same arguments always give
the same store.

Model
-----
* locations: ids ``1..L`` (1 is the default location); the last one of three or more is disabled.
* products: ids from ``PRODUCT_ID_BASE`` upwards. A *simple* product has only its base variant
  (``base_variant_id`` set, no option values) and tracks stock by ``product`` (or ``none``); a product
  *with variants* has 2-4 option variants (``base_variant_id`` null) and tracks by ``variant`` (or ``none``).
  Variant ids come from their own sequence starting at 1, so product and variant ids overlap as in real stores.
* ``--items`` is the number of variants (inventory items). Every variant whose product tracks inventory has a
  stock slot; a slot has one level per location (``total_inventory_onhand``, ``safety_stock``,
  ``warning_level``, ``bin_picking_number``) in flat arrays indexed ``slot * L + location_index``.
* An inventory item / level is keyed by its variant id (the base variant for simple products), which the
  Inventory API reports as ``identity.variant_id``.

Stock changes never move a product's ``date_modified`` (as in BigCommerce); product edits and removed
variants do.

Writes (the Inventory API's adjustments, ``adjust``) follow BigCommerce's inventory-adjustments guide: a level
is *undefined* until something sets it absolutely (seeded levels with stock, ``POST /_sandbox/stock`` and
absolute adjustments define it; seeded empty levels do not), and a relative adjustment of an undefined level is
refused ("requires absolute adjustment before relative"); a relative adjustment that would take on hand below
the safety stock is refused; an absolute one never is. With ``read_lag_s`` > 0 the Inventory and Catalog APIs
show each write only that many seconds later (the documented asynchronous behaviour); orders and the ground
truth see it at once.
"""

from __future__ import annotations

import calendar
import random
import threading
import time
from array import array
from collections import deque
from collections.abc import Iterator

from ..control import route_order

FIXED_BASE = calendar.timegm((2026, 1, 1, 0, 0, 0))
SPREAD_SECONDS = 90 * 86400
PRODUCT_ID_BASE = 111
TRUTH_STREAMS = ("locations", "inventory_items", "inventory_levels")

_LOCATIONS = (("Default location", "PHYSICAL"), ("Downtown Store", "PHYSICAL"), ("East Warehouse", "PHYSICAL"),
              ("Dropship Partner", "VIRTUAL"), ("West Warehouse", "PHYSICAL"), ("Outlet", "PHYSICAL"))
_CITIES = (("Austin", "TX", "78701"), ("Chicago", "IL", "60601"), ("Newark", "NJ", "07102"),
           ("Reno", "NV", "89501"), ("Portland", "OR", "97201"), ("Denver", "CO", "80202"))
_ZONES = ("America/Chicago", "America/Chicago", "America/New_York", "America/Los_Angeles",
          "America/Los_Angeles", "America/Denver")
_WORDS = ("Classic", "Organic", "Deluxe", "Compact", "Vintage", "Urban", "Eco", "Pro")
_NOUNS = ("Hoodie", "Mug", "Backpack", "Sneaker", "Lamp", "Notebook", "Candle", "Bottle")
_COLORS = ("Red", "Blue", "Green", "Black", "White")


def iso_bc(ts: int) -> str:
    """Epoch seconds -> BigCommerce v3 style ``2026-01-15T08:03:17+00:00``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


def iso_z(ts: int | None) -> str | None:
    """Epoch seconds -> normalized ``2026-01-15T08:03:17Z``."""
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class NotFound(KeyError):
    """A reference to a row that does not exist."""


class TrackingMismatch(ValueError):
    """An adjustment addressed an item by the wrong identifier for its tracking mode (HTTP 422)."""


class AdjustmentRefused(ValueError):
    """An adjustment BigCommerce refuses as a whole (HTTP 422 with this title)."""


class StoreData:
    """All rows of one store plus the operations the API and control API need (lock: ``lock``)."""

    scenario: list[dict] | None = None  # the cases ``apply_catalog`` seeded (shared catalog)

    def __init__(self, name: str, locations: int = 4, items: int = 500, seed: int = 7, now: float | None = None):
        if locations < 1:
            raise ValueError("a store needs at least one location")
        self.name = name
        self.lock = threading.RLock()
        self.read_lag_s = 0.0
        self.currency = "USD"  # the store's default currency (GET /v2/store), in which catalog prices are
        self.pending: dict[int, deque] = {}  # level -> (visible at, on-hand delta) of writes not yet readable
        now_s = int(time.time() if now is None else now)
        self.base = min(FIXED_BASE, now_s)
        rng = random.Random(f"{seed}:bigcommerce:{name}")
        self._generate_locations(rng, locations)
        self._generate_catalog(rng, items)
        self._generate_levels(rng)

    # ------------------------------------------------------------------ generation
    def _generate_locations(self, rng: random.Random, count: int) -> None:
        self.locations: list[dict] = []
        for i in range(count):
            label, type_id = _LOCATIONS[i % len(_LOCATIONS)]
            if i >= len(_LOCATIONS):
                label = f"{label} {i // len(_LOCATIONS) + 1}"
            city, state, zip_code = _CITIES[i % len(_CITIES)]
            created = self.base - SPREAD_SECONDS - rng.randrange(300 * 86400)
            self.locations.append({
                "id": i + 1, "code": "BC-LOCATION-1" if i == 0 else f"LOC-{i + 1:03d}", "label": label,
                "description": f"{label} ({city})", "type_id": type_id, "enabled": True,
                "managed_by_external_source": type_id == "VIRTUAL", "time_zone": _ZONES[i % len(_ZONES)],
                "created_at": created, "updated_at": created + rng.randrange(self.base - created + 1),
                "address": {"address1": f"{100 + i * 7} Main St", "address2": "", "city": city, "state": state,
                            "zip": zip_code, "email": f"store{i + 1}@example.com", "phone": "",
                            "geo_coordinates": {"latitude": 30.0 + i, "longitude": -97.0 - i},
                            "country_code": "US"},
                "storefront_visibility": type_id == "PHYSICAL",
            })
        if count >= 3:
            self.locations[-1]["enabled"] = False
            self.locations[-1]["label"] = f"Closed {self.locations[-1]['label']}"
        self.location_pos = {loc["id"]: i for i, loc in enumerate(self.locations)}

    def _generate_catalog(self, rng: random.Random, items: int) -> None:
        self.products: dict[int, dict] = {}  # insertion order = id order
        self.variants: dict[int, dict] = {}
        next_variant = 1
        pid = PRODUCT_ID_BASE
        while next_variant <= items:
            simple = rng.random() < 0.4 or items - next_variant < 1
            n = 1 if simple else min(rng.randint(2, 4), items - next_variant + 1)
            simple = n == 1
            untracked = rng.random() < 0.12
            tracking = "none" if untracked else ("product" if simple else "variant")
            created = self.base - SPREAD_SECONDS + rng.randrange(SPREAD_SECONDS // 2)
            modified = created + rng.randrange(self.base - created)
            title = f"{rng.choice(_WORDS)} {rng.choice(_NOUNS)} {pid}"
            cost = rng.randrange(150, 9000) / 100
            product = {"id": pid, "name": title, "type": "physical", "sku": f"BC-{pid}",
                       "inventory_tracking": tracking, "inventory_warning_level": rng.choice((0, 0, 3, 5, 10)),
                       "price": round(cost * 2.2, 2), "cost_price": cost, "date_created": created,
                       "date_modified": modified, "variant_ids": [], "base_variant_id": None, "is_visible": True}
            for k in range(n):
                vid = next_variant
                next_variant += 1
                sku = product["sku"] if simple else f"BC-{pid}-{_COLORS[k % len(_COLORS)][:3].upper()}{k + 1}"
                self.variants[vid] = {
                    "id": vid, "product_id": pid, "sku": sku, "sku_id": 1000 + vid,
                    "option_values": [] if simple else [{"id": 70 + k, "label": _COLORS[k % len(_COLORS)],
                                                         "option_id": 20, "option_display_name": "Color"}],
                    "price": None if simple else round(cost * 2.2 + k, 2),
                    "cost_price": cost if simple or k % 2 == 0 else round(cost + 0.5, 2),
                    "inventory_warning_level": product["inventory_warning_level"],
                    "bin_picking_number": f"A{rng.randrange(1, 30):02d}-{rng.randrange(1, 99):02d}",
                    "purchasing_disabled": rng.random() < 0.05, "upc": "",
                }
                product["variant_ids"].append(vid)
            if simple:
                product["base_variant_id"] = product["variant_ids"][0]
            self.products[pid] = product
            pid += 1

    def _generate_levels(self, rng: random.Random) -> None:
        L = len(self.locations)  # noqa: N806
        self.slot_of: dict[int, int] = {}
        slots = [vid for vid, v in self.variants.items()
                 if self.products[v["product_id"]]["inventory_tracking"] != "none"]
        self.slot_variant = array("q", slots)
        for slot, vid in enumerate(slots):
            self.slot_of[vid] = slot
        size = len(slots) * L
        rand = rng.random
        onhand = array("q", bytes(8 * size))
        safety = array("q", bytes(8 * size))
        warning = array("q", bytes(8 * size))
        for k in range(size):
            r = rand()
            onhand[k] = 0 if r < 0.1 else int(r * 250)
            if r > 0.8:
                safety[k] = int(r * 10) - 7
                warning[k] = 5
        self.onhand, self.safety, self.warning = onhand, safety, warning
        self.defined = bytearray(1 if onhand[k] else 0 for k in range(size))  # set absolutely at least once
        self.bins: dict[int, str] = {}  # sparse per-level bin picking numbers (default: the variant's)
        self._refresh_order()

    def _refresh_order(self) -> None:
        """Alive tracked variant ids in id order (the Inventory API's order)."""
        self.level_variants = [vid for vid in self.slot_variant if vid in self.variants]

    # ------------------------------------------------------------------ shared catalog (catalog.py)
    def apply_catalog(self, plan) -> None:
        """Relabel and restock as a ``CatalogPlan`` says (``--catalog shared``): shared SKUs go to the first tracked
        variants, stocked over the enabled locations (the default location, 1, first); products without one stop
        tracking inventory."""
        from ..catalog import seeded_case

        eligible = [vid for vid in self.slot_variant if vid in self.variants]
        if len(eligible) < plan.size:
            raise ValueError(f"shared catalog: {self.name} has {len(eligible)} tracked variants to hold {plan.size} "
                             "shared SKUs; use more --items")
        shared = dict(zip(eligible, plan.skus, strict=False))
        for vid, sku in shared.items():
            v = self.variants[vid]
            v["sku"] = plan.listed_sku("bigcommerce", sku)
            if self.products[v["product_id"]]["base_variant_id"] == vid:
                self.products[v["product_id"]]["sku"] = v["sku"]
        keep = {self.variants[vid]["product_id"] for vid in shared}
        for p in self.products.values():
            if p["id"] not in keep:
                p["inventory_tracking"] = "none"
        slots = [vid for vid in eligible if self.variants[vid]["product_id"] in keep]
        L = len(self.locations)  # noqa: N806
        self.slot_variant = array("q", slots)
        self.slot_of = {vid: slot for slot, vid in enumerate(slots)}
        self.onhand, self.safety, self.warning = (array("q", bytes(8 * len(slots) * L)) for _ in range(3))
        self.defined = bytearray(len(slots) * L)
        self.bins = {}
        enabled = [pos for pos, loc in enumerate(self.locations) if loc["enabled"]]  # id order: 1 first
        for vid, sku in shared.items():  # the default location is set (even to 0), so is any other stocked one
            for pos, quantity in zip(enabled, plan.spread("bigcommerce", sku, len(enabled)), strict=True):
                if quantity or pos == 0:
                    self.onhand[self.slot_of[vid] * L + pos] = quantity
                    self.defined[self.slot_of[vid] * L + pos] = 1
        self._refresh_order()
        self.scenario = [seeded_case(c, self.name, c.sku) for c in plan.cases_for("bigcommerce")]

    # ------------------------------------------------------------------ lookups
    @property
    def location_count(self) -> int:
        return len(self.locations)

    @property
    def item_count(self) -> int:
        return len(self.variants)

    @property
    def level_count(self) -> int:
        return len(self.level_variants) * len(self.locations)

    def location(self, location_id) -> dict:
        pos = self.location_pos.get(_to_int(location_id))
        if pos is None:
            raise NotFound(f"unknown location_id {location_id!r}")
        return self.locations[pos]

    def variant(self, variant_id) -> dict:
        v = self.variants.get(_to_int(variant_id))
        if v is None:
            raise NotFound(f"unknown variant_id {variant_id!r}")
        return v

    def product(self, product_id) -> dict:
        p = self.products.get(_to_int(product_id))
        if p is None:
            raise NotFound(f"unknown product_id {product_id!r}")
        return p

    def level_index(self, variant_id: int, location_id: int) -> int:
        slot = self.slot_of.get(variant_id)
        if slot is None or variant_id not in self.variants:
            raise NotFound(f"variant {variant_id} has no tracked inventory")
        return slot * len(self.locations) + self.location_pos[self.location(location_id)["id"]]

    def level_fields(self, vid: int, pos: int, as_read: bool = False) -> dict:
        """Quantities and settings of variant ``vid`` at location index ``pos``: the truth, or (``as_read``) what
        the API shows while writes are still being applied."""
        k = self.slot_of[vid] * len(self.locations) + pos
        onhand, safety = self.onhand[k] - (self._unseen(k) if as_read else 0), self.safety[k]
        available = onhand - safety
        return {"available_to_sell": available, "total_inventory_onhand": onhand, "safety_stock": safety,
                "is_in_stock": available > 0, "warning_level": self.warning[k],
                "bin_picking_number": self.bins.get(k, self.variants[vid]["bin_picking_number"])}

    # ------------------------------------------------------------------ API bodies
    def store_body(self) -> dict:
        """``GET /v2/store``: the store information fields of BigCommerce's reference, for this store."""
        domain = f"store-{self.name}.mybigcommerce.com"
        symbol = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "$", "AUD": "$"}.get(self.currency, self.currency)
        return {"id": self.name, "domain": domain, "secure_url": f"https://{domain}",
                "control_panel_base_url": f"https://{domain}", "status": "live", "name": f"Sandbox {self.name}",
                "address": self.locations[0]["address"]["address1"], "country": "United States", "country_code": "US",
                "phone": "", "admin_email": f"admin@{domain}", "order_email": f"orders@{domain}",
                "timezone": {"name": "America/Chicago", "raw_offset": -21600, "dst_offset": -18000,
                             "dst_correction": True,
                             "date_format": {"display": "M jS Y", "export": "M jS Y",
                                             "extended_display": "M jS Y @ g:i A"}},
                "language": "en", "currency": self.currency, "currency_symbol": symbol, "decimal_separator": ".",
                "thousands_separator": ",", "decimal_places": 2, "currency_symbol_location": "left",
                "weight_units": "Ounces", "dimension_units": "Inches", "plan_name": "Standard",
                "plan_level": "Standard", "plan_is_trial": False, "is_price_entered_with_tax": False,
                "default_channel_id": 1, "default_site_id": 1000, "features": {"multi_storefront_enabled": True}}

    def location_body(self, loc: dict) -> dict:
        return {**loc, "created_at": iso_bc(loc["created_at"]),
                "updated_at": iso_bc(loc["updated_at"]), "operating_hours": {}}

    def variant_body(self, v: dict) -> dict:
        p = self.products[v["product_id"]]
        level = 0
        if p["inventory_tracking"] != "none":
            level = self.level_fields(v["id"], 0, as_read=True)["total_inventory_onhand"]
        return {"id": v["id"], "product_id": v["product_id"], "sku": v["sku"], "sku_id": v["sku_id"],
                "price": v["price"], "cost_price": v["cost_price"], "calculated_price": v["price"] or p["price"],
                "upc": v["upc"], "inventory_level": level, "inventory_warning_level": v["inventory_warning_level"],
                "bin_picking_number": v["bin_picking_number"], "purchasing_disabled": v["purchasing_disabled"],
                "option_values": v["option_values"]}

    def product_body(self, p: dict, include_variants: bool) -> dict:
        variants = [self.variant_body(self.variants[vid]) for vid in p["variant_ids"]]
        body = {"id": p["id"], "name": p["name"], "type": p["type"], "sku": p["sku"], "price": p["price"],
                "cost_price": p["cost_price"], "inventory_tracking": p["inventory_tracking"],
                "inventory_level": sum(v["inventory_level"] for v in variants),
                "inventory_warning_level": p["inventory_warning_level"], "base_variant_id": p["base_variant_id"],
                "is_visible": p["is_visible"], "date_created": iso_bc(p["date_created"]),
                "date_modified": iso_bc(p["date_modified"])}
        if include_variants:
            body["variants"] = variants
        return body

    def identity(self, vid: int) -> dict:
        """An Inventory API item's identity; its ``sku_id`` is null for a base variant, as the Inventory reference
        says (the Catalog API gives every variant an integer one, as the Catalog reference types it)."""
        v = self.variants[vid]
        base = self.products[v["product_id"]]["base_variant_id"] == vid
        return {"sku": v["sku"], "variant_id": vid, "product_id": v["product_id"],
                "sku_id": None if base else v["sku_id"]}

    def inventory_item_body(self, vid: int, positions: list[int]) -> dict:
        locs = []
        for pos in positions:
            loc = self.locations[pos]
            f = self.level_fields(vid, pos, as_read=True)
            locs.append({"location_id": loc["id"], "location_code": loc["code"], "location_name": loc["label"],
                         "available_to_sell": f["available_to_sell"],
                         "total_inventory_onhand": f["total_inventory_onhand"], "location_enabled": loc["enabled"],
                         "settings": {"safety_stock": f["safety_stock"], "is_in_stock": f["is_in_stock"],
                                      "warning_level": f["warning_level"],
                                      "bin_picking_number": f["bin_picking_number"]}})
        return {"identity": self.identity(vid), "locations": locs}

    def location_item_body(self, vid: int, pos: int) -> dict:
        f = self.level_fields(vid, pos, as_read=True)
        identity = {k: v for k, v in self.identity(vid).items() if k != "sku_id"}  # the reference's: no sku_id here
        return {"identity": identity, "available_to_sell": f["available_to_sell"],
                "total_inventory_onhand": f["total_inventory_onhand"],
                "settings": {"safety_stock": f["safety_stock"], "is_in_stock": f["is_in_stock"],
                             "warning_level": f["warning_level"], "bin_picking_number": f["bin_picking_number"]}}

    # ------------------------------------------------------------------ changes
    def _now(self, previous: int) -> int:
        return max(int(time.time()), previous + 1)

    def set_level(self, vid: int, location_id, changes: dict) -> dict:
        k = self.level_index(vid, _to_int(location_id))
        if "safety_stock" in changes:
            self.safety[k] = int(changes["safety_stock"])
        if "on_hand" in changes or "total_inventory_onhand" in changes:
            self.onhand[k] = int(changes.get("on_hand", changes.get("total_inventory_onhand")))
        if "available" in changes or "available_to_sell" in changes:
            self.onhand[k] = int(changes.get("available", changes.get("available_to_sell"))) + self.safety[k]
        if "warning_level" in changes:
            self.warning[k] = int(changes["warning_level"])
        if "bin_picking_number" in changes:
            self.bins[k] = str(changes["bin_picking_number"])
        if not 0 <= self.onhand[k] <= 2_147_483_647:
            raise ValueError("stock must be between 0 and 2147483647")
        self.defined[k] = 1
        return self.change_entry(vid, k % len(self.locations))

    def change_entry(self, vid: int, pos: int) -> dict:
        f = self.level_fields(vid, pos)
        return {"inventory_item_id": str(vid), "variant_id": str(vid),
                "product_id": str(self.variants[vid]["product_id"]),
                "location_id": str(self.locations[pos]["id"]), "available": f["available_to_sell"],
                "on_hand": f["total_inventory_onhand"]}

    def change_random(self, n: int, seed: int | None) -> list[dict]:
        rng = random.Random(seed)
        L = len(self.locations)  # noqa: N806
        total = len(self.level_variants) * L
        picks = rng.sample(range(total), min(n, total))
        out = []
        for p in picks:
            vid, pos = self.level_variants[p // L], p % L
            k = self.slot_of[vid] * L + pos
            new = rng.randrange(0, 300)
            if new == self.onhand[k]:
                new += 1
            self.onhand[k] = max(new, self.safety[k])
            self.defined[k] = 1
            out.append(self.change_entry(vid, pos))
        return out

    def adjust(self, mode: str, entries: list[dict]) -> list[dict]:
        """Inventory adjustments (``absolute`` sets, ``relative`` adds): all applied, or none (raises).
        Returns the change entries of the levels that moved."""
        plan = []
        for e in entries:
            loc = self.location(e.get("location_id"))
            qty = e.get("quantity")
            if isinstance(qty, bool) or not isinstance(qty, int):
                raise AdjustmentRefused("quantity must be an integer")
            if "variant_id" in e:
                v = self.variant(e["variant_id"])
                tracking = self.products[v["product_id"]]["inventory_tracking"]
                if tracking == "product":
                    raise TrackingMismatch(f"Item with variant_id {v['id']} is tracked by product, please update "
                                           "stock by product id")
                vids, identity = [v["id"]], f"variant_id {v['id']}"
            elif "product_id" in e:
                p = self.product(e["product_id"])
                if p["inventory_tracking"] == "variant":
                    raise TrackingMismatch(f"Item with product_id {p['id']} is tracked by variant, please update "
                                           "stock by variant id")
                vids, identity = p["variant_ids"][:1], f"product_id {p['id']}"
                tracking = p["inventory_tracking"]
            elif "sku" in e:
                found = [v for v in self.variants.values() if v["sku"] == e["sku"]]
                if not found:
                    raise NotFound(f"unknown sku {e['sku']!r}")
                vids, identity = [found[0]["id"]], f"sku {e['sku']}"
                tracking = self.products[found[0]["product_id"]]["inventory_tracking"]
            else:
                raise AdjustmentRefused("each item needs one of variant_id, sku, product_id")
            if tracking == "none":
                raise TrackingMismatch(f"Item with {identity} is not tracked")
            for vid in vids:
                plan.append((self.level_index(vid, loc["id"]), qty, identity))
        undefined = [identity for k, _, identity in plan if mode == "relative" and not self.defined[k]]
        if undefined:
            raise AdjustmentRefused(f"Items with identity: [{', '.join(undefined)}] requires absolute adjustment "
                                    "before relative")
        after: dict[int, int] = {}
        for k, qty, identity in plan:
            value = qty if mode == "absolute" else after.get(k, self.onhand[k]) + qty
            if mode == "relative" and qty < 0 and value < self.safety[k]:
                # The guide's example: 50 on hand, safety stock 10, -41 -> refused, nothing changes.
                location = self.locations[k % len(self.locations)]["id"]
                sellable = after.get(k, self.onhand[k]) - self.safety[k]
                raise AdjustmentRefused(f"[Item with {identity} at location {location} has not enough stock to sell: "
                                        f"{sellable} available, adjustment {qty}]")
            if not 0 <= value <= 2_147_483_647:
                raise AdjustmentRefused(f"[Item with {identity}: stock {value} is out of range 0..2147483647]")
            after[k] = value
        lag = self.read_lag_s
        changed = []
        for k, value in after.items():
            delta = value - self.onhand[k]
            self.onhand[k] = value
            self.defined[k] = 1
            if delta and lag > 0:
                self.pending.setdefault(k, deque()).append((time.monotonic() + lag, delta))
            if delta:
                changed.append(self.change_entry(self.slot_variant[k // len(self.locations)], k % len(self.locations)))
        return changed

    def _unseen(self, k: int) -> int:
        """The on-hand change of writes to level ``k`` the API does not show yet (``read_lag_s``)."""
        queue = self.pending.get(k)
        if not queue:
            return 0
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            queue.popleft()
        return sum(delta for _, delta in queue)

    # ------------------------------------------------------------------ the storefront (sales simulator)
    def variant_by_sku(self, sku: str) -> dict:
        for v in self.variants.values():
            if v["sku"] == sku:
                return v
        raise NotFound(f"unknown sku {sku!r}")

    def place_order(self, sku: str, quantity: int, location_id=None, force: bool = False) -> tuple[dict, list[dict]]:
        """A storefront order for ``quantity`` units from a location, or (none given) routed over the enabled
        locations, the default (1) first: accepted when they have that much available to sell (or ``force``, an
        order imported by an OMS), which then leaves on hand. Untracked: accepted, nothing moves. BigCommerce
        keeps stock at or above 0, so a forced order takes at most what is on hand."""
        v = self.variant_by_sku(sku)
        first = self.location(1 if location_id is None else location_id)
        answer = {"sku": sku, "inventory_item_id": str(v["id"]), "location_id": str(first["id"]), "policy": "deny"}
        if self.products[v["product_id"]]["inventory_tracking"] == "none":
            return {**answer, "accepted": True, "policy": "untracked", "before": None, "after": None}, []
        locations = [first] if location_id is not None else [
            first, *(loc for loc in self.locations if loc["enabled"] and loc is not first)]
        levels = [self.level_index(v["id"], loc["id"]) for loc in locations]
        before = sum(self.onhand[k] - self.safety[k] for k in levels)
        accepted = force or before >= quantity
        changed = []
        if accepted:
            taken = route_order(quantity, [self.onhand[k] - self.safety[k] for k in levels])
            for k, units in zip(levels, taken, strict=True):
                if units and self.onhand[k]:
                    self.onhand[k] = max(0, self.onhand[k] - units)
                    changed.append(self.change_entry(v["id"], k % len(self.locations)))
            used = next(loc for loc, units in zip(locations, taken, strict=True) if units)
            answer["location_id"] = str(used["id"])
        after = sum(self.onhand[k] - self.safety[k] for k in levels)
        return {**answer, "accepted": accepted, "before": before, "after": after}, changed

    def receive(self, sku: str, quantity: int, location_id=None) -> tuple[dict, list[dict]]:
        """Stock received at a location (a purchase order arriving): on hand grows by ``quantity``."""
        v = self.variant_by_sku(sku)
        loc = self.location(1 if location_id is None else location_id)
        k = self.level_index(v["id"], loc["id"])
        before = self.onhand[k] - self.safety[k]
        self.onhand[k] += quantity
        self.defined[k] = 1
        return ({"sku": sku, "inventory_item_id": str(v["id"]), "location_id": str(loc["id"]), "before": before,
                 "after": before + quantity}, [self.change_entry(v["id"], k % len(self.locations))])

    def touch_products(self, n: int | None = None, seed: int | None = None, product_ids=None) -> list[dict]:
        """Edit products (name suffix) so their ``date_modified`` moves to now."""
        if product_ids is not None:
            chosen = [self.product(pid) for pid in product_ids]
        else:
            rng = random.Random(seed)
            ids = list(self.products)
            chosen = [self.products[pid] for pid in rng.sample(ids, min(int(n or 1), len(ids)))]
        out = []
        for p in chosen:
            p["date_modified"] = self._now(p["date_modified"])
            p["name"] = p["name"].split(" (rev")[0] + f" (rev {p['date_modified']})"
            out.append({"product_id": str(p["id"]), "date_modified": iso_z(p["date_modified"])})
        return out

    def delete_variant(self, variant_id) -> dict:
        """Remove a variant (a product edit: ``date_modified`` moves); a product left with none is deleted."""
        v = self.variant(variant_id)
        p = self.products[v["product_id"]]
        del self.variants[v["id"]]
        p["variant_ids"].remove(v["id"])
        deleted_product = not p["variant_ids"]
        if deleted_product:
            del self.products[p["id"]]
        else:
            p["date_modified"] = self._now(p["date_modified"])
        self._refresh_order()
        return {"variant_id": str(v["id"]), "product_id": str(p["id"]), "product_deleted": deleted_product}

    def delete_product(self, product_id) -> dict:
        p = self.product(product_id)
        for vid in p["variant_ids"]:
            del self.variants[vid]
        del self.products[p["id"]]
        self._refresh_order()
        return {"product_id": str(p["id"]), "variant_ids": [str(v) for v in p["variant_ids"]]}

    def set_location_enabled(self, location_id, enabled: bool) -> dict:
        loc = self.location(location_id)
        loc["enabled"] = bool(enabled)
        loc["updated_at"] = self._now(loc["updated_at"])
        return self.location_record(loc)

    # ------------------------------------------------------------------ truth (normalized records)
    def location_record(self, loc: dict) -> dict:
        a = loc["address"]
        return {"store_id": self.name, "location_id": str(loc["id"]), "name": loc["label"],
                "is_active": loc["enabled"], "updated_at": iso_z(loc["updated_at"]), "location_code": loc["code"],
                "location_type": loc["type_id"], "is_default": loc["id"] == 1, "time_zone": loc["time_zone"],
                "managed_by_external_source": loc["managed_by_external_source"],
                "storefront_visibility": loc["storefront_visibility"], "address_line1": a["address1"],
                "city": a["city"], "state": a["state"], "zip": a["zip"], "country_code": a["country_code"],
                "created_at": iso_z(loc["created_at"])}

    def item_record(self, v: dict) -> dict:
        p = self.products[v["product_id"]]
        return {"store_id": self.name, "inventory_item_id": str(v["id"]), "sku": v["sku"],
                "product_id": str(p["id"]), "variant_id": str(v["id"]), "is_tracked": p["inventory_tracking"] != "none",
                "oversell_policy": None, "unit_cost": v["cost_price"], "currency": self.currency,
                "updated_at": iso_z(p["date_modified"]), "inventory_tracking": p["inventory_tracking"],
                "inventory_warning_level": v["inventory_warning_level"],
                "purchasing_disabled": v["purchasing_disabled"], "bin_picking_number": v["bin_picking_number"],
                "product_name": p["name"], "is_base_variant": p["base_variant_id"] == v["id"],
                "sku_id": str(v["sku_id"]), "created_at": iso_z(p["date_created"])}

    def level_record(self, vid: int, pos: int) -> dict:
        v = self.variants[vid]
        f = self.level_fields(vid, pos)
        return {"store_id": self.name, "inventory_item_id": str(vid), "location_id": str(self.locations[pos]["id"]),
                "sku": v["sku"], "available": f["available_to_sell"], "on_hand": f["total_inventory_onhand"],
                "committed": None, "reserved": None, "incoming": None, "updated_at": None,
                "product_id": str(v["product_id"]), "variant_id": str(vid), "safety_stock": f["safety_stock"],
                "warning_level": f["warning_level"], "is_in_stock": f["is_in_stock"],
                "bin_picking_number": f["bin_picking_number"]}

    def iter_truth(self, stream: str) -> Iterator[dict]:
        if stream == "locations":
            for loc in self.locations:
                yield self.location_record(loc)
        elif stream == "inventory_items":
            for v in self.variants.values():
                yield self.item_record(v)
        elif stream == "inventory_levels":
            for vid in self.level_variants:
                for pos in range(len(self.locations)):
                    yield self.level_record(vid, pos)
        else:
            raise ValueError(f"unknown stream {stream!r}")

    def truth(self, streams=TRUTH_STREAMS) -> dict:
        return {stream: list(self.iter_truth(stream)) for stream in streams}


def _to_int(value) -> int | None:
    try:
        return int(str(value).rsplit("/", 1)[-1])
    except (TypeError, ValueError):
        return None
