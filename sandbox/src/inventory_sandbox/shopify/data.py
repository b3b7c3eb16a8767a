"""Deterministic, compact in-memory inventory data for one sandbox store.

Everything is generated eagerly from ``random.Random(f"{seed}:{store}")`` so the same arguments always
produce the same store. Rows are kept in parallel ``array``s indexed by a small integer (item index,
location index, level index) instead of one Python object per row, so a store with 1,000,000 levels
needs roughly 100 MB and seeds in a few seconds.

Layout
------
* locations: index ``0..L-1``; id ``LOCATION_ID_BASE + index + 1`` (ids ascend with the index).
* items: index ``0..I-1``; each item has one variant (same index) and belongs to a product
  (1-3 variants per product).
* levels: the levels of item ``i`` occupy ``item_level_start[i]:item_level_start[i+1]``, ordered by
  location index, so "levels of an item ordered by location id" is a slice. ``loc_levels[l]`` lists the
  level indexes stocked at location ``l`` ordered by item index. Disconnected levels and levels of deleted
  items stay in place with ``level_alive[k] == 0``.
"""

from __future__ import annotations

import calendar
import copy
import itertools
import json
import random
import threading
import time
from array import array
from collections.abc import Iterator
from datetime import UTC, datetime

from ..control import route_order

# Data is spread over the 90 days before this instant (or before "now" if the clock is earlier).
FIXED_BASE = calendar.timegm((2026, 1, 1, 0, 0, 0))
SPREAD_SECONDS = 90 * 86400

LOCATION_ID_BASE = 60_000_000_000
ITEM_ID_BASE = 40_000_000_000
VARIANT_ID_BASE = 41_000_000_000
PRODUCT_ID_BASE = 8_000_000_000

QUANTITY_NAMES = ("available", "on_hand", "committed", "reserved", "incoming", "damaged",
                  "quality_control", "safety_stock")
# Stored per level; on_hand is derived from the parts below (incoming is not physically present).
STORED_QUANTITIES = ("available", "committed", "reserved", "incoming", "damaged", "quality_control",
                     "safety_stock")
TRUTH_STREAMS = ("locations", "inventory_items", "inventory_levels")
ON_HAND_PARTS = ("available", "committed", "reserved", "damaged", "safety_stock", "quality_control")

_LOCATION_NAMES = ("Main Warehouse", "Downtown Store", "East Coast DC", "West Coast DC", "Outlet Mall",
                   "Airport Kiosk", "Harbor Depot", "Mountain Store")
_PRODUCT_WORDS = ("Classic", "Organic", "Deluxe", "Compact", "Vintage", "Urban", "Eco", "Pro")
_PRODUCT_NOUNS = ("T-Shirt", "Mug", "Backpack", "Sneaker", "Lamp", "Notebook", "Candle", "Bottle")


