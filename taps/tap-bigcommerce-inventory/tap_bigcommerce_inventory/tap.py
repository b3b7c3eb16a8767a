"""TapBigCommerceInventory: settings and the list of streams."""

from __future__ import annotations

import typing as t

from singer_inventory_kit import InventoryTap, SyncRunsStream, settings
from singer_sdk import typing as th

from tap_bigcommerce_inventory.client import QuotaPacer
from tap_bigcommerce_inventory.connection import BigCommerceConnectionTest
from tap_bigcommerce_inventory.streams import InventoryItemsStream, InventoryLevelsStream, LocationsStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapBigCommerceInventory(InventoryTap):
    """Singer tap for BigCommerce multi-location inventory over the REST v3 API."""

    name = "tap-bigcommerce-inventory"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "store_hash",
            th.StringType(min_length=1),
            required=True,
            title="Store Hash",
            description="BigCommerce store hash, the `{store_hash}` of `https://api.bigcommerce.com/stores/{store_hash}`.",
        ),
        th.Property(
            "access_token",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            title="Access Token",
            description=(
                "API account access token, sent as `X-Auth-Token`. Needs the read-only scopes Products "
                "(store_v2_products_read_only), Inventory (store_inventory_read_only), Locations "
                "(store_locations_read_only) and Information & Settings (store_v2_information_read_only, for the "
                "store's default currency)."
            ),
        ),
        settings.start_date(
            "Earliest product `date_modified` to read for inventory items when there is no bookmark yet. "
            "Default: everything. Inventory levels and locations are always read in full.",
        ),
        settings.lookback(
            "Seconds re-read before the bookmark on each incremental run, for changes written late or in "
            "the same second.",
        ),
        settings.reconcile(
            "Read inventory items in full (no `date_modified:min` filter) and mark them as a full snapshot "
            "in `sync_runs`, so variants deleted at the source are removed downstream. Levels and locations "
            "are full snapshots on every run.",
        ),
        th.Property(
            "api_url",
            th.StringType,
            title="API URL",
            description=(
                "Base URL replacing `https://api.bigcommerce.com/stores/{store_hash}`, e.g. the sandbox's "
                "`http://127.0.0.1:PORT/stores/{store_hash}`."
            ),
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1),
            title="Page Size",
            description=(
                "Rows per request. Default: the largest each endpoint allows (catalog 250, inventory 1000); "
                "larger values are capped there."
            ),
        ),
        settings.request_timeout(),
        settings.max_retries(
            "Retries of a failed request (5xx, timeout, reset, non-JSON answer) with exponential backoff. "
            "Rate-limit (429) waits do not count.",
        ),
        settings.max_retry_seconds(),
    ).to_dict()

    store_setting = "store_hash"
    connection_check = BigCommerceConnectionTest

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Start a run: one start time, one quota pacer and the store's currency (read once) shared by all streams."""
        self.pacer = QuotaPacer()
        self.currency: str | None = None
        self.currency_read = False
        super().__init__(*args, **kwargs)
        self.pacer.logger = self.logger

    @property
    def store_id(self) -> str:
        """The store hash (`store_hash`)."""
        return t.cast("str", self.config["store_hash"])

    def discover_streams(self) -> list[Stream]:
        """The four streams (`sync_runs` syncs last: see the kit's `SyncRunsStream`)."""
        return [
            LocationsStream(self),
            InventoryItemsStream(self),
            InventoryLevelsStream(self),
            SyncRunsStream(self, store_id_description="BigCommerce store hash."),
        ]


if __name__ == "__main__":
    TapBigCommerceInventory.cli()
