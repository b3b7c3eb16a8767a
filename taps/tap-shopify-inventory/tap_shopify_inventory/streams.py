"""Stream declarations: one short class per table of docs/interfaces.md section 2."""

from __future__ import annotations

import json

from singer_inventory_kit import utc_z
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_shopify_inventory.client import ShopifyInventoryStream, gid_tail
from tap_shopify_inventory.queries import ALL_LOCATIONS_ARGS, QUANTITY_NAMES


class LocationsStream(ShopifyInventoryStream):
    """Every location, inactive and legacy ones included; a full snapshot every run."""

    name = "locations"
    primary_keys = ("store_id", "location_id")
    replication_key = None
    connection = "locations"
    connection_args = ALL_LOCATIONS_ARGS
    node_fields = "id name isActive fulfillsOnlineOrders updatedAt"
    always_full_snapshot = True
    required_scopes = ("read_locations",)

    def to_record(self, node: dict) -> dict:  # noqa: PLR6301
        """Location node -> `locations` row."""
        return {
            "location_id": gid_tail(node["id"]),
            "name": node.get("name"),
            "is_active": node.get("isActive"),
            "updated_at": utc_z(node.get("updatedAt")),
            "location_gid": node["id"],
            "fulfills_online_orders": node.get("fulfillsOnlineOrders"),
        }


class InventoryItemsStream(ShopifyInventoryStream):
    """Inventory items, incremental on updated_at (a full snapshot with `reconcile`)."""

    name = "inventory_items"
    primary_keys = ("store_id", "inventory_item_id")
    replication_key = "updated_at"
    connection = "inventoryItems"
    node_fields = (
        "id sku tracked createdAt updatedAt unitCost { amount currencyCode } "
        "variant { id inventoryPolicy product { id } }"
    )
    filter_by_updated_at = True
    required_scopes = ("read_inventory", "read_products")

    def to_record(self, node: dict) -> dict:  # noqa: PLR6301
        """InventoryItem node -> `inventory_items` row."""
        variant = node.get("variant") or {}
        cost = node.get("unitCost") or {}
        policy = variant.get("inventoryPolicy")
        return {
            "inventory_item_id": gid_tail(node["id"]),
            "sku": node.get("sku"),
            "product_id": gid_tail((variant.get("product") or {}).get("id")),
            "variant_id": gid_tail(variant.get("id")),
            "is_tracked": node.get("tracked"),
            "oversell_policy": policy.lower() if policy else None,
            "unit_cost": float(cost["amount"]) if cost.get("amount") is not None else None,
            "currency": cost.get("currencyCode"),
            "updated_at": utc_z(node.get("updatedAt")),
            "inventory_item_gid": node["id"],
            "created_at": utc_z(node.get("createdAt")),
        }


class InventoryLevelsStream(ShopifyInventoryStream):
    """Quantities per item and location: `location(id:) { inventoryLevels }` for every location.

    One bookmark for the whole stream: locations are iterated inside the stream's own
    record generation, not as state partitions.
    """

    name = "inventory_levels"
    primary_keys = ("store_id", "inventory_item_id", "location_id")
    replication_key = "updated_at"
    connection = "inventoryLevels"
    per_location = True
    node_fields = (
        f"id updatedAt item {{ id sku }} quantities(names: {json.dumps(list(QUANTITY_NAMES))}) {{ name quantity }}"
    )
    filter_by_updated_at = True
    required_scopes = ("read_inventory", "read_locations")
    # Rows are built in `to_record` from JSON scalars of the declared types (strings, Shopify
    # `Int`s, null): the SDK's per-value conforming has nothing to convert, and cost a third
    # of the tap's CPU per record (docs/benchmarks.md).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def to_record(self, node: dict) -> dict:  # noqa: PLR6301
        """InventoryLevel node (with `__parentId` = location GID) -> `inventory_levels` row."""
        item = node.get("item") or {}
        quantities = {q["name"]: q["quantity"] for q in node.get("quantities") or []}
        return {
            "inventory_item_id": gid_tail(item.get("id")),
            "location_id": gid_tail(node["__parentId"]),
            "sku": item.get("sku"),
            **{name: quantities.get(name) for name in QUANTITY_NAMES[:5]},
            "updated_at": utc_z(node.get("updatedAt")),
            **{name: quantities.get(name) for name in QUANTITY_NAMES[5:]},
        }
