"""GraphQL object views over ``StoreData`` rows, resolved by graphql-core's default field resolver.

Each view is a tiny object (store + row index) whose attributes are named like the schema's fields;
fields with arguments are methods ``(info, **args)``. Connection fields page with ``paging.page`` or, in a
bulk operation (``info.context.bulk_mode``), stream every row via ``paging.stream``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from graphql import GraphQLError

from . import paging, search, writes
from .data import QUANTITY_NAMES, StoreData, iso


@dataclass
class Context:
    """Per-request execution context."""
    store: StoreData
    bulk_manager: Any = None          # bulk.BulkManager
    bulk_mode: bool = False           # connections return every row, unpaged
    extra: dict = field(default_factory=dict)
    api_version: str | None = None    # the version in the request path (mutations depend on it)
    scopes: frozenset = frozenset()   # the token's access scopes (currentAppInstallation)
    write_memory: Any = None          # writes.WriteMemory of the app
    writes: list = field(default_factory=list)  # (mutation, writes.Outcome, replayed) run by this request


SCOPE_DESCRIPTIONS = {"read_inventory": "Read inventory", "write_inventory": "Modify inventory",
                      "read_locations": "Read locations", "read_products": "Read products"}


def gid(kind: str, num) -> str:
    return f"gid://shopify/{kind}/{num}"


class StreamConnection:
    """A connection inside a bulk operation: every visible node, in id order, produced lazily."""
    __slots__ = ("handles", "make")

    def __init__(self, handles: Iterator[int], make: Callable[[int], Any]):
        self.handles = handles
        self.make = make

    def __iter__(self):
        for h in self.handles:
            yield self.make(h)


def _connection(info, name: str, seq, sort_key, visible, make, args: dict):
    if info.context.bulk_mode:
        return StreamConnection(paging.stream(seq, visible), make)
    first, last = args.get("first"), args.get("last")
    paging.check_page_args(name, first, last)
    handles, has_prev, has_next = paging.page(seq, sort_key, visible, first=first, last=last,
                                              after=args.get("after"), before=args.get("before"))
    nodes = [make(h) for h in handles]
    cursors = [paging.encode_cursor(sort_key(h)) for h in handles]
    return {
        "nodes": nodes,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
        "pageInfo": {"hasNextPage": has_next, "hasPreviousPage": has_prev,
                     "startCursor": cursors[0] if cursors else None,
                     "endCursor": cursors[-1] if cursors else None},
    }


def _and(a: Callable, b: Callable | None) -> Callable:
    return a if b is None else (lambda h: a(h) and b(h))


# ---------------------------------------------------------------------------------------------- views
class ProductView:
    __slots__ = ("s", "p")
    TYPENAME = "Product"

    def __init__(self, store: StoreData, p: int):
        self.s, self.p = store, p

    @property
    def id(self): return gid("Product", self.s.product_id(self.p))
    @property
    def legacyResourceId(self): return str(self.s.product_id(self.p))
    @property
    def title(self): return self.s.product_title(self.p)
    @property
    def updatedAt(self): return iso(self.s.product_updated[self.p])


class VariantView:
    __slots__ = ("s", "i")
    TYPENAME = "ProductVariant"

    def __init__(self, store: StoreData, i: int):
        self.s, self.i = store, i

    @property
    def id(self): return gid("ProductVariant", self.s.variant_id(self.i))
    @property
    def legacyResourceId(self): return str(self.s.variant_id(self.i))
    @property
    def sku(self): return self.s.sku(self.i)
    @property
    def inventoryPolicy(self): return "CONTINUE" if self.s.item_continue[self.i] else "DENY"
    @property
    def inventoryQuantity(self): return self.s.variant_inventory_quantity(self.i)
    @property
    def product(self): return ProductView(self.s, self.s.item_product[self.i])
    @property
    def updatedAt(self): return iso(self.s.item_updated[self.i])


class LocationView:
    __slots__ = ("s", "l")
    TYPENAME = "Location"

    def __init__(self, store: StoreData, loc: int):
        self.s, self.l = store, loc

    @property
    def id(self): return gid("Location", self.s.location_id(self.l))
    @property
    def legacyResourceId(self): return str(self.s.location_id(self.l))
    @property
    def name(self): return self.s.loc_name[self.l]
    @property
    def isActive(self): return self.s.loc_active[self.l]
    @property
    def fulfillsOnlineOrders(self): return self.s.loc_fulfills_online[self.l]
    @property
    def createdAt(self): return iso(self.s.loc_created[self.l])
    @property
    def updatedAt(self): return iso(self.s.loc_updated[self.l])

    def inventoryLevels(self, info, **args):
        s = self.s
        item_of = s.level_item
        return _connection(info, "inventoryLevels", s.loc_levels[self.l],
                           lambda k: s.item_id(item_of[k]), _level_filter(s, args.get("query")),
                           lambda k: LevelView(s, k), args)


class ItemView:
    __slots__ = ("s", "i")
    TYPENAME = "InventoryItem"

    def __init__(self, store: StoreData, i: int):
        self.s, self.i = store, i

    @property
    def id(self): return gid("InventoryItem", self.s.item_id(self.i))
    @property
    def legacyResourceId(self): return str(self.s.item_id(self.i))
    @property
    def sku(self): return self.s.sku(self.i)
    @property
    def tracked(self): return not self.s.item_untracked[self.i]
    @property
    def requiresShipping(self): return True
    @property
    def createdAt(self): return iso(self.s.item_created[self.i])
    @property
    def updatedAt(self): return iso(self.s.item_updated[self.i])
    @property
    def variant(self): return VariantView(self.s, self.i)

    @property
    def unitCost(self):
        cents = self.s.item_cost[self.i]
        if cents < 0:
            return None
        return {"amount": f"{cents // 100}.{cents % 100:02d}", "currencyCode": "USD"}

    def inventoryLevels(self, info, **args):
        s = self.s
        loc_of = s.level_loc
        return _connection(info, "inventoryLevels", s.item_levels(self.i),
                           lambda k: s.location_id(loc_of[k]), _level_filter(s, args.get("query")),
                           lambda k: LevelView(s, k), args)


class LevelView:
    __slots__ = ("s", "k")
    TYPENAME = "InventoryLevel"

    def __init__(self, store: StoreData, k: int):
        self.s, self.k = store, k

    def _ids(self):
        return self.s.location_id(self.s.level_loc[self.k]), self.s.item_id(self.s.level_item[self.k])

    @property
    def id(self):
        loc_id, item_id = self._ids()
        return f"gid://shopify/InventoryLevel/{loc_id}?inventory_item_id={item_id}"
    @property
    def item(self): return ItemView(self.s, self.s.level_item[self.k])
    @property
    def location(self): return LocationView(self.s, self.s.level_loc[self.k])
    @property
    def createdAt(self): return iso(self.s.level_created[self.k])
    @property
    def updatedAt(self): return iso(self.s.level_updated[self.k])

    def quantities(self, info, names):
        bad = [n for n in names if n not in QUANTITY_NAMES]
        if bad:
            raise GraphQLError(f"The quantity name '{bad[0]}' is not valid. Valid names are: "
                               + ", ".join(QUANTITY_NAMES) + ".", extensions={"code": "BAD_REQUEST"})
        return [QuantityView(self, n) for n in names]


class QuantityView:
    __slots__ = ("level", "name")
    TYPENAME = "InventoryQuantity"

    def __init__(self, level: LevelView, name: str):
        self.level, self.name = level, name

    @property
    def id(self):
        loc_id, item_id = self.level._ids()
        return f"gid://shopify/InventoryQuantity/{loc_id}?inventory_item_id={item_id}&name={self.name}"
    @property
    def quantity(self): return self.level.s.quantity(self.level.k, self.name)
    @property
    def updatedAt(self): return self.level.updatedAt


# ---------------------------------------------------------------------------------------------- filters
def _item_filter(s: StoreData, query):
    deleted = s.item_deleted
    pred = search.compile_filter(query, {
        "updated_at": (search.DATETIME, s.item_updated.__getitem__),
        "created_at": (search.DATETIME, s.item_created.__getitem__),
        "sku": (search.STRING, s.sku),
        "id": (search.ID, s.item_id),
    })
    return _and(lambda i: not deleted[i], pred)


def _level_filter(s: StoreData, query):
    alive, deleted, item_of = s.level_alive, s.item_deleted, s.level_item
    pred = search.compile_filter(query, {
        "updated_at": (search.DATETIME, s.level_updated.__getitem__),
        "created_at": (search.DATETIME, s.level_created.__getitem__),
        "sku": (search.STRING, lambda k: s.sku(item_of[k])),
    })
    return _and(lambda k: alive[k] and not deleted[item_of[k]], pred)


def _location_filter(s: StoreData, query, include_inactive: bool, include_legacy: bool):
    pred = search.compile_filter(query, {
        "updated_at": (search.DATETIME, s.loc_updated.__getitem__),
        "created_at": (search.DATETIME, s.loc_created.__getitem__),
        "id": (search.ID, s.location_id),
    })
    return _and(lambda loc: s.location_visible(loc, include_inactive, include_legacy), pred)


# ---------------------------------------------------------------------------------------------- roots
def parse_gid(value: str) -> tuple[str, int, dict]:
    """``gid://shopify/Type/123?x=1`` -> ("Type", 123, {"x": "1"}); raises GraphQLError if malformed."""
    text = str(value)
    path, _, query = text.partition("?")
    parts = path.split("/")
    if not text.startswith("gid://shopify/") or len(parts) != 5 or not parts[4].isdigit():
        raise GraphQLError(f"Invalid global id '{text}'", extensions={"code": "argumentLiteralsIncompatible"})
    return parts[3], int(parts[4]), {k: v[0] for k, v in parse_qs(query).items()}


