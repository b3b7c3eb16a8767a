"""Stream declarations: one short class per table of docs/interfaces.md section 2."""

from __future__ import annotations

import typing as t

from singer_inventory_kit import utc_z
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_bigcommerce_inventory.client import CATALOG_MAX_PAGE, INVENTORY_MAX_PAGE, BigCommerceStream, id_str

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context


class LocationsStream(BigCommerceStream):
    """Every inventory location, disabled ones included; a full snapshot every run.

    A location in the answer does not say whether it is the store's default: the default is the one the
    `is_default=true` filter returns, asked once before the list.
    """

    name = "locations"
    path = "/v3/inventory/locations"
    primary_keys = ("store_id", "location_id")
    replication_key = None
    max_page_size = INVENTORY_MAX_PAGE
    required_scope = "store_locations_read_only"
    _default_id: str | None = None

    def read_rows(self, context: Context | None) -> t.Iterable[dict]:
        """The default location's id (`is_default=true`), then every location."""
        found = self.get_json(self.path, {"is_default": "true", "limit": 1})["data"]
        self._default_id = id_str(found[0].get("id")) if found else None
        if self._default_id is None:
            self.logger.warning("Store %s reports no default location: is_default is null", self.store_id)
        return super().read_rows(context)

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """Location -> `locations` row."""
        for loc in response.json()["data"]:
            address = loc.get("address") or {}
            yield {
                "location_id": id_str(loc["id"]),
                "name": loc.get("label"),
                "is_active": bool(loc.get("enabled")),
                "updated_at": utc_z(loc.get("updated_at")),
                "location_code": loc.get("code"),
                "location_type": loc.get("type_id"),
                "is_default": None if self._default_id is None else id_str(loc["id"]) == self._default_id,
                "time_zone": loc.get("time_zone"),
                "managed_by_external_source": loc.get("managed_by_external_source"),
                "storefront_visibility": loc.get("storefront_visibility"),
                "address_line1": address.get("address1"),
                "city": address.get("city"),
                "state": address.get("state"),
                "zip": address.get("zip"),
                "country_code": address.get("country_code"),
                "created_at": utc_z(loc.get("created_at")),
            }


class InventoryItemsStream(BigCommerceStream):
    """One row per variant, from products with their variants; incremental on date_modified."""

    name = "inventory_items"
    path = "/v3/catalog/products"
    primary_keys = ("store_id", "inventory_item_id")
    replication_key = "updated_at"
    max_page_size = CATALOG_MAX_PAGE
    extra_params: t.ClassVar[dict[str, str]] = {"include": "variants", "sort": "id", "direction": "asc"}
    filter_by_date_modified = True
    required_scope = "store_v2_products_read_only"
    _currency: str | None = None

    def read_rows(self, context: Context | None) -> t.Iterable[dict]:
        """The store's default currency (catalog prices are in it), then the products."""
        self._currency = self.store_currency()
        return super().read_rows(context)

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """Product with variants -> one `inventory_items` row per variant."""
        for product in response.json()["data"]:
            tracking = product.get("inventory_tracking")
            for variant in product.get("variants") or []:
                cost = variant.get("cost_price")
                if cost is None:
                    cost = product.get("cost_price")
                yield {
                    "inventory_item_id": id_str(variant["id"]),
                    "sku": variant.get("sku"),
                    "product_id": id_str(product["id"]),
                    "variant_id": id_str(variant["id"]),
                    "is_tracked": None if tracking is None else tracking != "none",
                    "oversell_policy": None,
                    "unit_cost": None if cost is None else float(cost),
                    "currency": self._currency,
                    "updated_at": utc_z(product.get("date_modified")),
                    "inventory_tracking": tracking,
                    "inventory_warning_level": variant.get("inventory_warning_level"),
                    "purchasing_disabled": variant.get("purchasing_disabled"),
                    "bin_picking_number": variant.get("bin_picking_number"),
                    "product_name": product.get("name"),
                    "is_base_variant": product.get("base_variant_id") == variant["id"],
                    "sku_id": id_str(variant.get("sku_id")),
                    "created_at": utc_z(product.get("date_created")),
                }


class InventoryLevelsStream(BigCommerceStream):
    """Stock per variant and location from `/v3/inventory/items`: a full snapshot every run.

    The Inventory API has no modified filter; rows that vanish are removed downstream by the
    `sync_runs` full-snapshot rule (docs/interfaces.md, "Deletions").
    """

    name = "inventory_levels"
    path = "/v3/inventory/items"
    primary_keys = ("store_id", "inventory_item_id", "location_id")
    replication_key = None
    max_page_size = INVENTORY_MAX_PAGE
    required_scope = "store_inventory_read_only"
    # Rows are built below from JSON scalars of the declared types: the SDK's per-value conforming
    # (a third of the tap's CPU on big syncs, docs/benchmarks.md) has nothing to convert.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """Item (identity + locations) -> one `inventory_levels` row per location."""
        for item in response.json()["data"]:
            identity = item.get("identity") or {}
            variant_id = id_str(identity.get("variant_id"))
            product_id = id_str(identity.get("product_id"))
            for loc in item.get("locations") or []:
                settings = loc.get("settings") or {}
                yield {
                    "inventory_item_id": variant_id or product_id,
                    "location_id": id_str(loc.get("location_id")),
                    "sku": identity.get("sku"),
                    "available": loc.get("available_to_sell"),
                    "on_hand": loc.get("total_inventory_onhand"),
                    "committed": None,
                    "reserved": None,
                    "incoming": None,
                    "updated_at": None,
                    "product_id": product_id,
                    "variant_id": variant_id,
                    "safety_stock": settings.get("safety_stock"),
                    "warning_level": settings.get("warning_level"),
                    "is_in_stock": settings.get("is_in_stock"),
                    "bin_picking_number": settings.get("bin_picking_number"),
                }
