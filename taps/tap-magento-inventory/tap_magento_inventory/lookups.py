"""What the tap looks up about a store's catalog once per run: `CatalogLookups`, owned by the tap and handed to
its streams.

Four facts several streams need, each read once by whichever stream needs it first, in whatever order the
streams sync:

- the store view's configuration (`/V1/store/storeConfigs`): its base currency, in which product costs are,
  and its secure base URL, whose host is the default `store_id`;
- whether the store has MSI (a JSON 404 on `/V1/inventory/sources` means single-source, legacy stock items);
- the legacy stock items (`/V1/stockItems/lowStock`): tracking and backorders for inventory_items, and the stock
  itself for the levels of a store without MSI; several threads may ask at once;
- the product id of each SKU, which inventory_levels needs for `inventory_item_id`. While inventory_levels is
  still to come in this run (selected, not read yet), inventory_items keeps the ids of the products it emits:
  after a full read of the products the levels need no lookup at all. Otherwise (an incremental read emitted
  a few products, or the levels run first or alone) the first SKU the levels miss makes one pass over every
  product's id and SKU (`fields=items[id,sku]`): a page of products per page size, never more requests than
  looking up each page of source items (a product has at least one source item), so an incremental run is
  never dearer than a full one. Either list is every product there is: a source item whose SKU is not in it
  has no product (a product created since is read by the next run). When the levels are read, the ids are
  let go.

The streams do the requests (they pass them in as functions); this object decides what is asked and what is kept.
"""

from __future__ import annotations

import threading
import typing as t
from urllib.parse import urlsplit


class StockFlags(t.NamedTuple):
    """The fields of a legacy stock item that the tap reads.

    The whole item has about 30 fields; kept for every product of a run (250k at 1M levels) it would
    cost hundreds of MB, so only these are kept.
    """

    use_config_manage_stock: t.Any
    manage_stock: t.Any
    use_config_backorders: t.Any
    backorders: t.Any
    qty: t.Any
    is_in_stock: t.Any

    @classmethod
    def of(cls, item: dict) -> StockFlags:
        """The fields of one `/V1/stockItems` item."""
        return cls(*(item.get(name) for name in cls._fields))


class StoreView(t.NamedTuple):
    """What the tap reads of the store view's entry in `/V1/store/storeConfigs`."""

    code: str | None
    base_currency_code: str | None
    secure_base_url: str | None

    @classmethod
    def of(cls, entry: dict) -> StoreView:
        """One entry of the storeConfigs list."""
        currency = str(entry.get("base_currency_code") or "").strip().upper()
        return cls(entry.get("code"), currency or None, entry.get("secure_base_url") or None)

    @property
    def host(self) -> str | None:
        """The host of the secure base URL (`https://shop.example.com/` -> `shop.example.com`)."""
        return urlsplit(self.secure_base_url or "").hostname


class CatalogLookups:
    """MSI or not, legacy stock flags by product id, product ids by SKU: looked up once per run, shared."""

    def __init__(self, *, levels_selected: t.Callable[[], bool]) -> None:
        """Nothing known yet; `levels_selected()` says whether inventory_levels is part of this run."""
        self._levels_selected = levels_selected
        self._levels_read = False
        self._lock = threading.Lock()
        #: The store view's configuration (None: not read yet).
        self.view: StoreView | None = None
        #: Whether the store answers the MSI routes (None: not asked yet).
        self.msi: bool | None = None
        #: product_id -> what the tap reads of its legacy stock item (None: not read, or let go).
        self.stock_items: dict[str, StockFlags] | None = None
        #: sku -> product id of the products inventory_items emitted for the levels still to come (an int id as
        #: the int: 28 bytes instead of 55 for its string, and str() gives it back exactly).
        self.sku_ids: dict[str, int | str] = {}
        #: Whether every product's id was listed in this run (a full read of the products, or the one id pass).
        self.every_id_known = False

    # -- the store view

    def store_view(self, read: t.Callable[[], StoreView]) -> StoreView:
        """The store view's configuration; `read()` asks the store the first time (once, whichever thread asks)."""
        with self._lock:
            if self.view is None:
                self.view = read()
            return self.view

    # -- MSI

    def msi_enabled(self, probe: t.Callable[[], bool]) -> bool:
        """Whether the store has MSI; `probe()` asks the store the first time (an error is not remembered)."""
        if self.msi is None:
            self.msi = probe()
        return self.msi

    # -- legacy stock items

    def stock_flags(self, read: t.Callable[[], dict[str, StockFlags]]) -> dict[str, StockFlags]:
        """Legacy stock items by product id; `read()` lists them the first time (once, whichever thread asks)."""
        with self._lock:
            if self.stock_items is None:
                self.stock_items = read()
            return self.stock_items

    def release_stock_items(self) -> None:
        """Let the legacy stock items go (a few hundred bytes per product): nothing reads them again."""
        self.stock_items = None

    # -- product ids for inventory_levels

    @property
    def keeps_product_ids(self) -> bool:
        """Whether the ids of emitted products are worth keeping: inventory_levels will still read in this run."""
        return not self._levels_read and self._levels_selected()

    def keep_product_id(self, sku: str, product_id: int | str) -> None:
        """Remember the id of a product inventory_items emitted (only while `keeps_product_ids`)."""
        self.sku_ids[sku] = product_id

    def products_read_in_full(self) -> None:
        """inventory_items emitted every product of the store: the ids it kept are all there are."""
        self.every_id_known = self.keeps_product_ids

    def product_ids(
        self, skus: t.Iterable[str], list_all: t.Callable[[], t.Iterable[tuple[str, int | str]]]
    ) -> dict[str, str]:
        """sku -> product id for these SKUs (absent: no product has the SKU).

        Ids kept from a full read of inventory_items answer; without them, `list_all()` lists every product's
        (sku, id) once, the first time a SKU is asked for.
        """
        if not self.every_id_known:
            self.sku_ids.update(list_all())
            self.every_id_known = True
        return {s: str(self.sku_ids[s]) for s in skus if s and s in self.sku_ids}

    def levels_read(self) -> None:
        """inventory_levels has read every row: its ids are let go, and no more are kept in this run."""
        self._levels_read = True
        self.sku_ids = {}
        self.every_id_known = False


__all__ = ["CatalogLookups", "StockFlags", "StoreView"]
