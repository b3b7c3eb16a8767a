"""TapShopifyInventory: settings and the list of streams."""

from __future__ import annotations

import re
import typing as t

from singer_inventory_kit import InventoryTap, SyncRunsStream, settings
from singer_sdk import typing as th

from tap_shopify_inventory.connection import ShopifyConnectionTest
from tap_shopify_inventory.pacing import CostGovernor
from tap_shopify_inventory.streams import InventoryItemsStream, InventoryLevelsStream, LocationsStream

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapShopifyInventory(InventoryTap):
    """Singer tap for Shopify inventory over the GraphQL Admin API."""

    name = "tap-shopify-inventory"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "store",
            th.StringType(min_length=1),
            required=True,
            title="Store",
            description="Shopify shop name, the `{store}` of `{store}.myshopify.com` (e.g. `demo-store`).",
        ),
        th.Property(
            "access_token",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            title="Access Token",
            description=(
                "Admin API access token (`shpat_...`), sent as `X-Shopify-Access-Token`. "
                "Needs read_inventory, read_products and read_locations."
            ),
        ),
        settings.start_date(
            "Earliest `updated_at` to read for inventory items and levels when there is "
            "no bookmark yet. Default: everything.",
        ),
        th.Property(
            "api_version",
            th.StringType,
            default="2026-10",
            title="API Version",
            description="Admin API version in the endpoint path.",
        ),
        settings.lookback(
            "Seconds re-read before the bookmark on each incremental run, for changes "
            "written late or in the same second.",
        ),
        th.Property(
            "use_bulk",
            th.BooleanType,
            default=False,
            title="Use Bulk Operations",
            description=(
                "Read each stream with one `bulkOperationRunQuery` (JSONL download) instead "
                "of paged queries. Same records either way."
            ),
        ),
        settings.reconcile(
            "Read inventory items and levels in full (no `updated_at` filter) and mark them "
            "as full snapshots in `sync_runs`, so rows that vanished at the source can be "
            "removed downstream.",
        ),
        th.Property(
            "api_url",
            th.StringType,
            title="API URL",
            description=(
                "Base URL replacing `https://{store}.myshopify.com`, e.g. the sandbox's "
                "`http://127.0.0.1:PORT/stores/{store}`."
            ),
        ),
        settings.request_timeout(),
        settings.max_retries(
            "Retries of a failed request (5xx, timeout, reset, non-JSON answer) with "
            "exponential backoff. Throttling waits do not count.",
        ),
        settings.max_retry_seconds(),
    ).to_dict()

    store_setting = "store"
    connection_check = ShopifyConnectionTest

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Start a run: one start time and one cost governor shared by all streams."""
        self.governor = CostGovernor()
        super().__init__(*args, **kwargs)
        self.governor._logger = self.logger  # noqa: SLF001

    def config_errors(self) -> list[str]:
        """`api_version` must be one Shopify has (`YYYY-MM` of a real month, or `unstable`): Shopify answers an
        impossible one with a 404 that looks like a wrong store."""
        version = str(self.config.get("api_version", "2026-10"))
        if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])|unstable", version):
            return []
        return [f"api_version {version!r} is not a Shopify API version: "
                "YYYY-MM of a release, e.g. 2026-10, or unstable"]

    @property
    def store_id(self) -> str:
        """The shop name (`store`)."""
        return t.cast("str", self.config["store"])

    def discover_streams(self) -> list[Stream]:
        """The four streams (`sync_runs` syncs last: see the kit's `SyncRunsStream`)."""
        return [
            LocationsStream(self),
            InventoryItemsStream(self),
            InventoryLevelsStream(self),
            SyncRunsStream(self, store_id_description="Shopify shop name."),
        ]


if __name__ == "__main__":
    TapShopifyInventory.cli()
