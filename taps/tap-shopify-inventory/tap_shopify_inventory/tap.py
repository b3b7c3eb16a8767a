"""TapShopifyInventory: settings and the list of streams."""

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

from tap_shopify_inventory.client import CostGovernor, SyncRun, parse_utc
from tap_shopify_inventory.connection import connection_test
from tap_shopify_inventory.streams import (
    InventoryItemsStream,
    InventoryLevelsStream,
    LocationsStream,
    SyncRunsStream,
)

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapShopifyInventory(Tap):
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
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description=(
                "Earliest `updated_at` to read for inventory items and levels when there is "
                "no bookmark yet. Default: everything."
            ),
        ),
        th.Property(
            "api_version",
            th.StringType,
            default="2026-10",
            title="API Version",
            description="Admin API version in the endpoint path.",
        ),
        th.Property(
            "lookback",
            th.IntegerType(minimum=0),
            default=300,
            title="Lookback",
            description=(
                "Seconds re-read before the bookmark on each incremental run, for changes "
                "written late or in the same second."
            ),
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
        th.Property(
            "reconcile",
            th.BooleanType,
            default=False,
            title="Reconcile",
            description=(
                "Read inventory items and levels in full (no `updated_at` filter) and mark them "
                "as full snapshots in `sync_runs`, so rows that vanished at the source can be "
                "removed downstream."
            ),
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
                "Retries of a failed request (5xx, timeout, reset, non-JSON answer) with "
                "exponential backoff. Throttling waits do not count."
            ),
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Start a run: one start time and one cost governor shared by all streams."""
        self.run = SyncRun()
        self.governor = CostGovernor()
        super().__init__(*args, **kwargs)
        self.governor._logger = self.logger  # noqa: SLF001

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The schema's checks, plus: `start_date` must not be in the future."""
        errors = super()._validate_config(raise_errors=raise_errors)
        start_date = self.config.get("start_date")
        if start_date:
            try:
                future = parse_utc(start_date) > dt.datetime.now(dt.timezone.utc)
            except ValueError:
                errors.append(f"start_date {start_date!r} is not an ISO-8601 date-time")
            else:
                if future:
                    errors.append(
                        f"start_date {start_date} is in the future: nothing would be read",
                    )
        api_url = self.config.get("api_url")
        if api_url and not re.match(r"^https?://[^/]+", api_url):
            errors.append(f"api_url {api_url!r} must start with http:// or https:// and a host")
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
        """`--test`: one line per stream (reachable, missing scope, bad token) and exit 1 if any cannot sync.

        `--test=schema` keeps the SDK's behaviour (SCHEMA messages, no request).
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
        """The four streams.

        The SDK syncs streams in name order (`Tap.load_streams` is final), so `sync_runs`
        runs after the streams it reports on; a test guards that.
        """
        return [
            LocationsStream(self),
            InventoryItemsStream(self),
            InventoryLevelsStream(self),
            SyncRunsStream(self),
        ]


if __name__ == "__main__":
    TapShopifyInventory.cli()
