"""TapMagentoInventory: settings and the list of streams."""

from __future__ import annotations

import datetime as dt
import re
import sys
import typing as t

import click
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError
from singer_sdk.tap_base import CliTestOptionValue

from tap_magento_inventory.client import StoreFacts, SyncRun, parse_utc
from tap_magento_inventory.connection import connection_test
from tap_magento_inventory.streams import (
    InventoryItemsStream,
    InventoryLevelsStream,
    LocationsStream,
    SalableQuantitiesStream,
    StockSourceLinksStream,
    StocksStream,
    SyncRunsStream,
)

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

OAUTH_SETTINGS = ("consumer_key", "consumer_secret", "access_token_secret")


class TapMagentoInventory(Tap):
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
            description="Value of `store_id` in every record. Default: the host name of `base_url`.",
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
                "Magento_InventoryApi::source, Magento_InventoryApi::stock (and Magento_InventorySalesApi::stock "
                "for salable quantities)."
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
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description=(
                "Earliest product `updated_at` to read when there is no bookmark yet. Default: everything. "
                "Source items are always read in full."
            ),
        ),
        th.Property(
            "lookback",
            th.IntegerType(minimum=0),
            default=300,
            title="Lookback",
            description=(
                "Seconds re-read before the bookmark on each incremental run, for products written late, in "
                "the same second, or by a server whose clock is behind."
            ),
        ),
        th.Property(
            "reconcile",
            th.BooleanType,
            default=False,
            title="Reconcile",
            description=(
                "Read products in full (no `updated_at` filter) and mark them as a full snapshot in "
                "`sync_runs`, so deleted products can be removed downstream. Source items are full snapshots "
                "on every run anyway."
            ),
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
        th.Property(
            "request_timeout",
            th.IntegerType(minimum=1),
            default=60,
            title="Request Timeout",
            description="Seconds to wait for each HTTP request.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType(minimum=0),
            default=8,
            title="Max Retries",
            description=(
                "Retries of a failed request (429, 5xx, firewall or CDN pages for 429/502/503/504, timeout, "
                "reset) with exponential backoff."
            ),
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Start a run: one start time and one set of store facts shared by all streams."""
        self.run = SyncRun()
        self.facts = StoreFacts()
        super().__init__(*args, **kwargs)

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The schema's checks, plus: start_date not in the future, a usable base_url, OAuth settings complete."""
        errors = super()._validate_config(raise_errors=raise_errors)
        start_date = self.config.get("start_date")
        if start_date:
            try:
                future = parse_utc(start_date) > dt.datetime.now(dt.timezone.utc)
            except ValueError:
                errors.append(f"start_date {start_date!r} is not an ISO-8601 date-time")
            else:
                if future:
                    errors.append(f"start_date {start_date} is in the future: nothing would be read")
        base_url = self.config.get("base_url")
        if base_url and not re.match(r"^https?://[^/]+", base_url):
            errors.append(f"base_url {base_url!r} must start with http:// or https:// and a host")
        if base_url and re.search(r"/rest(/|$)", base_url):
            errors.append(f"base_url {base_url!r} must stop before /rest/ (the tap adds /rest/{{store_code}}/V1)")
        if self.config.get("auth_method") == "oauth1":
            missing = [name for name in OAUTH_SETTINGS if not self.config.get(name)]
            if missing:
                errors.append(f"auth_method oauth1 needs {', '.join(missing)}")
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        return errors

    @classmethod
    def invoke(cls, **kwargs: t.Any) -> None:  # type: ignore[override]
        """Run the sync. An API error the tap has already put into words (token refused, store not found,
        retries used up, ...) ends the run with that one line and exit 1 instead of a traceback; any other
        exception keeps its traceback, since it is a bug to report."""
        try:
            super().invoke(**kwargs)
        except (FatalAPIError, RetriableAPIError) as exc:
            cls.logger.error("%s", exc)  # noqa: TRY400 - one line, no traceback
            sys.exit(1)

    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: one line per stream (reachable, missing ACL resource, bad credentials) and exit 1 if any
        cannot sync. `--test=schema` keeps the SDK's behaviour (SCHEMA messages, no request).
        """
        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        config = ctx.params.get("config")
        try:
            tap = cls(config=getattr(config, "config", None), parse_env_config=getattr(config, "parse_env", False),
                      validate_config=True)
        except ConfigValidationError as exc:
            for error in exc.errors:
                cls.logger.error("Config validation error: %s", error)  # noqa: TRY400 - one line, no traceback
            ctx.exit(1)
        ctx.exit(0 if connection_test(tap) else 1)

    def discover_streams(self) -> list[Stream]:
        """The contract streams, the MSI extras and sync_runs.

        The SDK syncs streams in name order (`Tap.load_streams` is final), so `sync_runs`
        runs after the streams it reports on; a test guards that.
        """
        return [
            LocationsStream(self),
            StocksStream(self),
            StockSourceLinksStream(self),
            InventoryItemsStream(self),
            InventoryLevelsStream(self),
            SalableQuantitiesStream(self),
            SyncRunsStream(self),
        ]


if __name__ == "__main__":
    TapMagentoInventory.cli()
