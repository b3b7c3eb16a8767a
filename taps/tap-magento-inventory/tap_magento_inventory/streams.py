"""Stream declarations: the tables of docs/interfaces.md section 2, plus Magento's MSI extras."""

from __future__ import annotations

import math
import typing as t
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from singer_inventory_kit import utc_z
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_magento_inventory.client import (
    COMPOSITE_TYPES,
    Filter,
    MagentoAPIError,
    MagentoStream,
    magento_time,
    whole_units,
)
from tap_magento_inventory.lookups import StockFlags

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

#: What a store without MSI modules has: one source and one stock.
DEFAULT_SOURCE = {"source_code": "default", "name": "Default Source", "enabled": True}
DEFAULT_STOCK = {"stock_id": 1, "name": "Default Stock", "extension_attributes": {}}


def _attribute(product: dict, code: str) -> t.Any:  # noqa: ANN401
    for attribute in product.get("custom_attributes") or []:
        if attribute.get("attribute_code") == code:
            return attribute.get("value")
    return None


def _number(value: t.Any) -> float | None:  # noqa: ANN401
    """A finite float, else None (NaN and infinity are not JSON; the SDK's conforming nulled them too)."""
    try:
        number = float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and math.isfinite(number) else None


class LocationsStream(MagentoStream):
    """Every MSI source (disabled ones too); a full snapshot every run."""

    name = "locations"
    path = "/V1/inventory/sources"
    primary_keys = ("store_id", "location_id")
    replication_key = None
    sort = (("source_code", "ASC"),)
    row_key = ("source_code",)

    def legacy_rows(self) -> list[dict]:  # noqa: PLR6301
        """One source `default`."""
        return [DEFAULT_SOURCE]

    def to_record(self, row: dict) -> dict:  # noqa: PLR6301
        """Source -> `locations` row."""
        return {
            "location_id": str(row["source_code"]),
            "name": row.get("name"),
            "is_active": bool(row.get("enabled")),
            "updated_at": None,
            "description": row.get("description"),
            "country_id": row.get("country_id"),
            "region": row.get("region"),
            "city": row.get("city"),
            "postcode": row.get("postcode"),
        }


class StocksStream(MagentoStream):
    """MSI stocks and their sales channels; a full snapshot every run."""

    name = "stocks"
    path = "/V1/inventory/stocks"
    primary_keys = ("store_id", "stock_id")
    replication_key = None
    sort = (("stock_id", "ASC"),)
    row_key = ("stock_id",)
    acl_resource = "Magento_InventoryApi::stock"

    def legacy_rows(self) -> list[dict]:  # noqa: PLR6301
        """One stock `1`."""
        return [DEFAULT_STOCK]

    def to_record(self, row: dict) -> dict:  # noqa: PLR6301
        """Stock -> `stocks` row."""
        channels = (row.get("extension_attributes") or {}).get("sales_channels")
        return {
            "stock_id": str(row["stock_id"]),
            "name": row.get("name"),
            "sales_channels": [{"type": c.get("type"), "code": c.get("code")} for c in channels]
            if isinstance(channels, list)
            else None,
        }


class StockSourceLinksStream(MagentoStream):
    """Which sources feed which stock; a full snapshot every run."""

    name = "stock_source_links"
    path = "/V1/inventory/stock-source-links"
    primary_keys = ("store_id", "stock_id", "source_code")
    replication_key = None
    sort = (("stock_id", "ASC"), ("source_code", "ASC"))
    row_key = ("stock_id", "source_code")
    acl_resource = "Magento_InventoryApi::stock"

    def legacy_rows(self) -> list[dict]:  # noqa: PLR6301
        """Stock 1 fed by source `default`."""
        return [{"stock_id": 1, "source_code": "default", "priority": 1}]

    def to_record(self, row: dict) -> dict:  # noqa: PLR6301
        """Link -> `stock_source_links` row."""
        priority = row.get("priority")
        return {
            "stock_id": str(row["stock_id"]),
            "source_code": str(row["source_code"]),
            "priority": int(priority) if priority is not None else None,
        }


