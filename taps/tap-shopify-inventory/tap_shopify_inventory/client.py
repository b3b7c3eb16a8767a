"""Shopify GraphQL Admin API client: the base stream, cost-aware pacing and error handling.

Everything about *how* the tap talks to Shopify lives here; `streams.py` only declares
*what* to fetch. The pieces:

- `CostGovernor`: one per tap run. Models Shopify's leaky bucket from `extensions.cost`,
  waits before a request until the bucket holds what that query shape last cost, and sizes
  pages from the reported costs so every query stays under the single-query cap.
- `ShopifyInventoryStream`: a `GraphQLStream` that builds its paged query (and its bulk
  query) from a few class attributes, retries through the SDK's backoff hooks and turns
  Shopify's `errors` into one clear line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import re
import threading
import time
import typing as t
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

import backoff
import requests
from singer_sdk import SchemaDirectory, StreamSchema, metrics
from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.jsonpath import extract_jsonpath
from singer_sdk.pagination import JSONPathPaginator
from singer_sdk.streams import GraphQLStream

from tap_shopify_inventory import schemas

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(schemas)

#: The eight named quantities of an inventory level.
QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "reserved",
    "incoming",
    "damaged",
    "quality_control",
    "safety_stock",
)

#: Arguments that make `locations` return deactivated and fulfillment-app locations too.
ALL_LOCATIONS_ARGS = "includeInactive: true, includeLegacy: true"

MAX_PAGE_SIZE = 250
THROTTLE_MAX_TRIES = 500
SINGLE_QUERY_MAX_COST = 1000.0


# --------------------------------------------------------------------------- helpers


def gid_tail(gid: str | None) -> str | None:
    """`gid://shopify/Location/12` -> `"12"` (query string of level GIDs dropped)."""
    if not gid:
        return None
    return gid.rsplit("/", 1)[-1].split("?", 1)[0]


def parse_utc(value: str | dt.datetime) -> dt.datetime:
    """Parse an ISO-8601 timestamp; naive values are taken as UTC."""
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


_UTC_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def utc_z(value: str | dt.datetime | None) -> str | None:
    """Normalize a timestamp to `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).

    One format for record values, bookmarks and the signpost, so that the SDK's string
    comparisons of replication values order them correctly. Shopify already sends that
    form: such a value is only checked (a real date and time) and returned as it is,
    which saves a `strftime` per record.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str) and _UTC_Z.fullmatch(value):
        dt.datetime.fromisoformat(value[:-1])  # raises ValueError for a date that does not exist
        return value
    return parse_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


_NOT_DECODED = object()


def decoded_json(response: requests.Response) -> t.Any:  # noqa: ANN401
    """`response.json()`, decoded once per response and kept on it.

    Checking the answer, paging and reading the records all need the body; decoding a
    250-node page four times was a tenth of the tap's CPU time. Numbers are decoded
    as `response.json()` does (floats as `float`): the nodes the streams read carry
    Shopify's `Int`s and its `Decimal`s, which are strings. Raises `ValueError` for a
    body that is not JSON, as `response.json()` does.
    """
    body = getattr(response, "_decoded_json", _NOT_DECODED)
    if body is _NOT_DECODED:
        body = response.json()
        response._decoded_json = body  # type: ignore[attr-defined]  # noqa: SLF001
    return body


@dataclass
class SyncRun:
    """What one tap run shares between its streams."""

    started_at: dt.datetime = field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc),
    )
    completed: list[dict[str, t.Any]] = field(default_factory=list)

    @functools.cached_property
    def synced_at(self) -> str:
        """The run's start as written to every record's `synced_at` (formatted once per run)."""
        return self.started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @property
    def signpost(self) -> str:
        """The run's start, truncated to the second: no bookmark may pass it."""
        return t.cast("str", utc_z(self.started_at))

    def mark_completed(self, stream_name: str, *, is_full_snapshot: bool) -> None:
        """Record that a stream emitted all its rows in this run."""
        self.completed.append(
            {
                "run_started_at": self.synced_at,
                "stream_name": stream_name,
                "is_full_snapshot": is_full_snapshot,
                "finished_at": dt.datetime.now(dt.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%S.%fZ",
                ),
            },
        )


# --------------------------------------------------------------------------- pacing


@dataclass
class _Bucket:
    maximum: float
    available: float
    restore_rate: float
    observed_at: float


class CostGovernor:
    """Paces requests against Shopify's leaky bucket and sizes pages from reported costs.

    The model: every answer reports `throttleStatus {maximumAvailable currentlyAvailable
    restoreRate}`; between answers the bucket refills at `restoreRate` points per second,
    capped at `maximumAvailable`. Before a request we wait until the bucket holds the
    `requestedQueryCost` last reported for that query shape (query text + page size); for
    a shape never seen we wait for the single-query cap, the most any query may cost.

    Page size per query shape starts at 250. When a query's reported requested cost is
    above `min(1000, maximumAvailable)` (the most one query may request and still be
    served), the page shrinks from the reported costs and the query is retried (see
    `resize`). No cost formula is assumed, only that cost grows with the page size.
    """

    def __init__(
        self,
        *,
        clock: t.Callable[[], float] | None = None,
        sleep: t.Callable[[float], None] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        """Create a governor with an unknown bucket (clock and sleep injectable for tests)."""
        self._clock = clock or (lambda: time.monotonic())
        self._sleep = sleep or (lambda seconds: time.sleep(seconds))
        self._logger = logger or logging.getLogger("tap-shopify-inventory")
        self._lock = threading.Lock()
        self._bucket: _Bucket | None = None
        self._costs: dict[tuple[str, int], float] = {}
        self._page: dict[str, int] = {}
        self._seen: dict[str, dict[int, float]] = {}
        self.waited_seconds = 0.0

    # -- bucket

    @property
    def cap(self) -> float:
        """Largest requested cost a single query may have and still be served."""
        if self._bucket is None:
            return SINGLE_QUERY_MAX_COST
        return min(SINGLE_QUERY_MAX_COST, self._bucket.maximum)

    def available_now(self) -> float | None:
        """Points the bucket holds now according to the model (None if never observed)."""
        bucket = self._bucket
        if bucket is None:
            return None
        elapsed = max(0.0, self._clock() - bucket.observed_at)
        return min(bucket.maximum, bucket.available + bucket.restore_rate * elapsed)

    def observe(self, shape: str, first: int | None, cost: dict | None) -> None:
        """Update the model from an answer's `extensions.cost`."""
        if not isinstance(cost, dict):
            return
        status = cost.get("throttleStatus") or {}
        with contextlib.suppress(KeyError, TypeError, ValueError):
            self._bucket = _Bucket(
                maximum=float(status["maximumAvailable"]),
                available=float(status["currentlyAvailable"]),
                restore_rate=float(status["restoreRate"]),
                observed_at=self._clock(),
            )
        requested = cost.get("requestedQueryCost")
        if isinstance(requested, (int, float)):
            self._costs[shape, first or 0] = float(requested)

    def expected_cost(self, shape: str, first: int | None) -> float | None:
        """What a request of this shape is expected to request (an upper bound)."""
        size = first or 0
        if (shape, size) in self._costs:
            return self._costs[shape, size]
        # Cost grows with the page size: a larger page's cost bounds a smaller one's.
        bounds = [c for (s, n), c in self._costs.items() if s == shape and n >= size]
        if bounds:
            return min(bounds)
        return self.cap if self._bucket is not None else None

    def wait_before(self, shape: str, first: int | None) -> float:
        """Sleep until the bucket holds the expected cost of this request."""
        with self._lock:
            needed = self.expected_cost(shape, first)
            available = self.available_now()
            if needed is None or available is None or self._bucket is None:
                return 0.0
            needed = min(needed, self._bucket.maximum)
            if available >= needed or self._bucket.restore_rate <= 0:
                return 0.0
            delay = (needed - available) / self._bucket.restore_rate
            self._logger.debug(
                "Pacing: waiting %.2fs for %.0f cost points (bucket holds %.0f)",
                delay,
                needed,
                available,
            )
            self._sleep(delay)
            self.waited_seconds += delay
            return delay

    @staticmethod
    def throttle_wait(cost: dict | None, default: float = 1.0) -> float:
        """Seconds until the bucket holds the requested cost: (requested - available) / rate."""
        if not isinstance(cost, dict):
            return default
        status = cost.get("throttleStatus") or {}
        try:
            requested = float(cost["requestedQueryCost"])
            available = float(status["currentlyAvailable"])
            rate = float(status["restoreRate"])
        except (KeyError, TypeError, ValueError):
            return default
        if rate <= 0:
            return default
        return max(0.0, (requested - available) / rate)

    # -- page size

    def page_size(self, shape: str) -> int:
        """Current page size for a query shape."""
        return self._page.get(shape, MAX_PAGE_SIZE)

    def resize(
        self,
        shape: str,
        first: int,
        requested: float,
        cap: float | None = None,
    ) -> bool:
        """Choose the next page size after an answer that requested `requested` at `first`.

        Sizes seen to fit (cost <= cap) and to be too expensive bracket the best size.
        With only too-expensive sizes seen, the next guess is proportional to the reported
        cost, less 2% for the fixed part of a query's cost. With both, it is interpolated
        between the largest size that fits and the smallest that does not (exact when
        cost grows linearly with the page). Each guess narrows the bracket, so the size
        settles on the largest page under the cap after a few refused (uncharged) tries.

        Returns:
            True when the page was too expensive and should be retried smaller.
        """
        if requested <= 0:
            return False
        cap = min(cap or self.cap, self.cap)
        seen = self._seen.setdefault(shape, {})
        seen[first] = requested
        over = {n: c for n, c in seen.items() if c > cap}
        if not over:
            return False
        hi = min(over)
        fits = {n: c for n, c in seen.items() if c <= cap and n < hi}
        if fits:
            lo = max(fits)
            step = (over[hi] - fits[lo]) / (hi - lo)
            size = lo + int((cap - fits[lo]) / step) if step > 0 else lo
            size = max(lo, min(size, hi - 1))
        else:
            size = max(1, min(int(hi * cap / over[hi] * 0.98), hi - 1))
        too_costly = requested > cap
        if too_costly and (first <= 1 or size >= first):
            return False
        if size != self.page_size(shape):
            self._logger.info(
                "Query cost %.0f at page size %d (cap %.0f): next page size %d",
                requested,
                first,
                cap,
                size,
            )
            self._page[shape] = size
        return too_costly


# --------------------------------------------------------------------------- errors


class ThrottledError(RetriableAPIError):
    """Shopify asked us to slow down; retried after `wait` seconds, never counted."""

    def __init__(self, message: str, response: requests.Response, wait: float) -> None:
        """Carry the wait the server told us about."""
        super().__init__(message, response)
        self.wait = wait


class PageTooCostlyError(ThrottledError):
    """The page was too expensive; retried at once with the smaller page size."""


# --------------------------------------------------------------------------- progress


class SyncProgress(metrics.Counter):
    """The SDK's record counter (its METRIC lines unchanged), plus lines a person can follow.

    Every `every` seconds: `Progress of inventory_levels: 12,000 records, 24 pages, 2 rate-limit waits (31.0s),
    41.2s, 291 records/s`; when the stream ends, one `Synced inventory_levels: ...` line with the totals (or
    `Stopped inventory_levels by an error: ...`). The stream reports pages and rate-limit waits.
    """

    every: float = 30.0

    def __init__(
        self,
        stream: str,
        logger: logging.Logger,
        log_interval: float = metrics.DEFAULT_LOG_INTERVAL,
        clock: t.Callable[[], float] = time.monotonic,
    ) -> None:
        """Count for `stream`, logging to `logger` (clock injectable for tests)."""
        super().__init__(metrics.Metric.RECORD_COUNT, {metrics.Tag.STREAM: stream}, log_interval=log_interval)
        self.stream = stream
        self._logger = logger
        self._clock = clock
        self.records = self.pages = self.waits = 0
        self.wait_seconds = 0.0
        self.started = self._said = clock()

    def increment(self, value: int = 1) -> None:
        """One more record; a progress line when `every` seconds have passed since the last."""
        super().increment(value)
        self.records += value
        if self._clock() - self._said >= self.every:
            self._said = self._clock()
            self._logger.info("Progress of %s: %s", self.stream, self.figures())

    def page(self) -> None:
        """One more page (an answered request)."""
        self.pages += 1

    def waited(self, seconds: float) -> None:
        """One more wait for the platform's rate limit."""
        self.waits += 1
        self.wait_seconds += seconds

    def figures(self) -> str:
        """Records, pages, rate-limit waits, time and rate so far."""
        elapsed = self._clock() - self.started
        rate = f", {self.records / elapsed:,.0f} records/s" if elapsed > 0 else ""
        return (
            f"{self.records:,} records, {self.pages:,} pages, {self.waits} rate-limit waits "
            f"({self.wait_seconds:.1f}s), {elapsed:.1f}s{rate}"
        )

    def __exit__(self, exc_type: type[BaseException] | None, *rest: t.Any) -> None:  # noqa: ANN401
        """The SDK's last METRIC line, then the stream's summary line."""
        super().__exit__(exc_type, *rest)
        if exc_type is None:
            self._logger.info("Synced %s: %s", self.stream, self.figures())
        else:
            self._logger.info("Stopped %s by an error: %s", self.stream, self.figures())


class CursorPaginator(JSONPathPaginator):
    """Relay cursor pagination over `pageInfo {hasNextPage endCursor}`."""

    def __init__(self, page_info_path: str) -> None:
        """Follow `endCursor` while `hasNextPage` is true."""
        super().__init__(f"{page_info_path}.endCursor")
        self._has_next_path = f"{page_info_path}.hasNextPage"

    def has_more(self, response: requests.Response) -> bool:
        """Stop when Shopify says there is no next page."""
        return bool(next(extract_jsonpath(self._has_next_path, decoded_json(response)), False))

    def get_next(self, response: requests.Response) -> str | None:
        """`endCursor` of the page (from the body decoded once)."""
        return next(extract_jsonpath(self._jsonpath, decoded_json(response)), None)


# --------------------------------------------------------------------------- streams


class ShopifyInventoryStream(GraphQLStream):
    """Base stream for the Shopify GraphQL Admin API.

    A concrete stream declares the connection it reads and the fields of one node; the
    paged query, the bulk query, variables, pagination and bookmarks follow from that.
    """

    #: Connection field read by the stream (`locations`, `inventoryItems`, ...).
    connection: t.ClassVar[str] = ""
    #: Fixed arguments of that connection, e.g. `includeInactive: true`.
    connection_args: t.ClassVar[str] = ""
    #: GraphQL selection of one node.
    node_fields: t.ClassVar[str] = ""
    #: Read `connection` under `location(id:)` for every location (all of them).
    per_location: t.ClassVar[bool] = False
    #: Send `query: "updated_at:>='...'"` from the bookmark, unless `reconcile` is on.
    filter_by_updated_at: t.ClassVar[bool] = False
    #: Always a full snapshot (sync_runs.is_full_snapshot), whatever `reconcile` says.
    always_full_snapshot: t.ClassVar[bool] = False
    #: Access scopes the stream needs, named when Shopify denies access.
    required_scopes: t.ClassVar[tuple[str, ...]] = ("read_inventory",)

    #: Progress of the current sync (records, pages, rate-limit waits); None outside a sync.
    progress: SyncProgress | None = None

    schema = StreamSchema(SCHEMAS)
    path = "/graphql.json"
    is_sorted = False  # Shopify orders by id, not by updated_at
    _since: str | None = None

    # -- configuration

    @property
    def store(self) -> str:
        """Shop name."""
        return t.cast("str", self.config["store"])

    @property
    def api_root(self) -> str:
        """`https://{store}.myshopify.com`, or the configured override."""
        override = self.config.get("api_url")
        return (override or f"https://{self.store}.myshopify.com").rstrip("/")

    @property
    def url_base(self) -> str:
        """`{api_url}/admin/api/{api_version}`."""
        return f"{self.api_root}/admin/api/{self.config.get('api_version', '2026-10')}"

    @property
    def endpoint(self) -> str:
        """The GraphQL endpoint (no secrets in it, safe to log)."""
        return f"{self.url_base}{self.path}"

    @property
    def authenticator(self) -> APIKeyAuthenticator:
        """Token in the `X-Shopify-Access-Token` header."""
        return APIKeyAuthenticator(
            key="X-Shopify-Access-Token",
            value=self.config["access_token"],
            location="header",
        )

    @property
    def http_headers(self) -> dict:
        """JSON in, JSON out."""
        return {"Content-Type": "application/json", "Accept": "application/json"}

    @property
    def timeout(self) -> int:
        """`request_timeout` setting."""
        return int(self.config.get("request_timeout", 60))

    @property
    def run(self) -> SyncRun:
        """State shared by all streams of this tap run."""
        return t.cast("SyncRun", self._tap.run)  # type: ignore[attr-defined]

    @property
    def governor(self) -> CostGovernor:
        """The run's cost governor (one bucket per store and app)."""
        return t.cast("CostGovernor", self._tap.governor)  # type: ignore[attr-defined]

    @property
    def is_full_snapshot(self) -> bool:
        """Whether this run emits every row of the stream that exists at the source."""
        return self.always_full_snapshot or bool(self.config.get("reconcile"))

    # -- queries

    @property
    def connection_path(self) -> str:
        """Where the connection sits in `data`."""
        return f"location.{self.connection}" if self.per_location else self.connection

    @property
    def records_jsonpath(self) -> str:
        """Nodes of the connection."""
        return f"$.data.{self.connection_path}.nodes[*]"

    @property
    def query(self) -> str:
        """The paged query, built from the declaration."""
        args = ["first: $first", "after: $after"]
        params = ["$first: Int!", "$after: String"]
        if self.filter_by_updated_at:
            args.append("query: $query")
            params.append("$query: String")
        if self.connection_args:
            args.append(self.connection_args)
        body = (
            f"{self.connection}({', '.join(args)}) {{ nodes {{ {self.node_fields} }} "
            "pageInfo { hasNextPage endCursor } }"
        )
        if self.per_location:
            params.insert(0, "$id: ID!")
            body = f"location(id: $id) {{ {body} }}"
        return f"query({', '.join(params)}) {{ {body} }}"

    def bulk_query(self, search: str | None) -> str:
        """The same selection for `bulkOperationRunQuery` (edges, no paging arguments)."""
        args = []
        if search:
            args.append(f"query: {json.dumps(search)}")
        if self.connection_args:
            args.append(self.connection_args)
        arg_text = f"({', '.join(args)})" if args else ""
        body = f"{self.connection}{arg_text} {{ edges {{ node {{ {self.node_fields} }} }} }}"
        if self.per_location:
            body = f"locations({ALL_LOCATIONS_ARGS}) {{ edges {{ node {{ id {body} }} }} }}"
        return f"{{ {body} }}"

    def updated_since(self) -> str | None:
        """The `updated_at:>=` filter value, or None for a full read.

        The stream's bookmark minus `lookback`, but never before `start_date`; None when
        the stream is not filtered or `reconcile` asks for a full snapshot.
        """
        if not self.filter_by_updated_at or self.config.get("reconcile"):
            return None
        candidates = []
        state = self.get_context_state(None)
        bookmark = state.get("replication_key_value")
        if bookmark and state.get("replication_key") == self.replication_key:
            lookback = dt.timedelta(seconds=int(self.config.get("lookback", 300)))
            candidates.append(parse_utc(bookmark) - lookback)
        if start_date := self.config.get("start_date"):
            candidates.append(parse_utc(start_date))
        return utc_z(max(candidates)) if candidates else None

    def search_filter(self) -> str | None:
        """Shopify search syntax for `updated_since()` (quoted: compared to the second)."""
        since = self._since
        return f"updated_at:>='{since}'" if since else None

    # -- request building

    def get_url_params(
        self,
        context: Context | None,  # noqa: ARG002
        next_page_token: t.Any | None,  # noqa: ARG002, ANN401
    ) -> dict[str, t.Any]:
        """GraphQL sends its variables in the body, never in the URL."""
        return {}

    def prepare_request_payload(
        self,
        context: Context | None,
        next_page_token: t.Any | None,  # noqa: ANN401
    ) -> dict | None:
        """`{"query", "variables"}` for one page."""
        query = self.query
        variables: dict[str, t.Any] = {
            "first": self.governor.page_size(query),
            "after": next_page_token,
        }
        if self.filter_by_updated_at:
            variables["query"] = self.search_filter()
        if self.per_location:
            variables["id"] = (context or {})["location_gid"]
        return {"query": query, "variables": variables}

    def get_new_paginator(self) -> CursorPaginator:
        """Relay cursors of this stream's connection."""
        return CursorPaginator(f"$.data.{self.connection_path}.pageInfo")

    # -- records

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Rows from bulk or paged reads; on completion, bookmark and sync_runs entry."""
        self._since = self.updated_since()
        if self.filter_by_updated_at:
            self.logger.info(
                "Reading %s %s",
                self.name,
                f"updated since {self._since}" if self._since else "in full",
            )
        if self.config.get("use_bulk"):
            from tap_shopify_inventory.bulk import BulkRunner  # noqa: PLC0415

            rows: t.Iterable[dict] = BulkRunner(self).rows(self.search_filter())
        elif self.per_location:
            rows = self._rows_per_location()
        else:
            rows = self.request_records(context)
        yield from rows
        self._completed(context)

    def _rows_per_location(self) -> t.Iterator[dict]:
        """Page the connection under every location; rows carry `__parentId` as in bulk."""
        locations = t.cast("ShopifyInventoryStream", self._tap.streams["locations"])
        location_gids = [node["id"] for node in locations.request_records(None)]
        for gid in location_gids:
            for node in self.request_records({"location_gid": gid}):
                node["__parentId"] = gid
                yield node

    def _completed(self, context: Context | None) -> None:
        """Every row was emitted: the bookmark may advance to the run start (signpost).

        A complete read of everything updated since X, started at S, saw every change
        before S, so the next run can start from S. The SDK keeps the bookmark in progress
        markers until the stream finishes and caps it at the signpost, so an interrupted
        run leaves the previous bookmark in place.
        """
        if self.replication_key and self.selected:
            self._increment_stream_state(
                {self.replication_key: self.run.signpost},
                context=context,
            )
        self.run.mark_completed(self.name, is_full_snapshot=self.is_full_snapshot)

    def get_replication_key_signpost(
        self,
        context: Context | None = None,  # noqa: ARG002
    ) -> str | None:
        """The run start, in the same string format as record values."""
        return self.run.signpost if self.replication_key else None

    def to_record(self, node: dict) -> dict:
        """Map one GraphQL node to the normalized record (without store_id/synced_at)."""
        raise NotImplementedError

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """Nodes of the page, from the body `validate_response` already decoded."""
        yield from extract_jsonpath(self.records_jsonpath, input=decoded_json(response))

    def post_process(
        self,
        row: dict,
        context: Context | None = None,  # noqa: ARG002
    ) -> dict | None:
        """Normalized record: `store_id`, the stream's columns, `synced_at`."""
        return {"store_id": self.store, **self.to_record(row), "synced_at": self.run.synced_at}

    # -- one-off calls (bulk operations)

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """Send one GraphQL request through the same pacing, retries and checks."""
        prepared = self.build_prepared_request(
            method="POST",
            url=self.endpoint,
            json={"query": query, "variables": variables or {}},
            headers=self.http_headers,
        )
        response = self.request_decorator(self._request)(prepared, None)
        return t.cast("dict", decoded_json(response).get("data") or {})

    # -- transport: pacing, retries, errors

    def _request(
        self,
        prepared_request: requests.PreparedRequest,
        context: Context | None,
    ) -> requests.Response:
        """Apply the current page size, wait for the bucket, then send."""
        shape, first = self._apply_page_size(prepared_request)
        waited = self.governor.wait_before(shape, first)
        if waited and self.progress:
            self.progress.waited(waited)
        response = super()._request(prepared_request, context)
        if self.progress:
            self.progress.page()
        return response

    def get_record_counter(
        self,
        *,
        endpoint: str | None = None,  # noqa: ARG002
        log_interval: float = metrics.DEFAULT_LOG_INTERVAL,
    ) -> SyncProgress:
        """Count records as the SDK does, with progress and a summary line a person can follow."""
        self.progress = SyncProgress(self.name, self.logger, log_interval)
        return self.progress

    def _apply_page_size(self, request: requests.PreparedRequest) -> tuple[str, int | None]:
        payload = _json_body(request)
        shape = str(payload.get("query", ""))
        variables = payload.get("variables") or {}
        if "first" not in variables:
            return shape, None
        first = self.governor.page_size(shape)
        if variables["first"] != first:
            variables["first"] = first
            request.prepare_body(data=None, files=None, json=payload)
        return shape, first

    def request_decorator(self, func: t.Callable) -> t.Callable:
        """SDK backoff for failures (max_retries), plus unlimited waits for throttling.

        The inner decorator is the SDK's: 5xx, timeouts, resets and non-JSON answers are
        retried with exponential backoff, `max_retries` times. Throttling and page shrinks
        bypass it (`giveup`) and are retried by the outer decorator after the wait Shopify
        implies, without counting as failures.
        """
        inner = backoff.on_exception(
            self.backoff_wait_generator,
            (
                ConnectionResetError,
                RetriableAPIError,
                requests.exceptions.Timeout,
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ),
            max_tries=self.backoff_max_tries,
            giveup=lambda exc: isinstance(exc, ThrottledError),
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )(func)
        outer = backoff.on_exception(
            backoff.runtime,
            ThrottledError,
            value=lambda exc: exc.wait,
            jitter=None,
            max_tries=THROTTLE_MAX_TRIES,  # a safety net, far beyond any real throttling spell
            on_backoff=self._log_throttle,
            logger=None,
        )(inner)

        def request(*args: t.Any, **kwargs: t.Any) -> requests.Response:  # noqa: ANN401
            try:
                return t.cast("requests.Response", outer(*args, **kwargs))
            except (ConnectionResetError, requests.exceptions.RequestException) as exc:
                detail = " ".join(str(exc).split()) or type(exc).__name__
                msg = (
                    f"could not get an answer from {self.endpoint} for store {self.store} "
                    f"after {self.backoff_max_tries()} tries: {type(exc).__name__}: {detail}"
                )
                raise FatalAPIError(msg) from exc

        return request

    def backoff_wait_generator(self) -> t.Generator[float, None, None]:  # noqa: PLR6301
        """Exponential backoff: 0.5, 1, 2, 4 ... seconds, at most 30."""
        return backoff.expo(base=2, factor=0.5, max_value=30)

    def backoff_max_tries(self) -> int:
        """First try plus `max_retries` retries."""
        return int(self.config.get("max_retries", 8)) + 1

    def backoff_handler(self, details: t.Any) -> None:  # noqa: ANN401
        """One line per retry, without request objects (no headers, no token)."""
        exc = details.get("exception")
        self.logger.warning(
            "Retrying %s request in %.1fs after try %d: %s",
            self.name,
            details.get("wait") or 0.0,
            details.get("tries", 0),
            exc,
        )

    def _log_throttle(self, details: t.Any) -> None:  # noqa: ANN401
        exc = details.get("exception")
        if isinstance(exc, PageTooCostlyError):
            return
        self.logger.info("Throttled by Shopify: waiting %.2fs (%s)", details.get("wait") or 0.0, exc)
        if self.progress:
            self.progress.waited(details.get("wait") or 0.0)

    def validate_response(self, response: requests.Response) -> None:
        """Check the HTTP status, the body and Shopify's `errors` (which the SDK ignores)."""
        status = response.status_code
        where = f"for store {self.store}"
        if status == HTTPStatus.UNAUTHORIZED:
            msg = f"Shopify rejected the access token (HTTP 401) {where}: check access_token"
            raise FatalAPIError(msg)
        if status == HTTPStatus.NOT_FOUND:
            msg = f"Shopify store {self.store} not found (HTTP 404) at {self.endpoint}: check store and api_url"
            raise FatalAPIError(msg)

        body = self._json_or_none(response)
        cost = body.get("extensions", {}).get("cost") if isinstance(body, dict) else None
        shape, first = _shape_of(response.request)
        self.governor.observe(shape, first, cost)

        if status == HTTPStatus.TOO_MANY_REQUESTS:
            wait = _retry_after(response)
            if wait is None:
                wait = CostGovernor.throttle_wait(cost, default=2.0)
            msg = f"HTTP 429 {where}"
            raise ThrottledError(msg, response, wait)
        if body is None:
            # An HTML firewall page (any status), a truncated or malformed body: retried.
            content_type = response.headers.get("Content-Type", "no content type")
            snippet = " ".join(response.text[:80].split())
            msg = (
                f"expected JSON from {self.endpoint}, got {content_type} "
                f"(HTTP {status}, {len(response.content)} bytes): {snippet!r}"
            )
            raise RetriableAPIError(msg, response)
        if status == HTTPStatus.FORBIDDEN:
            raise FatalAPIError(self._access_denied_message(_error_text(response)))
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            msg = f"Shopify answered HTTP {status} {where} at {self.endpoint}: {_error_text(response)[:200]}"
            raise RetriableAPIError(msg, response)
        if status >= HTTPStatus.BAD_REQUEST or not isinstance(body, dict):
            msg = f"Shopify answered HTTP {status} {where} at {self.endpoint}: {_error_text(response)[:200]}"
            raise FatalAPIError(msg)

        errors = body.get("errors")
        if errors:
            self._raise_for_graphql_errors(errors, response, shape, first, cost)
        elif isinstance(cost, dict) and first:
            requested = cost.get("requestedQueryCost")
            if isinstance(requested, (int, float)):
                # A served page: shrink (or grow) the next one, keep these records.
                self.governor.resize(shape, first, float(requested))

    def _raise_for_graphql_errors(
        self,
        errors: t.Any,  # noqa: ANN401
        response: requests.Response,
        shape: str,
        first: int | None,
        cost: dict | None,
    ) -> None:
        if isinstance(errors, str):
            errors = [{"message": errors}]
        if not isinstance(errors, list):
            errors = [{"message": str(errors)}]
        for error in errors:
            ext = error.get("extensions") or {}
            code = ext.get("code")
            if code == "MAX_COST_EXCEEDED":
                requested = ext.get("cost") or (cost or {}).get("requestedQueryCost")
                if (
                    first
                    and requested
                    and self.governor.resize(
                        shape,
                        first,
                        float(requested),
                        float(ext.get("maxCost") or SINGLE_QUERY_MAX_COST),
                    )
                ):
                    msg = f"query cost {requested} over the limit; smaller page"
                    raise PageTooCostlyError(msg, response, 0.0)
            if code == "THROTTLED":
                requested = (cost or {}).get("requestedQueryCost")
                if (
                    first
                    and isinstance(requested, (int, float))
                    and requested > self.governor.cap
                    and self.governor.resize(shape, first, float(requested))
                ):
                    msg = f"query cost {requested} can never fit the bucket; smaller page"
                    raise PageTooCostlyError(msg, response, 0.0)
                wait = CostGovernor.throttle_wait(cost)
                raise ThrottledError(f"THROTTLED for store {self.store}", response, wait)
            if code == "ACCESS_DENIED":
                raise FatalAPIError(self._access_denied_message(error.get("message", "")))
        first_error = errors[0] if errors else {}
        code = (first_error.get("extensions") or {}).get("code") or "no code"
        message = " ".join(str(first_error.get("message", "unknown error")).split())
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        msg = f"Shopify GraphQL error for store {self.store} in stream {self.name}: {message} [code {code}]{more}"
        raise FatalAPIError(msg)

    def _access_denied_message(self, detail: str) -> str:
        named = sorted(set(re.findall(r"\bread_[a-z_]+", detail or "")))
        scopes = ", ".join(named or self.required_scopes)
        return (
            f"Shopify denied access for store {self.store} in stream {self.name}: "
            f"the access token is missing scope {scopes} "
            "(the tap needs read_inventory, read_products, read_locations)"
        )

    @staticmethod
    def _json_or_none(response: requests.Response) -> t.Any:  # noqa: ANN401
        try:
            return decoded_json(response)
        except ValueError:
            return None


def _json_body(request: requests.PreparedRequest) -> dict:
    body = request.body
    if not body:
        return {}
    try:
        payload = json.loads(body)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _shape_of(request: requests.PreparedRequest | None) -> tuple[str, int | None]:
    payload = _json_body(request) if request is not None else {}
    variables = payload.get("variables") or {}
    first = variables.get("first") if isinstance(variables, dict) else None
    return str(payload.get("query", "")), first if isinstance(first, int) else None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())
    errors = body.get("errors") if isinstance(body, dict) else body
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
    return " ".join(str(errors).split())


def same_origin(url: str, other: str) -> bool:
    """Whether two URLs share scheme, host and port."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


__all__ = [
    "QUANTITY_NAMES",
    "CostGovernor",
    "ShopifyInventoryStream",
    "SyncRun",
    "gid_tail",
    "utc_z",
]
