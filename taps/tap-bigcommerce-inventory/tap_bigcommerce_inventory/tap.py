"""TapBigCommerceInventory: settings and the list of streams."""

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

from tap_bigcommerce_inventory.client import QuotaPacer, SyncRun, parse_utc
from tap_bigcommerce_inventory.connection import connection_test
from tap_bigcommerce_inventory.streams import (
    InventoryItemsStream,
    InventoryLevelsStream,
    LocationsStream,
    SyncRunsStream,
)

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class TapBigCommerceInventory(Tap):
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
                "(store_v2_products_read_only), Inventory (store_inventory_read_only) and Locations "
                "(store_locations_read_only)."
            ),
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description=(
                "Earliest product `date_modified` to read for inventory items when there is no bookmark yet. "
                "Default: everything. Inventory levels and locations are always read in full."
            ),
        ),
        th.Property(
            "lookback",
            th.IntegerType(minimum=0),
            default=300,
            title="Lookback",
            description=(
                "Seconds re-read before the bookmark on each incremental run, for changes written late or in "
                "the same second."
            ),
        ),
        th.Property(
            "reconcile",
            th.BooleanType,
            default=False,
            title="Reconcile",
            description=(
                "Read inventory items in full (no `date_modified:min` filter) and mark them as a full snapshot "
                "in `sync_runs`, so variants deleted at the source are removed downstream. Levels and locations "
                "are full snapshots on every run."
            ),
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
                "Retries of a failed request (5xx, timeout, reset, non-JSON answer) with exponential backoff. "
                "Rate-limit (429) waits do not count."
            ),
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Start a run: one start time and one quota pacer shared by all streams."""
        self.run = SyncRun()
        self.pacer = QuotaPacer()
        super().__init__(*args, **kwargs)
        self.pacer.logger = self.logger

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The schema's checks, plus: `start_date` not in the future, `api_url` an http(s) URL."""
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
    TapBigCommerceInventory.cli()