def iso(ts: int) -> str:
    """Epoch seconds -> ``2026-11-25T20:37:10Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_iso(value: str) -> int:
    """ISO-8601 (``Z``, offset or naive UTC, date only allowed) -> epoch seconds."""
    text = value.strip().replace("z", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


class NotFound(KeyError):
    """A control-API reference to a row that does not exist."""


class StoreData:
    """All rows of one store plus the operations the control API needs (thread-safe via ``lock``)."""

    sku_override: dict[int, str] = {}  # item index -> SKU, set by ``apply_catalog`` (shared catalog)
    scenario: list[dict] | None = None  # the cases ``apply_catalog`` seeded

    def __init__(self, name: str, locations: int = 4, items: int = 500, seed: int = 7,
                 now: float | None = None):
        if locations < 1:
            raise ValueError("a store needs at least one location")
        self.name = name
        self.seed = seed
        self.lock = threading.RLock()
        self._sku_index: dict[str, int] = {}  # SKU -> item, a hint checked on use (item_by_sku)
        now_s = int(time.time() if now is None else now)
        self.base = min(FIXED_BASE, now_s)
        rng = random.Random(f"{seed}:{name}")
        self._generate_locations(rng, locations)
        self._generate_items(rng, items)

    # ------------------------------------------------------------------ generation
    def _generate_locations(self, rng: random.Random, count: int) -> None:
        self.location_count = count
        self.loc_name: list[str] = []
        self.loc_active: list[bool] = [True] * count
        self.loc_legacy: list[bool] = [False] * count
        self.loc_fulfills_online: list[bool] = [True] * count
        self.loc_created: list[int] = []
        self.loc_updated: list[int] = []
        # One deactivated and one legacy (fulfillment-app) location when there is room for them.
        self.inactive_index = count - 2 if count >= 3 else (count - 1 if count == 2 else None)
        self.legacy_index = count - 1 if count >= 3 else None
        for i in range(count):
            name = _LOCATION_NAMES[i % len(_LOCATION_NAMES)]
            if i >= len(_LOCATION_NAMES):
                name = f"{name} {i // len(_LOCATION_NAMES) + 1}"
            created = self.base - SPREAD_SECONDS - rng.randrange(300 * 86400)  # locations predate items
            updated = created + rng.randrange(self.base - created + 1)
            self.loc_created.append(created)
            self.loc_updated.append(updated)
            self.loc_name.append(name)
            self.loc_fulfills_online[i] = i != 1  # a retail store that ships nothing online
        if self.inactive_index is not None:
            i = self.inactive_index
            self.loc_active[i] = False
            self.loc_fulfills_online[i] = False
            self.loc_name[i] = f"Closed Store {i + 1}"
        if self.legacy_index is not None:
            i = self.legacy_index
            self.loc_legacy[i] = True
            self.loc_name[i] = "ShipFast Fulfillment (app)"

    def _generate_items(self, rng: random.Random, count: int) -> None:
        base, L = self.base, self.location_count
        self.item_count = count
        self.item_created = array("q")
        self.item_updated = array("q")
        self.item_product = array("i")
        self.item_cost = array("q")           # unit cost in cents, -1 = null
        self.item_sku_null = bytearray(count)
        self.item_untracked = bytearray(count)
        self.item_continue = bytearray(count)  # inventory policy CONTINUE (oversell)
        self.item_deleted = bytearray(count)
        self.item_level_start = array("i", [0])
        self.product_created = array("q")
        self.product_updated = array("q")
        self.level_item = array("i")
        self.level_loc = array("i")
        self.level_created = array("q")
        self.level_updated = array("q")
        self.qty = {name: array("q") for name in STORED_QUANTITIES}
        loc_levels: list[list[int]] = [[] for _ in range(L)]

        # How many locations stock an item: mostly 2-3.
        spread = [1] * 15 + [2] * 45 + [3] * 30 + [4] * 6 + [5] * 4
        q_avail, q_comm, q_res = self.qty["available"], self.qty["committed"], self.qty["reserved"]
        q_inc, q_dmg = self.qty["incoming"], self.qty["damaged"]
        q_qc, q_ss = self.qty["quality_control"], self.qty["safety_stock"]
        getbits, sample = rng.getrandbits, rng.sample
        locs_all = range(L)
        variants_left = 0
        product_created = base
        for i in range(count):
            if variants_left == 0:
                variants_left = (1, 1, 2, 3)[getbits(2)]
                product_created = base - getbits(40) % SPREAD_SECONDS
                self.product_created.append(product_created)
                self.product_updated.append(product_created)
            variants_left -= 1
            p = len(self.product_created) - 1
            created = product_created + getbits(32) % 3600
            updated = created + getbits(40) % (base - created + 1)
            if created > base:
                created = updated = base
            self.item_created.append(created)
            self.item_updated.append(updated)
            self.item_product.append(p)
            if updated > self.product_updated[p]:
                self.product_updated[p] = updated
            r = getbits(64)
            self.item_sku_null[i] = r % 50 == 0
            r //= 50
            untracked = r % 25 == 0
            self.item_untracked[i] = untracked
            r //= 25
            self.item_cost.append(-1 if r % 10 == 0 else 100 + (r // 10) % 19_900)
            r //= 10 * 19_900
            oversell = r % 5 == 0
            self.item_continue[i] = oversell
            r //= 5
            k = min(L, spread[r % 100])
            locs = sorted(sample(locs_all, k)) if k < L else locs_all
            for loc in locs:
                lvl = len(self.level_item)
                self.level_item.append(i)
                self.level_loc.append(loc)
                loc_levels[loc].append(lvl)
                t = getbits(64)
                lc = created + (t & 0xFFFFFFFF) % (base - created + 1)
                self.level_created.append(lc)
                self.level_updated.append(lc + (t >> 32) % (base - lc + 1))
                if untracked:
                    for arr in self.qty.values():
                        arr.append(0)
                    continue
                b = getbits(64)
                avail = b % 100
                if oversell and (b >> 7) & 7 == 0:
                    avail = -1 - avail % 10
                q_avail.append(avail)
                q_comm.append((b >> 10) & 7 if (b >> 13) & 1 else 0)
                q_res.append((b >> 14) & 3 if (b >> 16) & 3 == 0 else 0)
                q_dmg.append((b >> 18) & 3 if (b >> 20) & 7 == 0 else 0)
                q_ss.append((b >> 23) & 3 if (b >> 25) & 3 == 0 else 0)
                q_qc.append((b >> 27) & 3 if (b >> 29) & 7 == 0 else 0)
                q_inc.append((b >> 32) & 31 if (b >> 37) & 3 == 0 else 0)
            self.item_level_start.append(len(self.level_item))
        self.level_alive = bytearray(b"\x01") * len(self.level_item)
        self.loc_levels = [array("i", lv) for lv in loc_levels]

    # ------------------------------------------------------------------ ids
    @property
    def level_count(self) -> int:
        return len(self.level_item)

    @staticmethod
    def location_id(loc: int) -> int:
        return LOCATION_ID_BASE + loc + 1

    @staticmethod
    def item_id(item: int) -> int:
        return ITEM_ID_BASE + item + 1

    @staticmethod
    def variant_id(item: int) -> int:
        return VARIANT_ID_BASE + item + 1

    @staticmethod
    def product_id(product: int) -> int:
        return PRODUCT_ID_BASE + product + 1

    def location_index(self, location_id) -> int | None:
        idx = _to_int(location_id) - LOCATION_ID_BASE - 1
        return idx if 0 <= idx < self.location_count else None

    def item_index(self, item_id) -> int | None:
        idx = _to_int(item_id) - ITEM_ID_BASE - 1
        return idx if 0 <= idx < self.item_count and not self.item_deleted[idx] else None

    def variant_index(self, variant_id) -> int | None:
        idx = _to_int(variant_id) - VARIANT_ID_BASE - 1
        return idx if 0 <= idx < self.item_count and not self.item_deleted[idx] else None

    def product_index(self, product_id) -> int | None:
        idx = _to_int(product_id) - PRODUCT_ID_BASE - 1
        return idx if 0 <= idx < len(self.product_created) else None

    def sku(self, item: int) -> str | None:
        if item in self.sku_override:
            return self.sku_override[item]
        return None if self.item_sku_null[item] else f"SKU-{item + 1:05d}"

    def product_title(self, product: int) -> str:
        word = _PRODUCT_WORDS[product % len(_PRODUCT_WORDS)]
        noun = _PRODUCT_NOUNS[(product // len(_PRODUCT_WORDS)) % len(_PRODUCT_NOUNS)]
        return f"{word} {noun} #{product + 1}"

    # ------------------------------------------------------------------ reads
    def location_visible(self, loc: int, include_inactive: bool, include_legacy: bool) -> bool:
        if not include_inactive and not self.loc_active[loc]:
            return False
        if not include_legacy and self.loc_legacy[loc]:
            return False
        return True

    def item_levels(self, item: int) -> range:
        """Level slots of an item, ordered by location (check ``level_alive``)."""
        return range(self.item_level_start[item], self.item_level_start[item + 1])

    def find_level(self, item: int, loc: int) -> int | None:
        for lvl in self.item_levels(item):
            if self.level_loc[lvl] == loc:
                return lvl if self.level_alive[lvl] else None
        return None

    def quantity(self, lvl: int, name: str) -> int:
        if name == "on_hand":
            return sum(self.qty[n][lvl] for n in ON_HAND_PARTS)
        return self.qty[name][lvl]

    def quantities(self, lvl: int) -> dict[str, int]:
        return {name: self.quantity(lvl, name) for name in QUANTITY_NAMES}

    def variant_inventory_quantity(self, item: int) -> int:
        avail = self.qty["available"]
        return sum(avail[k] for k in self.item_levels(item) if self.level_alive[k])

    # ------------------------------------------------------------------ writes (control API)
    def _bump(self, stamps, index: int) -> None:
        """Move a row's updatedAt to now, strictly after its previous value (1 s resolution)."""
        stamps[index] = max(int(time.time()), stamps[index] + 1)

    def set_quantities(self, lvl: int, changes: dict[str, int]) -> None:
        """Apply named quantities to a level, keeping on_hand = sum of its parts."""
        unknown = set(changes) - set(QUANTITY_NAMES)
        if unknown:
            raise ValueError(f"unknown quantity names: {sorted(unknown)}")
        parts = {n: int(v) for n, v in changes.items() if n != "on_hand"}
        for name, value in parts.items():
            self.qty[name][lvl] = value
        if "on_hand" in changes:
            # on_hand given: absorb the difference in `available` unless available was given too.
            others = sum(self.qty[n][lvl] for n in ON_HAND_PARTS if n != "available")
            wanted = int(changes["on_hand"])
            if "available" in parts:
                if others + parts["available"] != wanted:
                    raise ValueError("on_hand must equal available + committed + reserved + damaged "
                                     "+ safety_stock + quality_control")
            else:
                self.qty["available"][lvl] = wanted - others
        self._bump(self.level_updated, lvl)

    def random_change(self, lvl: int, rng: random.Random) -> None:
        """New random quantities for a level (negative available only for CONTINUE items)."""
        item = self.level_item[lvl]
        avail = rng.randrange(0, 150)
        if self.item_continue[item] and rng.random() < 0.2:
            avail = -rng.randrange(1, 10)
        self.set_quantities(lvl, {
            "available": avail,
            "committed": rng.choice((0, 0, 1, 2, 5)),
            "reserved": rng.choice((0, 0, 0, 1)),
            "incoming": rng.choice((0, 0, 0, 10, 24)),
        })

    def alive_levels(self) -> list[int]:
        alive, deleted, items = self.level_alive, self.item_deleted, self.level_item
        return [k for k in range(len(alive)) if alive[k] and not deleted[items[k]]]

    def change_random(self, n: int, seed: int | None) -> list[int]:
        rng = random.Random(seed)
        candidates = self.alive_levels()
        chosen = sorted(rng.sample(candidates, min(n, len(candidates))))
        for lvl in chosen:
            self.random_change(lvl, rng)
        return chosen

    def disconnect(self, item: int, loc: int) -> None:
        lvl = self.find_level(item, loc)
        if lvl is None:
            raise NotFound("inventory level not found")
        self.level_alive[lvl] = 0

    def delete_item(self, item: int) -> None:
        self.item_deleted[item] = 1

    def set_location_active(self, loc: int, active: bool) -> None:
        if self.loc_active[loc] != active:
            self.loc_active[loc] = active
            self._bump(self.loc_updated, loc)

    # ------------------------------------------------------------------ the storefront (sales simulator)
    def item_by_sku(self, sku: str) -> int:
        """The first live item with this SKU (an index kept per SKU, checked on every hit)."""
        index = self._sku_index
        found = index.get(sku)
        if found is not None and not self.item_deleted[found] and self.sku(found) == sku:
            return found
        for item in range(self.item_count):
            if not self.item_deleted[item] and self.sku(item) == sku:
                index[sku] = item
                return item
        raise NotFound(f"unknown sku {sku!r}")

    def sells_online(self, loc: int) -> bool:
        return self.loc_active[loc] and self.loc_fulfills_online[loc] and not self.loc_legacy[loc]

    def _storefront_level(self, sku: str, location_id) -> tuple[int, int]:
        """(item, level) an order of ``sku`` takes stock from: the given location's, else the item's first level at a
        location that fulfils online orders."""
        item = self.item_by_sku(sku)
        if location_id is not None:
            loc = self.location_index(location_id)
            level = None if loc is None else self.find_level(item, loc)
        else:
            level = next((k for k in self.item_levels(item) if self.level_alive[k]
                          and self.sells_online(self.level_loc[k])), None)
        if level is None:
            where = "a location that sells online" if location_id is None else location_id
            raise NotFound(f"{sku} is not stocked at {where}")
        return item, level

    def place_order(self, sku: str, quantity: int, location_id=None, force: bool = False) -> tuple[dict, list[dict]]:
        """A storefront order for ``quantity`` units from a location, or (none given) routed over the item's levels
        at locations that fulfil online orders: accepted when they have that many available, when the variant's
        policy is ``CONTINUE``, or when ``force`` (an order imported by an OMS); the units move from ``available``
        to ``committed``, as an unfulfilled order holds them. Untracked: accepted, nothing moves."""
        item, level = self._storefront_level(sku, location_id)
        levels = [level] if location_id is not None else [
            k for k in self.item_levels(item) if self.level_alive[k] and self.sells_online(self.level_loc[k])]
        policy = "continue" if self.item_continue[item] else "deny"
        answer = {"sku": sku, "inventory_item_id": str(self.item_id(item)),
                  "location_id": str(self.location_id(self.level_loc[level])), "policy": policy}
        if self.item_untracked[item]:
            return {**answer, "accepted": True, "policy": "untracked", "before": None, "after": None}, []
        available = self.qty["available"]
        before = sum(available[k] for k in levels)
        accepted = force or policy == "continue" or before >= quantity
        changed = []
        if accepted:
            taken = route_order(quantity, [available[k] for k in levels])
            for k, units in zip(levels, taken, strict=True):
                if units:
                    self.set_quantities(k, {"available": available[k] - units,
                                            "committed": self.qty["committed"][k] + units})
                    changed.append(self.level_record(k))
            first = next(k for k, units in zip(levels, taken, strict=True) if units)
            answer["location_id"] = str(self.location_id(self.level_loc[first]))
        return {**answer, "accepted": accepted, "before": before, "after": sum(available[k] for k in levels)}, changed

    def receive(self, sku: str, quantity: int, location_id=None) -> tuple[dict, list[dict]]:
        """Stock received at a level: ``available`` (and on hand) grow by ``quantity``."""
        item, level = self._storefront_level(sku, location_id)
        before = self.qty["available"][level]
        self.set_quantities(level, {"available": before + quantity})
        return ({"sku": sku, "inventory_item_id": str(self.item_id(item)),
                 "location_id": str(self.location_id(self.level_loc[level])), "before": before,
                 "after": before + quantity}, [self.level_record(level)])

    # ------------------------------------------------------------------ shared catalog (catalog.py)
    def apply_catalog(self, plan) -> None:
        """Relabel, restock and seed the cases of a ``CatalogPlan`` (``--catalog shared``)."""
        from ..catalog import seeded_case

        def levels_at(item: int, wanted) -> list[int]:
            return [k for k in self.item_levels(item) if self.level_alive[k] and wanted(self.level_loc[k])]

        def sells_online(loc: int) -> bool:
            return self.loc_active[loc] and self.loc_fulfills_online[loc] and not self.loc_legacy[loc]

        def offline(loc: int) -> bool:  # an active store that ships nothing online
            return self.loc_active[loc] and not self.loc_fulfills_online[loc] and not self.loc_legacy[loc]

        for name in STORED_QUANTITIES:  # every level starts empty
            self.qty[name] = array("q", bytes(8 * self.level_count))
        tracked = [i for i in range(self.item_count) if not self.item_untracked[i]]
        eligible = [i for i in tracked if levels_at(i, sells_online)]
        if len(eligible) < plan.size:
            raise ValueError(f"shared catalog: {self.name} has {len(eligible)} items to hold {plan.size} shared "
                             "SKUs; use more --items")
        shared = dict(zip(eligible, plan.skus, strict=False))
        self.sku_override = {i: plan.listed_sku("shopify", sku) for i, sku in shared.items()}
        for i, sku in shared.items():
            self.item_continue[i] = plan.policy("shopify", sku) == "continue"
            selling = levels_at(i, sells_online)
            for level, quantity in zip(selling, plan.spread("shopify", sku, len(selling)), strict=True):
                self.qty["available"][level] = quantity
        others = [i for i in tracked if i not in shared and self.sku(i) is not None]
        seeded = [seeded_case(c, self.name, c.sku) for c in plan.cases_for("shopify") if c.sku]
        for case in plan.cases_for("shopify"):
            if case.sku:
                continue
            if case.kind == "negative_stock":
                item = next(i for i in others if levels_at(i, offline))
                level = levels_at(item, offline)[0]
                self.qty["available"][level] = case.quantity
                seeded.append(seeded_case(case, self.name, self.sku(item), inventory_item_id=str(self.item_id(item)),
                                          location_id=str(self.location_id(self.level_loc[level]))))
            elif case.kind == "tracked_without_levels":
                item = next(i for i in others if not levels_at(i, offline))
                for k in self.item_levels(item):
                    self.level_alive[k] = 0
                seeded.append(seeded_case(case, self.name, self.sku(item), inventory_item_id=str(self.item_id(item))))
            others.remove(item)
        kept = {int(c["inventory_item_id"]) - ITEM_ID_BASE - 1 for c in seeded if "inventory_item_id" in c}
        for i in range(self.item_count):  # nothing else tracks stock or oversells
            if i not in shared:
                self.item_continue[i] = 0
                self.item_untracked[i] = i not in kept
        self.scenario = seeded

    # ------------------------------------------------------------------ truth (normalized records)
    def location_record(self, loc: int) -> dict:
        return {"store_id": self.name, "location_id": str(self.location_id(loc)), "name": self.loc_name[loc],
                "is_active": self.loc_active[loc], "updated_at": iso(self.loc_updated[loc]),
                "fulfills_online_orders": self.loc_fulfills_online[loc]}

    def item_record(self, item: int) -> dict:
        cost = self.item_cost[item]
        return {"store_id": self.name, "inventory_item_id": str(self.item_id(item)), "sku": self.sku(item),
                "product_id": str(self.product_id(self.item_product[item])),
                "variant_id": str(self.variant_id(item)), "is_tracked": not self.item_untracked[item],
                "oversell_policy": "continue" if self.item_continue[item] else "deny",
                "unit_cost": None if cost < 0 else cost / 100, "currency": None if cost < 0 else "USD",
                "updated_at": iso(self.item_updated[item]), "created_at": iso(self.item_created[item])}

    def level_record(self, lvl: int) -> dict:
        item = self.level_item[lvl]
        q = self.quantities(lvl)
        return {"store_id": self.name, "inventory_item_id": str(self.item_id(item)),
                "location_id": str(self.location_id(self.level_loc[lvl])), "sku": self.sku(item),
                "available": q["available"], "on_hand": q["on_hand"], "committed": q["committed"],
                "reserved": q["reserved"], "incoming": q["incoming"], "updated_at": iso(self.level_updated[lvl]),
                "damaged": q["damaged"], "quality_control": q["quality_control"],
                "safety_stock": q["safety_stock"]}

    def snapshot(self) -> StoreData:
        """A consistent copy of the mutable state (cheap: array copies), to read without the lock."""
        with self.lock:
            snap = copy.copy(self)
            snap.lock = threading.RLock()
            snap.level_alive = bytearray(self.level_alive)
            snap.item_deleted = bytearray(self.item_deleted)
            snap.level_updated = array("q", self.level_updated)
            snap.qty = {name: array("q", values) for name, values in self.qty.items()}
            snap.loc_active = list(self.loc_active)
            snap.loc_updated = list(self.loc_updated)
        return snap

    def iter_level_records(self) -> Iterator[dict]:
        """Level records in (item, location) order; the hot loop of ``truth`` at a million levels."""
        q = self.qty
        avail, comm, res, inc = q["available"], q["committed"], q["reserved"], q["incoming"]
        dmg, qc, ss = q["damaged"], q["quality_control"], q["safety_stock"]
        alive, deleted, item_of, loc_of, updated = (self.level_alive, self.item_deleted, self.level_item,
                                                    self.level_loc, self.level_updated)
        loc_ids = [str(self.location_id(i)) for i in range(self.location_count)]
        name = self.name
        for k in range(len(alive)):
            item = item_of[k]
            if not alive[k] or deleted[item]:
                continue
            a, c, r, d, f, s_ = avail[k], comm[k], res[k], dmg[k], qc[k], ss[k]
            yield {"store_id": name, "inventory_item_id": str(ITEM_ID_BASE + item + 1),
                   "location_id": loc_ids[loc_of[k]], "sku": self.sku(item), "available": a,
                   "on_hand": a + c + r + d + f + s_, "committed": c, "reserved": r, "incoming": inc[k],
                   "updated_at": iso(updated[k]), "damaged": d, "quality_control": f, "safety_stock": s_}

    def iter_truth(self, stream: str) -> Iterator[dict]:
        if stream == "locations":
            return (self.location_record(i) for i in range(self.location_count))
        if stream == "inventory_items":
            return (self.item_record(i) for i in range(self.item_count) if not self.item_deleted[i])
        if stream == "inventory_levels":
            return self.iter_level_records()
        raise ValueError(f"unknown stream {stream!r}")

    def truth(self, streams=TRUTH_STREAMS) -> dict:
        """Every row that exists now, as normalized records (docs/interfaces.md section 2)."""
        snap = self.snapshot()
        return {stream: list(snap.iter_truth(stream)) for stream in streams}

    def truth_json_chunks(self, streams=TRUTH_STREAMS, batch: int = 5000) -> Iterator[bytes]:
        """``truth`` as a stream of JSON bytes (a million levels without building one huge string)."""
        snap = self.snapshot()
        yield b"{"
        for n, stream in enumerate(streams):
            yield (", " if n else "").encode() + json.dumps(stream).encode() + b": ["
            rows = snap.iter_truth(stream)
            first = True
            while True:
                chunk = list(itertools.islice(rows, batch))
                if not chunk:
                    break
                text = json.dumps(chunk)[1:-1]
                yield (text if first else ", " + text).encode()
                first = False
            yield b"]"
        yield b"}"


def _to_int(value) -> int:
    """Numeric id from an int, a numeric string or a GID (``gid://shopify/X/123`` / ``...?a=b``)."""
    if isinstance(value, int):
        return value
    text = str(value).split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        return int(text)
    except ValueError:
        return -1