def resolve_node(ctx: Context, value: str):
    kind, num, params = parse_gid(value)
    s = ctx.store
    if kind == "Location":
        idx = s.location_index(num)
        return None if idx is None else LocationView(s, idx)
    if kind == "InventoryItem":
        idx = s.item_index(num)
        return None if idx is None else ItemView(s, idx)
    if kind == "ProductVariant":
        idx = s.variant_index(num)
        return None if idx is None else VariantView(s, idx)
    if kind == "Product":
        idx = s.product_index(num)
        return None if idx is None else ProductView(s, idx)
    if kind == "InventoryLevel":
        loc, item = s.location_index(num), s.item_index(params.get("inventory_item_id", "x"))
        lvl = None if loc is None or item is None else s.find_level(item, loc)
        return None if lvl is None else LevelView(s, lvl)
    if kind == "BulkOperation" and ctx.bulk_manager is not None:
        return ctx.bulk_manager.get(s.name, value)
    return None


class Root:
    """Root value for both Query and Mutation."""

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def locations(self, info, includeInactive=False, includeLegacy=False, **args):
        s = self.ctx.store
        return _connection(info, "locations", range(s.location_count), s.location_id,
                           _location_filter(s, args.get("query"), includeInactive, includeLegacy),
                           lambda loc: LocationView(s, loc), args)

    def location(self, info, id=None):
        s = self.ctx.store
        if id is None:
            return LocationView(s, 0)  # the shop's primary location
        kind, num, _ = parse_gid(id)
        idx = s.location_index(num) if kind == "Location" else None
        return None if idx is None else LocationView(s, idx)

    def inventoryItems(self, info, **args):
        s = self.ctx.store
        return _connection(info, "inventoryItems", range(s.item_count), s.item_id,
                           _item_filter(s, args.get("query")), lambda i: ItemView(s, i), args)

    def inventoryItem(self, info, id):
        node = resolve_node(self.ctx, id)
        return node if isinstance(node, ItemView) else None

    def node(self, info, id):
        return resolve_node(self.ctx, id)

    def currentBulkOperation(self, info, type="QUERY"):
        if self.ctx.bulk_manager is None or type != "QUERY":
            return None
        return self.ctx.bulk_manager.current(self.ctx.store.name)

    def currentAppInstallation(self, info):
        return {"id": "gid://shopify/AppInstallation/1",
                "accessScopes": [{"handle": h, "description": SCOPE_DESCRIPTIONS.get(h, h)}
                                 for h in sorted(self.ctx.scopes)]}

    # mutations
    def inventorySetQuantities(self, info, input):  # noqa: A002 - the schema's argument name
        return writes.set_quantities(self.ctx, info, input)

    def inventoryAdjustQuantities(self, info, input):  # noqa: A002
        return writes.adjust_quantities(self.ctx, info, input)

    def bulkOperationRunQuery(self, info, query, groupObjects=False):
        op, errors = self.ctx.bulk_manager.start(self.ctx.store, query, groupObjects)
        return {"bulkOperation": op, "userErrors": errors}

    def bulkOperationCancel(self, info, id):
        op, errors = self.ctx.bulk_manager.cancel(self.ctx.store.name, id)
        return {"bulkOperation": op, "userErrors": errors}