class InventoryItemsStream(MagentoStream):
    """Products, incremental on `updated_at`; a full snapshot when there is nothing to filter on.

    Sorted by `updated_at` then `entity_id`, so rows written in the same second keep their
    order across pages. Tracking and backorders come from the legacy stock items, which
    the product list does not carry.
    """

    name = "inventory_items"
    path = "/V1/products"
    primary_keys = ("store_id", "inventory_item_id")
    replication_key = "updated_at"
    sort = (("updated_at", "ASC"), ("entity_id", "ASC"))
    row_key = ("id",)
    always_full_snapshot = False
    acl_resource = "Magento_Catalog::products"
    _since: str | None = None
    _keep_ids = False
    #: Products this read returns (`total_count` of its first page); None before the first page.
    _to_read: int | None = None
    _currency: str | None = None

    def filter_groups(self) -> list[list[Filter]]:
        """`updated_at gteq` the start of this read (same-second rows are re-read, never lost)."""
        return [[("updated_at", magento_time(self._since), "gteq")]] if self._since else []

    def read_rows(self, context: Context | None) -> t.Iterator[dict]:
        """Products (the same route with or without MSI); then the legacy stock items are let go with MSI."""
        self._since = self.since_window()
        self._full_snapshot_now = self._since is None
        self._to_read = None
        self._currency = self.store_view().base_currency_code  # product costs are in the base currency
        self._keep_ids = self.lookups.keeps_product_ids  # inventory_levels is still to come: it reuses the ids
        self.logger.info("Reading products %s", f"updated since {self._since}" if self._since else "in full")
        yield from self.request_records(context)
        if self._since is None:  # every product was emitted: the levels need no id lookup
            self.lookups.products_read_in_full()
        if self.msi_enabled():  # only the legacy levels read them again: free a few hundred bytes per product
            self.lookups.release_stock_items()

    def parse_response(self, response: t.Any) -> t.Iterable[dict]:  # noqa: ANN401
        """The page's products; the first page says how many this read returns."""
        if self._to_read is None:
            total = (response.json() or {}).get("total_count")
            self._to_read = total if isinstance(total, int) else None
        return super().parse_response(response)

    def stock_flags(self, product_id: str, sku: t.Any) -> StockFlags | None:  # noqa: ANN401
        """The product's legacy stock flags. An incremental read of at most a page of products asks for each
        one's stock item (`stockItems/{sku}`): listing every stock item would cost a request per page of the
        whole catalog for a few changed products. Otherwise, and on a store without MSI (whose levels read them
        all anyway), every stock item is listed once."""
        few = self._since is not None and self._to_read is not None and self._to_read <= self.page_size
        if few and sku is not None and self.msi_enabled():
            return StockFlags.of(self.get_json(f"/V1/stockItems/{quote(str(sku), safe='')}") or {})
        return self.stock_items().get(product_id)

    def to_record(self, row: dict) -> dict:
        """Product (+ its legacy stock item) -> `inventory_items` row; inventory_levels may reuse its id."""
        product_id = str(row["id"])
        if self._keep_ids and row.get("sku") is not None:
            self.lookups.keep_product_id(str(row["sku"]), row["id"] if type(row["id"]) is int else product_id)
        stock = self.stock_flags(product_id, row.get("sku"))
        tracked = oversell = backorders = None
        if stock is not None:
            # use_config_*: the store's defaults apply (Magento ships manage stock yes, backorders no).
            tracked = True if stock.use_config_manage_stock else bool(stock.manage_stock)
            backorders = 0 if stock.use_config_backorders else int(stock.backorders or 0)
            oversell = "continue" if backorders > 0 else "deny"
        status = row.get("status")
        return {
            "inventory_item_id": product_id,
            "sku": row.get("sku"),
            "product_id": product_id,
            "variant_id": None,
            "is_tracked": tracked,
            "oversell_policy": oversell,
            "unit_cost": _number(_attribute(row, "cost")),
            "currency": self._currency,
            "updated_at": utc_z(row.get("updated_at")),
            "name": row.get("name"),
            "type_id": row.get("type_id"),
            "status": int(status) if status is not None else None,
            "backorders": backorders,
            "created_at": utc_z(row.get("created_at")),
        }


