"""A tap on the kit with one API stream, for the kit's tests: the smallest platform there is.

`GET {api_url}/items?since=...` answers `{"items": [{"id", "updated_at", "qty"}]}`; a 429 carries `Retry-After`.
"""

from __future__ import annotations

import re
import typing as t
from http import HTTPStatus

from singer_sdk import typing as th
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from singer_inventory_kit import ConnectionTest, InventoryStream, InventoryTap, Outcome, SyncRunsStream, ThrottledError

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

API = "https://api.example.test/v1"


class ItemsStream(InventoryStream):
    """Items, incremental on `updated_at` (`since` = the kit's since-window)."""

    name = "items"
    path = "/items"
    primary_keys = ("store_id", "id")
    replication_key = "updated_at"
    records_jsonpath = "$.items[*]"
    schema = th.PropertiesList(
        th.Property("store_id", th.StringType),
        th.Property("id", th.StringType),
        th.Property("updated_at", th.DateTimeType),
        th.Property("qty", th.IntegerType),
        th.Property("synced_at", th.DateTimeType),
    ).to_dict()
    throttled_by = "Rate limited by Demo"
    since: str | None = None

    @property
    def url_base(self) -> str:
        """The configured API URL."""
        return str(self.config.get("api_url", API))

    @property
    def is_full_snapshot(self) -> bool:
        """A read without `since` is every item there is."""
        return self.since is None

    def read_rows(self, context: Context | None) -> t.Iterable[dict] | None:
        """The items since the window's start."""
        self.since = self.since_window()
        return self.request_records(context)

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:  # noqa: ARG002, ANN401
        """`since` when incremental."""
        return {"since": self.since} if self.since else {}

    def to_record(self, row: dict) -> dict | None:
        """An item; one without an id is dropped."""
        if row.get("id") is None:
            return None
        return {"id": str(row["id"]), "updated_at": row.get("updated_at"), "qty": row.get("qty")}

    def validate_response(self, response: requests.Response) -> None:
        """401 fatal, 429 waited out, 5xx retried."""
        status = response.status_code
        if status == HTTPStatus.UNAUTHORIZED:
            msg = f"Demo rejected the token (HTTP 401) for store {self.store_id}: missing scope read_items (x)"
            raise FatalAPIError(msg)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            raise ThrottledError("HTTP 429", response, float(response.headers.get("Retry-After", "1")))
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(f"Demo answered HTTP {status}", response)


class DemoConnectionTest(ConnectionTest):
    """Outcomes of the demo's errors."""

    outcomes = (
        Outcome("missing scope", re.compile(r"missing scope (?P<scope>[\w, ]+?) \("), "grant it"),
        Outcome("unreachable", re.compile(r"could not get an answer"), "check api_url"),
    )


class DemoTap(InventoryTap):
    """The demo platform's tap."""

    name = "tap-demo"
    connection_check = DemoConnectionTest
    config_jsonschema = th.PropertiesList(
        th.Property("store", th.StringType, required=True),
        th.Property("api_url", th.StringType),
        th.Property("start_date", th.DateTimeType),
        th.Property("lookback", th.IntegerType, default=300),
        th.Property("reconcile", th.BooleanType, default=False),
        th.Property("max_retries", th.IntegerType, default=8),
        th.Property("max_retry_seconds", th.IntegerType, default=15),
        th.Property("request_timeout", th.IntegerType, default=60),
    ).to_dict()
    store_setting = "store"

    @property
    def store_id(self) -> str:
        """The `store` setting."""
        return str(self.config["store"])

    def config_errors(self) -> list[str]:
        """Stores are lower case on this platform."""
        store = self.config.get("store") or ""
        return [f"store {store!r} must be lower case"] if store != store.lower() else []

    def discover_streams(self) -> list:
        """Items and sync_runs."""
        return [ItemsStream(self), SyncRunsStream(self, store_id_description="Demo store name.")]


def config(**overrides: t.Any) -> dict:  # noqa: ANN401
    """A config for the demo store."""
    return {"store": "shop", "api_url": API, "max_retries": 2, **overrides}


def items(*rows: dict) -> dict:
    """An answer of the items endpoint."""
    return {"items": list(rows)}
