"""The __Channel__ tap: settings, streams and the words of its errors. The run, bookmarks and retries are the kit's.

The API (the template's REST shape, as the sandbox `inventory_sandbox.__channel__` serves it):
`GET {api_url}/locations`, `GET {api_url}/inventory_items?updated_since=...`, `GET {api_url}/inventory_levels`,
each `{"<stream>": [...]}`, with `Authorization: Bearer <access_token>`; 429 carries `Retry-After`.
"""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from singer_inventory_kit import InventoryStream, InventoryTap, SyncRunsStream, ThrottledError
from singer_inventory_kit import settings as kit_settings
from singer_sdk import typing as th
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

TIMESTAMP = th.DateTimeType


class __Channel__Stream(InventoryStream):
    """What the __Channel__ streams share: the URL, the token, the answers that are errors."""

    throttled_by = "Rate limited by __Channel__"

    @property
    def url_base(self) -> str:
        """The configured API URL."""
        return str(self.config["api_url"]).rstrip("/")

    @property
    def http_headers(self) -> dict:
        """The access token."""
        return {**super().http_headers, "Authorization": f"Bearer {self.config['access_token']}"}

    @property
    def records_jsonpath(self) -> str:  # type: ignore[override]
        return f"$.{self.name}[*]"

    def validate_response(self, response: requests.Response) -> None:
        """401/403 fatal, 429 waited out, 5xx retried."""
        status = response.status_code
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            msg = f"__Channel__ refused access_token (HTTP {status}) for store {self.store_id}"
            raise FatalAPIError(msg)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            raise ThrottledError("HTTP 429", response, float(response.headers.get("Retry-After", "1")))
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(f"__Channel__ answered HTTP {status}", response)
        if status >= HTTPStatus.BAD_REQUEST:
            raise FatalAPIError(f"__Channel__ answered HTTP {status} for {response.request.url}")


class LocationsStream(__Channel__Stream):
    """Every location, a full snapshot each run."""

    name = "locations"
    path = "/locations"
    primary_keys = ("store_id", "location_id")
    replication_key = None
    schema = th.PropertiesList(
        th.Property("store_id", th.StringType, required=True),
        th.Property("location_id", th.StringType, required=True),
        th.Property("name", th.StringType),
        th.Property("is_active", th.BooleanType, required=True),
        th.Property("fulfills_online_orders", th.BooleanType),
        th.Property("updated_at", TIMESTAMP),
        th.Property("synced_at", TIMESTAMP),
    ).to_dict()

    @property
    def is_full_snapshot(self) -> bool:
        return True

    def to_record(self, row: dict) -> dict | None:
        if row.get("id") is None:
            return None
        return {"location_id": str(row["id"]), "name": row.get("name"), "is_active": bool(row.get("active", True)),
                "fulfills_online_orders": row.get("fulfills_online_orders"), "updated_at": row.get("updated_at")}


class InventoryItemsStream(__Channel__Stream):
    """Items (one per SKU), incremental on `updated_at`."""

    name = "inventory_items"
    path = "/inventory_items"
    primary_keys = ("store_id", "inventory_item_id")
    replication_key = "updated_at"
    schema = th.PropertiesList(
        th.Property("store_id", th.StringType, required=True),
        th.Property("inventory_item_id", th.StringType, required=True),
        th.Property("sku", th.StringType),
        th.Property("product_id", th.StringType),
        th.Property("variant_id", th.StringType),
        th.Property("is_tracked", th.BooleanType),
        th.Property("oversell_policy", th.StringType),
        th.Property("unit_cost", th.NumberType),
        th.Property("currency", th.StringType),
        th.Property("updated_at", TIMESTAMP),
        th.Property("synced_at", TIMESTAMP),
    ).to_dict()
    since: str | None = None

    @property
    def is_full_snapshot(self) -> bool:
        return self.since is None

    def read_rows(self, context: Context | None) -> t.Iterable[dict] | None:
        self.since = self.since_window()
        return self.request_records(context)

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:  # noqa: ARG002, ANN401
        return {"updated_since": self.since} if self.since else {}

    def to_record(self, row: dict) -> dict | None:
        if row.get("id") is None:
            return None
        return {"inventory_item_id": str(row["id"]), "sku": row.get("sku"),
                "product_id": None if row.get("product_id") is None else str(row["product_id"]),
                "variant_id": None if row.get("variant_id") is None else str(row["variant_id"]),
                "is_tracked": row.get("tracked"), "oversell_policy": row.get("oversell_policy"),
                "unit_cost": row.get("cost"), "currency": row.get("currency"), "updated_at": row.get("updated_at")}


class InventoryLevelsStream(__Channel__Stream):
    """Stock per item and location, a full snapshot each run."""

    name = "inventory_levels"
    path = "/inventory_levels"
    primary_keys = ("store_id", "inventory_item_id", "location_id")
    replication_key = None
    schema = th.PropertiesList(
        th.Property("store_id", th.StringType, required=True),
        th.Property("inventory_item_id", th.StringType, required=True),
        th.Property("location_id", th.StringType, required=True),
        th.Property("sku", th.StringType),
        th.Property("available", th.IntegerType),
        th.Property("on_hand", th.IntegerType),
        th.Property("committed", th.IntegerType),
        th.Property("reserved", th.IntegerType),
        th.Property("incoming", th.IntegerType),
        th.Property("updated_at", TIMESTAMP),
        th.Property("synced_at", TIMESTAMP),
    ).to_dict()

    @property
    def is_full_snapshot(self) -> bool:
        return True

    def to_record(self, row: dict) -> dict | None:
        if row.get("item_id") is None or row.get("location_id") is None:
            return None
        return {"inventory_item_id": str(row["item_id"]), "location_id": str(row["location_id"]), "sku": row.get("sku"),
                **{k: row.get(k) for k in ("available", "on_hand", "committed", "reserved", "incoming")},
                "updated_at": row.get("updated_at")}


class Tap__Channel__Inventory(InventoryTap):
    """__Channel__ inventory."""

    name = "tap-__channel__-inventory"
    config_jsonschema = th.PropertiesList(
        th.Property("store", th.StringType, required=True, title="Store",
                    description="__Channel__ store name, the value of `store_id` in every record."),
        th.Property("access_token", th.StringType, required=True, secret=True, title="Access Token",
                    description="API access token, sent as `Authorization: Bearer`."),
        th.Property("api_url", th.StringType, required=True, title="API URL",
                    description="Base URL of the store's API, e.g. the sandbox's `http://127.0.0.1:PORT/stores/{store}`."),
        kit_settings.start_date("Earliest `updated_at` to read for inventory items when there is no bookmark yet."),
        kit_settings.lookback("Seconds re-read before the bookmark on each incremental run."),
        kit_settings.reconcile("Read inventory items in full and mark them as a full snapshot in `sync_runs`."),
        kit_settings.request_timeout(),
        kit_settings.max_retries("Retries of a failed request (5xx, timeout, reset) with exponential backoff."),
        kit_settings.max_retry_seconds(),
    ).to_dict()
    store_setting = "store"

    @property
    def store_id(self) -> str:
        """The `store` setting."""
        return str(self.config["store"])

    def discover_streams(self) -> list:
        return [LocationsStream(self), InventoryItemsStream(self), InventoryLevelsStream(self),
                SyncRunsStream(self, store_id_description="__Channel__ store name (the `store` setting).")]


if __name__ == "__main__":
    Tap__Channel__Inventory.cli()