class InventoryLevelsStream(MagentoStream):
    """Source items, keyed (store, sku, source); a full snapshot every run (they have no timestamps).

    `inventory_item_id` is the product id of the SKU: taken from the products inventory_items
    emitted earlier in the run when it read them all, else from one pass over every product's id and
    SKU (the run's `CatalogLookups`); a source item whose SKU has no product is skipped with a warning.
    """

    name = "inventory_levels"
    path = "/V1/inventory/source-items"
    primary_keys = ("store_id", "inventory_item_id", "location_id")
    replication_key = None
    sort = (("sku", "ASC"), ("source_code", "ASC"))
    row_key = ("sku", "source_code")
    # `to_record` builds each row from str, int, finite float and None of the declared types only: the SDK's
    # per-value conforming (a quarter of the tap's CPU on a 100k-level sync) has nothing to convert.
    # tests/test_levels_records.py checks that conforming would leave every record unchanged.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def read_rows(self, context: Context | None) -> t.Iterable[dict] | None:
        """Source items; then the product ids kept for them are let go (nothing else reads them)."""
        rows = super().read_rows(context)
        if rows is None:
            return
        yield from rows
        self.lookups.levels_read()

    def parse_response(self, response: t.Any) -> t.Iterable[dict]:  # noqa: ANN401
        """Items of the page, with the product ids of their SKUs resolved in one request."""
        items = list(super().parse_response(response))
        ids = self.product_ids_for(str(item.get("sku")) for item in items)
        for item in items:
            item["_product_id"] = ids.get(str(item.get("sku")))
        return items

    def product_ids_for(self, skus: t.Iterable[str]) -> dict[str, str]:
        """sku -> product id for these SKUs (absent: no product has the SKU)."""
        return self.lookups.product_ids(skus, self._list_product_ids)

    def _list_product_ids(self) -> t.Iterator[tuple[str, int | str]]:
        """(sku, id) of every product: one pass, only those two fields (an int id kept as the int)."""
        self.logger.info("Listing every product's id and SKU for the source items")
        for product in self.get_paged(
            "/V1/products", sort=[("entity_id", "ASC")], page_size=self.page_size,
            fields="items[id,sku],total_count",
        ):  # fmt: skip
            if product.get("sku") is not None:
                yield str(product["sku"]), product["id"] if type(product["id"]) is int else str(product["id"])

    def legacy_rows(self) -> t.Iterable[dict]:
        """Legacy stock items of simple-type products as source items of source `default`."""
        stock_items = self.stock_items()
        skus: dict[str, str] = {}
        ids = sorted(stock_items, key=lambda v: (len(v), v))
        for start in range(0, len(ids), self.page_size):
            chunk = ids[start : start + self.page_size]
            for product in self.get_paged(
                "/V1/products", groups=[[("entity_id", chunk, "in")]], sort=[("entity_id", "ASC")]
            ):
                if product.get("type_id") not in COMPOSITE_TYPES:  # no stock of their own, as with MSI
                    skus[str(product["id"])] = product["sku"]
        for product_id in ids:
            item = stock_items[product_id]
            if product_id not in skus:
                continue
            yield {
                "sku": skus[product_id],
                "source_code": "default",
                "quantity": item.qty,
                "status": 1 if item.is_in_stock else 0,
                "_product_id": product_id,
            }

    def to_record(self, row: dict) -> dict | None:
        """Source item -> `inventory_levels` row (available = quantity when in stock, else 0)."""
        if row.get("_product_id") is None:
            self.logger.warning(
                "Skipping source item %s at %s: no product has this SKU", row.get("sku"), row.get("source_code")
            )
            return None
        on_hand = whole_units(row.get("quantity"))
        status = int(row.get("status") or 0)
        return {
            "inventory_item_id": str(row["_product_id"]),
            "location_id": str(row["source_code"]),
            "sku": row.get("sku"),
            "available": (on_hand if status == 1 else 0) if on_hand is not None else None,
            "on_hand": on_hand,
            "committed": None,
            "reserved": None,
            "incoming": None,
            "updated_at": None,
            "quantity": _number(row.get("quantity")),
            "status": status,
        }


class SalableQuantitiesStream(MagentoStream):
    """Salable quantity per (sku, stock), one call each: only with `include_salable_quantity`.

    Simple-type products only: configurable, bundle and grouped products have no source
    items and Magento refuses them, so they are skipped with one note.
    """

    name = "salable_quantities"
    path = "/V1/inventory/get-product-salable-quantity"
    primary_keys = ("store_id", "sku", "stock_id")
    replication_key = None
    row_key = ("sku", "stock_id")
    acl_resource = "Magento_InventorySalesApi::stock"

    def read_rows(self, context: Context | None) -> t.Iterable[dict] | None:  # noqa: ARG002
        """None (no rows, no sync_runs entry) unless the setting is on and the store has MSI."""
        if not self.config.get("include_salable_quantity"):
            self.logger.info("salable_quantities: off (include_salable_quantity is false)")
            return None
        if not self.msi_enabled():
            self.logger.info("salable_quantities: skipped, the store has no MSI routes")
            return None
        return self._salable_rows()

    def _salable_rows(self) -> t.Iterator[dict]:
        stocks = [str(s["stock_id"]) for s in self.get_paged("/V1/inventory/stocks", sort=[("stock_id", "ASC")])]
        products = list(self.get_paged("/V1/products", sort=[("entity_id", "ASC")]))
        composite = [p for p in products if p.get("type_id") in COMPOSITE_TYPES]
        if composite:
            self.logger.info(
                "salable_quantities: skipped %d composite products (configurable, bundle, grouped have no source "
                "items; their children carry the salable quantity)",
                len(composite),
            )
        pairs = [(p, stock) for p in products if p.get("type_id") not in COMPOSITE_TYPES for stock in stocks]
        workers = int(self.config.get("salable_quantity_concurrency", 4))
        skipped = 0
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="salable") as pool:
            for start in range(0, len(pairs), 200):
                batch = pairs[start : start + 200]
                for (product, stock), quantity in zip(batch, pool.map(self._salable, batch), strict=True):
                    if quantity is None:
                        skipped += 1
                        continue
                    yield {
                        "sku": product["sku"],
                        "stock_id": stock,
                        "inventory_item_id": str(product["id"]),
                        "salable_quantity": quantity,
                    }
        if skipped:
            self.logger.info("salable_quantities: %d (sku, stock) pairs refused by Magento were skipped", skipped)

    def _salable(self, pair: tuple[dict, str]) -> float | None:
        product, stock = pair
        from urllib.parse import quote  # noqa: PLC0415

        try:
            value = self.get_json(f"{self.path}/{quote(str(product['sku']), safe='')}/{stock}")
        except MagentoAPIError as exc:
            if exc.status in (400, 404):
                self.logger.info("salable_quantities: %s in stock %s skipped: %s", product["sku"], stock, exc.detail)
                return None
            raise
        return _number(value)

    def to_record(self, row: dict) -> dict:  # noqa: PLR6301
        """Already in shape."""
        return row
