"""TapMagentoInventory: settings and the list of streams."""

from __future__ import annotations

import re
import typing as t
from urllib.parse import urlsplit

from singer_inventory_kit import InventoryTap, SyncRunsStream, settings
from singer_sdk import typing as th

from tap_magento_inventory.connection import MagentoConnectionTest
from tap_magento_inventory.lookups import CatalogLookups
from tap_magento_inventory.streams import (
    InventoryItemsStream,
    InventoryLevelsStream,
    LocationsStream,
    SalableQuantitiesStream,
    StockSourceLinksStream,
    StocksStream,
)

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

    from tap_magento_inventory.client import MagentoStream

OAUTH_SETTINGS = ("consumer_key", "consumer_secret", "access_token_secret")


class TapMagentoInventory(InventoryTap):
    """Singer tap for Magento 2 / Adobe Commerce inventory over the REST API."""

    name = "tap-magento-inventory"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "base_url",
            th.StringType(min_length=1),
            required=True,
            title="Base URL",
            description=(
                "Store URL in front of `/rest/`, e.g. `https://shop.example.com` (the tap calls "
                "`{base_url}/rest/{store_code}/V1/...`)."
            ),
        ),
        th.Property(
            "store_code",
            th.StringType(min_length=1),
            default="default",
            title="Store Code",
            description="Store view code in the REST path (`default`, or `all` for global scope).",
        ),
        th.Property(
            "store_id",
            th.StringType(min_length=1),
            title="Store ID",
            description=(
                "Value of `store_id` in every record. Default: the host name of the store view's own secure "
                "base URL (`secure_base_url` of `/V1/store/storeConfigs`, e.g. `shop.example.com`), which "
                "stays the same whichever address `base_url` reaches the store by; the host of `base_url` when "
                "the store view has none."
            ),
        ),
        th.Property(
            "auth_method",
            th.StringType(allowed_values=["bearer", "oauth1"]),
            default="bearer",
            title="Auth Method",
            description=(
                "`bearer`: the integration access token as `Authorization: Bearer` (Magento 2.4.4+ needs "
                "'Allow OAuth Access Tokens to be used as standalone Bearer tokens'). `oauth1`: sign every "
                "request with OAuth 1.0a (consumer key/secret plus access token/secret)."
            ),
        ),
        th.Property(
            "access_token",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            title="Access Token",
            description=(
                "Integration access token (System > Extensions > Integrations). Needs the ACL resources "
                "Magento_Catalog::products, Magento_CatalogInventory::cataloginventory, "
                "Magento_InventoryApi::source, Magento_InventoryApi::stock, Magento_Backend::store (Stores > "
                "Settings > All Stores: the store view's currency and address) and Magento_InventorySalesApi::stock "
                "for salable quantities."
            ),
        ),
        th.Property(
            "consumer_key",
            th.StringType,
            secret=True,
            title="Consumer Key",
            description="Integration consumer key (auth_method oauth1).",
        ),
        th.Property(
            "consumer_secret",
            th.StringType,
            secret=True,
            title="Consumer Secret",
            description="Integration consumer secret (auth_method oauth1).",
        ),
        th.Property(
            "access_token_secret",
            th.StringType,
            secret=True,
            title="Access Token Secret",
            description="Integration access token secret (auth_method oauth1).",
        ),
        th.Property(
            "oauth_signature_method",
            th.StringType(allowed_values=["HMAC-SHA256", "HMAC-SHA1"]),
            default="HMAC-SHA256",
            title="OAuth Signature Method",
            description="OAuth 1.0a signature method (Magento 2.4 uses HMAC-SHA256; older stores HMAC-SHA1).",
        ),
        settings.start_date(
            "Earliest product `updated_at` to read when there is no bookmark yet. Default: everything. "
            "Source items are always read in full.",
        ),
        settings.lookback(
            "Seconds re-read before the bookmark on each incremental run, for products written late, in "
            "the same second, or by a server whose clock is behind.",
        ),
        settings.reconcile(
            "Read products in full (no `updated_at` filter) and mark them as a full snapshot in "
            "`sync_runs`, so deleted products can be removed downstream. Source items are full snapshots "
            "on every run anyway.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=10000),
            default=100,
            title="Page Size",
            description=(
                "`searchCriteria[pageSize]` of every list request (stores that enforce input limits allow at most 300)."
            ),
        ),
        th.Property(
            "include_salable_quantity",
            th.BooleanType,
            default=False,
            title="Include Salable Quantity",
            description=(
                "Emit `salable_quantities`: one get-product-salable-quantity call per simple SKU and stock "
                "(slow on big catalogs). Composite products are skipped."
            ),
        ),
        th.Property(
            "salable_quantity_concurrency",
            th.IntegerType(minimum=1, maximum=32),
            default=4,
            title="Salable Quantity Concurrency",
            description="Parallel get-product-salable-quantity calls when include_salable_quantity is on.",
        ),
        settings.request_timeout(),
        settings.max_retries(
            "Retries of a failed request (429, 5xx, firewall or CDN pages for 429/502/503/504, timeout, "
            "reset) with exponential backoff.",
        ),
        settings.max_retry_seconds(),
    ).to_dict()

    url_setting = "base_url"
    connection_check = MagentoConnectionTest

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Start a run: one start time, and the catalog lookups its streams share."""
        self.lookups = CatalogLookups(levels_selected=lambda: self.streams["inventory_levels"].selected)
        self._default_store_id: str | None = None
        super().__init__(*args, **kwargs)

    @property
    def store_id(self) -> str:
        """`store_id` setting, else the host of the store view's secure base URL (read once), else of `base_url`."""
        explicit = self.config.get("store_id")
        if explicit:
            return t.cast("str", explicit)
        if self._default_store_id is None:
            host = t.cast("MagentoStream", self.streams["locations"]).store_view().host
            self._default_store_id = host or self.base_host
            self.logger.info(
                "store_id not set: records carry %s",
                f"{host}, the host of the store view's secure base URL" if host
                else f"{self.base_host}, the host of base_url (the store view has no secure base URL)",
            )
        return self._default_store_id

    @property
    def store_label(self) -> str:
        """How messages name the store without a request: `store_id` when known, else the host of `base_url`."""
        explicit = self.config.get("store_id")
        view = self.lookups.view
        return t.cast("str", explicit or (view.host if view else None) or self.base_host)

    @property
    def base_host(self) -> str:
        """The host of the `base_url` setting."""
        return urlsplit(self.config["base_url"]).hostname or "magento"

    def config_errors(self) -> list[str]:
        """`base_url` must stop before /rest/; auth_method oauth1 needs its three settings."""
        errors = []
        base_url = self.config.get("base_url")
        if base_url and re.search(r"/rest(/|$)", base_url):
            errors.append(f"base_url {base_url!r} must stop before /rest/ (the tap adds /rest/{{store_code}}/V1)")
        if self.config.get("auth_method") == "oauth1":
            missing = [name for name in OAUTH_SETTINGS if not self.config.get(name)]
            if missing:
                errors.append(f"auth_method oauth1 needs {', '.join(missing)}")
        return errors

    def discover_streams(self) -> list[Stream]:
        """The contract streams, the MSI extras and sync_runs (last: see the kit's `SyncRunsStream`).

        Every stream gets the run's catalog lookups; none relies on another having synced before it.
        """
        lookups = self.lookups
        return [
            LocationsStream(self, lookups),
            StocksStream(self, lookups),
            StockSourceLinksStream(self, lookups),
            InventoryItemsStream(self, lookups),
            InventoryLevelsStream(self, lookups),
            SalableQuantitiesStream(self, lookups),
            SyncRunsStream(
                self,
                store_id_description=(
                    "Store identifier (setting store_id; default: the host of the store view's secure base URL)."
                ),
            ),
        ]


if __name__ == "__main__":
    TapMagentoInventory.cli()
