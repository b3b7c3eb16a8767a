"""Magento 2 REST client: the base stream, searchCriteria paging, auth and error handling.

Everything about *how* the tap talks to Magento lives here; `streams.py` only declares
*what* to fetch. The pieces:

- `search_criteria()`: Magento's bracketed query parameters (filter groups, sort orders, page).
- `SearchCriteriaPaginator`: `currentPage` paging that stops on `total_count`, and also on a
  repeated page (Magento clamps a page past the end to the last page and sends it again).
- `MagentoStream`: a `RESTStream` with Bearer or OAuth 1.0a auth, a stable sort with a
  tie-breaker, per-run de-duplication by key, and Magento's `{"message", "parameters"}`
  errors (and firewall/CDN HTML pages) turned into one clear line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams import RESTStream

from tap_magento_inventory import schemas

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(schemas)

#: Product types without source items: no levels, no salable quantity of their own.
COMPOSITE_TYPES = frozenset({"configurable", "bundle", "grouped"})

#: Transient statuses from Magento or the hosting layer in front of it (WAF, CDN, load balancer).
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})

#: `qty` bound for /V1/stockItems/lowStock so that it lists every stock item.
ALL_STOCK_QTY = 1_000_000_000


# --------------------------------------------------------------------------- helpers


def parse_utc(value: str | dt.datetime) -> dt.datetime:
    """Parse an ISO-8601 or Magento (`YYYY-MM-DD HH:MM:SS`) timestamp; naive values are UTC."""
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def utc_z(value: str | dt.datetime | None) -> str | None:
    """Magento's zone-less UTC `2025-01-02 10:00:00` -> `2025-01-02T10:00:00Z`."""
    if value is None or value == "":
        return None
    return parse_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def magento_time(value: str | dt.datetime) -> str:
    """Any timestamp -> Magento's filter format `YYYY-MM-DD HH:MM:SS` (UTC)."""
    return parse_utc(value).strftime("%Y-%m-%d %H:%M:%S")


def whole_units(quantity: t.Any) -> int | None:  # noqa: ANN401
    """Source item quantity (a float in Magento) -> whole units, rounded down."""
    if quantity is None:
        return None
    try:
        return int(float(quantity) // 1)
    except (TypeError, ValueError, OverflowError):  # not a number, NaN, infinity
        return None


Filter = tuple[str, t.Any, str]  # (field, value, condition_type)


def search_criteria(
    *,
    groups: t.Sequence[t.Sequence[Filter]] = (),
    sort: t.Sequence[tuple[str, str]] = (),
    page_size: int | None = None,
    current_page: int | None = None,
) -> dict[str, str]:
    """Magento's `searchCriteria[...]` query parameters.

    Filters inside one group are OR-ed, groups are AND-ed. Always returns at least one
    `searchCriteria` key: omitting it is a 400 in Magento.
    """
    params: dict[str, str] = {}
    for g, group in enumerate(groups):
        for f, (field_name, value, condition) in enumerate(group):
            prefix = f"searchCriteria[filter_groups][{g}][filters][{f}]"
            params[f"{prefix}[field]"] = field_name
            params[f"{prefix}[value]"] = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
            params[f"{prefix}[condition_type]"] = condition
    for i, (field_name, direction) in enumerate(sort):
        params[f"searchCriteria[sortOrders][{i}][field]"] = field_name
        params[f"searchCriteria[sortOrders][{i}][direction]"] = direction
    if page_size is not None:
        params["searchCriteria[pageSize]"] = str(page_size)
    if current_page is not None:
        params["searchCriteria[currentPage]"] = str(current_page)
    if not params:
        params["searchCriteria"] = ""
    return params


@dataclass
class SyncRun:
    """What one tap run shares between its streams."""

    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    completed: list[dict[str, t.Any]] = field(default_factory=list)

    @property
    def synced_at(self) -> str:
        """The run's start as written to every record's `synced_at`."""
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
                "finished_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            },
        )


class StockFlags(t.NamedTuple):
    """The fields of a legacy stock item that the tap reads.

    The whole item has about 30 fields; kept for every product of a run (250k at 1M levels) it would
    cost hundreds of MB, so only these are kept.
    """

    use_config_manage_stock: t.Any
    manage_stock: t.Any
    use_config_backorders: t.Any
    backorders: t.Any
    qty: t.Any
    is_in_stock: t.Any

    @classmethod
    def of(cls, item: dict) -> StockFlags:
        """The fields of one `/V1/stockItems` item."""
        return cls(*(item.get(name) for name in cls._fields))


class SeenRows:
    """The row keys a stream emitted in this run, stored exactly but compactly.

    A key is a tuple of raw values (`row_key`). One entry per distinct first value (a SKU, an id) holds
    a bit per distinct rest of the key (a source code): at 1M levels that is one dict entry per SKU
    instead of one string per row, about half the memory. Only `str` and `int` first values are stored
    as themselves (no two such values of different types compare equal, so 1 and "1" stay apart);
    others (floats, bools, None), and keys once `max_tails` rests are known, are kept as the repr
    of the whole key. Each key always takes the same path, so membership is exact: no hashing, no
    collisions, a row is dropped only when the same key was added before.
    """

    def __init__(self, max_tails: int = 60) -> None:
        """Empty; at most `max_tails` distinct rests of keys get a bit, the others a whole-key string."""
        self.max_tails = max_tails
        self._bits: dict[str | int, int] = {}  # first value -> one bit per rest of key seen with it
        self._tails: dict[str, int] = {}  # repr of the rest of a key -> its bit
        self._whole: set[str] = set()  # repr of whole keys that fit neither

    def add(self, values: t.Sequence[t.Any]) -> bool:
        """Remember a key; False when it was already there."""
        head = values[0] if values else None
        tail = "\x1f".join(map(repr, values[1:]))
        bit = self._tails.get(tail)
        if bit is None and len(self._tails) < self.max_tails:
            bit = self._tails[tail] = 1 << len(self._tails)
        if bit is None or type(head) not in {str, int}:
            whole = "\x1f".join(map(repr, values))
            if whole in self._whole:
                return False
            self._whole.add(whole)
            return True
        bits = self._bits.get(head, 0)
        if bits & bit:
            return False
        self._bits[head] = bits | bit
        return True

    def __len__(self) -> int:
        """Number of keys remembered."""
        return sum(bits.bit_count() for bits in self._bits.values()) + len(self._whole)


@dataclass
class StoreFacts:
    """What the tap learns about the store once per run and shares between streams."""

    msi: bool | None = None
    stock_items: dict[str, StockFlags] | None = None  # product_id -> what the tap reads of its legacy stock item
    #: sku -> product id of every product inventory_items emitted in this run (inventory_levels needs the ids).
    #: Kept only when inventory_levels is selected; an int id as the int, and let go when inventory_levels ends.
    sku_ids: dict[str, int | str] = field(default_factory=dict)
    #: sku -> product id looked up for the previous page of source items (SKUs inventory_items did not emit).
    looked_up: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# --------------------------------------------------------------------------- errors


class MagentoAPIError(FatalAPIError):
    """A non-retriable answer from Magento, with its status and rendered message."""

    def __init__(self, message: str, status: int, detail: str) -> None:
        """Keep the HTTP status and Magento's own message for callers that tolerate some."""
        super().__init__(message)
        self.status = status
        self.detail = detail


def render_message(body: t.Any) -> str:  # noqa: ANN401
    """Magento's `{"message": "... %name ...", "parameters": {...} | [...]}` -> plain text."""
    if not isinstance(body, dict):
        return " ".join(str(body).split())
    message = str(body.get("message", ""))
    params = body.get("parameters")
    if isinstance(params, dict):
        for key, value in params.items():
            message = message.replace(f"%{key}", str(value))
    elif isinstance(params, list):
        for i, value in enumerate(params, start=1):
            message = message.replace(f"%{i}", str(value))
    extra = body.get("errors")
    if isinstance(extra, list) and extra:
        message += " (" + "; ".join(render_message(e) for e in extra) + ")"
    return " ".join(message.split()) or "no message"


def html_title(text: str) -> str:
    """The `<title>` of an HTML page, or its first words."""
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    snippet = match.group(1) if match else re.sub(r"<[^>]+>", " ", text)
    return " ".join(snippet.split())[:80]


# --------------------------------------------------------------------------- paging


class SearchCriteriaPaginator(BaseAPIPaginator[int]):
    """`searchCriteria[currentPage]` paging.

    Stops when `currentPage * pageSize >= total_count`, on an empty page, and on a page
    identical to the previous one: Magento clamps a page number past the end to the last
    page and returns it again with the same `total_count`, so the number of pages alone
    would loop (or double rows) when rows vanish while we read.
    """

    def __init__(self, page_size: int) -> None:
        """Start at page 1."""
        super().__init__(1)
        self.page_size = page_size
        self._last_fingerprint: str | None = None

    def has_more(self, response: requests.Response) -> bool:
        """Whether another page may hold rows."""
        body = response.json()
        items = (body.get("items") if isinstance(body, dict) else None) or []
        if not items:
            return False
        fingerprint = hashlib.sha1(json.dumps(items, sort_keys=True).encode(), usedforsecurity=False).hexdigest()
        if fingerprint == self._last_fingerprint:
            return False
        self._last_fingerprint = fingerprint
        total = body.get("total_count")
        if isinstance(total, int):
            return self.current_value * self.page_size < total
        return len(items) >= self.page_size

    def get_next(self, response: requests.Response) -> int | None:  # noqa: ARG002
        """The next page number."""
        return self.current_value + 1


# --------------------------------------------------------------------------- streams


# -- progress


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
        self._lock = threading.Lock()  # salable quantities are read by several threads

    def increment(self, value: int = 1) -> None:
        """One more record; a progress line when `every` seconds have passed since the last."""
        super().increment(value)
        self.records += value
        if self._clock() - self._said >= self.every:
            self._said = self._clock()
            self._logger.info("Progress of %s: %s", self.stream, self.figures())

    def page(self) -> None:
        """One more page (an answered request)."""
        with self._lock:
            self.pages += 1

    def waited(self, seconds: float) -> None:
        """One more wait for the platform's rate limit."""
        with self._lock:
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


class MagentoStream(RESTStream):
    """Base stream for Magento 2 REST (`{base_url}/rest/{store_code}/V1/...`).

    A concrete stream declares its `path`, its stable `sort` (ending in a unique
    tie-breaker), the raw fields that identify a row (`row_key`) and `to_record`; paging,
    auth, errors and the per-run de-duplication follow from that.
    """

    #: Sort orders, the last one unique, so pages are stable and same-second rows never swap.
    sort: t.ClassVar[tuple[tuple[str, str], ...]] = ()
    #: Raw fields identifying a row: a row seen twice in one run (a repeated page) is dropped.
    row_key: t.ClassVar[tuple[str, ...]] = ()
    #: Every row that exists is emitted on each run (sync_runs.is_full_snapshot).
    always_full_snapshot: t.ClassVar[bool] = True
    #: ACL resource the stream needs, named when Magento answers 401.
    acl_resource: t.ClassVar[str] = "Magento_InventoryApi::source"

    #: Progress of the current sync (records, pages, rate-limit waits); None outside a sync.
    progress: SyncProgress | None = None

    schema = StreamSchema(SCHEMAS)
    records_jsonpath = "$.items[*]"
    is_sorted = False

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Add the per-run set of row keys already emitted."""
        super().__init__(*args, **kwargs)
        self._seen = SeenRows()
        self._full_snapshot_now = self.always_full_snapshot

    # -- configuration

    @property
    def store_id(self) -> str:
        """`store_id` setting, or the host of `base_url`."""
        return t.cast("str", self.config.get("store_id") or urlsplit(self.config["base_url"]).hostname or "magento")

    @property
    def url_base(self) -> str:
        """`{base_url}/rest/{store_code}`."""
        return f"{self.config['base_url'].rstrip('/')}/rest/{self.config.get('store_code', 'default')}"

    @property
    def authenticator(self) -> t.Any:  # noqa: ANN401
        """Bearer integration token, or OAuth 1.0a signing (requests-oauthlib) of every request."""
        if self.config.get("auth_method", "bearer") == "oauth1":
            from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256  # noqa: PLC0415
            from requests_oauthlib import OAuth1  # noqa: PLC0415

            method = self.config.get("oauth_signature_method", "HMAC-SHA256")
            # Their DEBUG lines print the client, access token included.
            for name in ("oauthlib", "requests_oauthlib"):
                logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger(name).level))
            return OAuth1(
                client_key=self.config["consumer_key"],
                client_secret=self.config["consumer_secret"],
                resource_owner_key=self.config["access_token"],
                resource_owner_secret=self.config["access_token_secret"],
                signature_method=SIGNATURE_HMAC_SHA1 if method == "HMAC-SHA1" else SIGNATURE_HMAC_SHA256,
                signature_type="AUTH_HEADER",
            )
        return BearerTokenAuthenticator(token=self.config["access_token"])

    @property
    def http_headers(self) -> dict:
        """JSON out."""
        return {"Accept": "application/json"}

    @property
    def timeout(self) -> int:
        """`request_timeout` setting."""
        return int(self.config.get("request_timeout", 60))

    @property
    def page_size(self) -> int:
        """`page_size` setting."""
        return int(self.config.get("page_size", 100))

    @property
    def run(self) -> SyncRun:
        """State shared by all streams of this tap run."""
        return t.cast("SyncRun", self._tap.run)  # type: ignore[attr-defined]

    @property
    def facts(self) -> StoreFacts:
        """What this run learned about the store."""
        return t.cast("StoreFacts", self._tap.facts)  # type: ignore[attr-defined]

    # -- requests

    def filter_groups(self) -> list[list[Filter]]:
        """Filters of the stream's read (none by default)."""
        return []

    def get_url_params(self, context: Context | None, next_page_token: t.Any | None) -> dict[str, t.Any]:  # noqa: ARG002, ANN401
        """searchCriteria: the stream's filters, its stable sort, one page."""
        return search_criteria(
            groups=self.filter_groups(),
            sort=self.sort,
            page_size=self.page_size,
            current_page=next_page_token or 1,
        )

    def get_new_paginator(self) -> SearchCriteriaPaginator:
        """currentPage paging until total_count (repeat-proof)."""
        return SearchCriteriaPaginator(self.page_size)

    def get_json(self, path: str, params: dict[str, t.Any] | None = None) -> t.Any:  # noqa: ANN401
        """One GET through the same auth, retries and error handling."""
        prepared = self.build_prepared_request(
            method="GET",
            url=f"{self.url_base}{path}",
            params=params or {},
            headers=self.http_headers,
        )
        response = self.request_decorator(self._request)(prepared, None)
        return response.json()

    def get_paged(
        self, path: str, *, groups: t.Sequence[t.Sequence[Filter]] = (), sort: t.Sequence[tuple[str, str]] = (),
        params: dict[str, t.Any] | None = None, page_size: int | None = None,
    ) -> t.Iterator[dict]:  # fmt: skip
        """Every item of a searchCriteria list, with the paginator's stop rules."""
        size = page_size or self.page_size
        paginator = SearchCriteriaPaginator(size)
        while not paginator.finished:
            query = search_criteria(groups=groups, sort=sort, page_size=size, current_page=paginator.current_value)
            if params:  # endpoints with their own paging parameters (stockItems/lowStock)
                query = {**params, "pageSize": str(size), "currentPage": str(paginator.current_value)}
            prepared = self.build_prepared_request(
                method="GET", url=f"{self.url_base}{path}", params=query, headers=self.http_headers
            )
            response = self.request_decorator(self._request)(prepared, None)
            yield from (response.json() or {}).get("items") or []
            paginator.advance(response)

    # -- store facts

    def msi_enabled(self) -> bool:
        """Whether the store answers the MSI routes; a JSON 404 means single-source (legacy) mode."""
        facts = self.facts
        if facts.msi is None:
            try:
                self.get_json("/V1/inventory/sources", search_criteria(page_size=1, current_page=1))
                facts.msi = True
            except MagentoAPIError as exc:
                if exc.status != HTTPStatus.NOT_FOUND:
                    raise
                facts.msi = False
                self.logger.info(
                    "Store %s has no MSI routes (HTTP 404 on /V1/inventory/sources): reading legacy stock "
                    "items as one source `default` and one stock `1`",
                    self.store_id,
                )
        return facts.msi

    def stock_items(self) -> dict[str, StockFlags]:
        """Legacy stock items by product id (`/V1/stockItems/lowStock` with a huge qty lists them all)."""
        facts = self.facts
        with facts.lock:
            if facts.stock_items is None:
                items: dict[str, StockFlags] = {}
                for item in self.get_paged(
                    "/V1/stockItems/lowStock", params={"scopeId": "0", "qty": str(ALL_STOCK_QTY)}
                ):
                    items.setdefault(str(item.get("product_id")), StockFlags.of(item))
                facts.stock_items = items
            return facts.stock_items

    def product_ids_for(self, skus: t.Iterable[str]) -> dict[str, str]:
        """sku -> product id for these SKUs (absent: no product has the SKU).

        Ids come from the products inventory_items emitted earlier in this run; only the other SKUs are
        looked up, with `sku in (...)`. Lookups are kept for the next page only (source items come sorted
        by SKU, so a SKU's rows are on one page or two), which keeps memory flat when inventory_items is
        not part of the run.
        """
        facts = self.facts
        wanted = {s for s in skus if s}
        found = {s: str(facts.sku_ids[s]) for s in wanted if s in facts.sku_ids}
        found.update((s, facts.looked_up[s]) for s in wanted - found.keys() if s in facts.looked_up)
        missing = sorted(wanted - found.keys())
        looked_up: dict[str, str] = {}
        for start in range(0, len(missing), self.page_size):
            chunk = missing[start : start + self.page_size]
            for product in self.get_paged(
                "/V1/products",
                groups=[[("sku", chunk, "in")]],
                sort=[("entity_id", "ASC")],
                page_size=self.page_size,
            ):
                looked_up[str(product["sku"])] = str(product["id"])
        if missing:
            facts.looked_up = looked_up
        found.update(looked_up)
        return found

    # -- records

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Rows of the stream (MSI routes or the legacy fallback); then its sync_runs entry."""
        self._seen = SeenRows()
        self._full_snapshot_now = self.always_full_snapshot
        rows = self.read_rows(context)
        if rows is None:
            return
        yield from rows  # the SDK calls post_process on each
        self._seen = SeenRows()  # not kept while the next streams run
        self._completed(context)

    def read_rows(self, context: Context | None) -> t.Iterable[dict] | None:
        """Raw rows; None when the stream is off for this run (no sync_runs entry)."""
        if self.msi_enabled():
            return self.request_records(context)
        return self.legacy_rows()

    def legacy_rows(self) -> t.Iterable[dict]:
        """Rows for a store without MSI routes."""
        return []

    def _completed(self, context: Context | None) -> None:
        """Every row was emitted: bookmark at the run start (capped) and a sync_runs entry."""
        if self.replication_key and self.selected:
            self._increment_stream_state({self.replication_key: self.run.signpost}, context=context)
        self.run.mark_completed(self.name, is_full_snapshot=self._full_snapshot_now)

    def get_replication_key_signpost(self, context: Context | None = None) -> str | None:  # noqa: ARG002
        """The run start, in the same string format as record values."""
        return self.run.signpost if self.replication_key else None

    def to_record(self, row: dict) -> dict | None:
        """Map one Magento row to the normalized record (without store_id/synced_at)."""
        raise NotImplementedError

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        """Normalized record with `store_id` and `synced_at`; a row already emitted in this run is dropped."""
        if self.row_key and not self._seen.add([row.get(k) for k in self.row_key]):
            return None
        record = self.to_record(row)
        if record is None:
            return None
        return {"store_id": self.store_id, **record, "synced_at": self.run.synced_at}

    # -- transport: retries, errors

    def _request(self, prepared_request: requests.PreparedRequest, context: Context | None) -> requests.Response:
        """Send, and count the answered page."""
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

    def request_decorator(self, func: t.Callable) -> t.Callable:
        """The SDK's backoff (max_retries), then one clear line when it gives up."""
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
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )(func)

        def request(*args: t.Any, **kwargs: t.Any) -> requests.Response:  # noqa: ANN401
            try:
                return t.cast("requests.Response", inner(*args, **kwargs))
            except (RetriableAPIError, ConnectionResetError, requests.exceptions.RequestException) as exc:
                detail = " ".join(str(exc).split()) or type(exc).__name__
                msg = f"Magento store {self.store_id}: gave up after {self.backoff_max_tries()} tries: {detail}"
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
        self.logger.warning(
            "Retrying %s request in %.1fs after try %d: %s",
            self.name,
            details.get("wait") or 0.0,
            details.get("tries", 0),
            details.get("exception"),
        )
        response = getattr(details.get("exception"), "response", None)
        if self.progress and response is not None and response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
            self.progress.waited(details.get("wait") or 0.0)

    def validate_response(self, response: requests.Response) -> None:
        """Magento errors, and HTML pages from the hosting layer, as one clear line each."""
        status = response.status_code
        path = urlsplit(response.url).path
        where = f"Magento store {self.store_id}, GET {path}"
        try:
            body = response.json()
        except ValueError:
            body = None
            if not response.content and status < HTTPStatus.BAD_REQUEST:
                return
        if body is None:
            content_type = response.headers.get("Content-Type", "no content type").split(";")[0]
            page = f"HTTP {status} {content_type} page {html_title(response.text)!r} instead of JSON"
            if status in TRANSIENT_STATUSES or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
                msg = f"{where}: {page} (firewall, CDN or maintenance page; transient, retried)"
                raise RetriableAPIError(msg, response)
            if status < HTTPStatus.BAD_REQUEST and "json" in content_type:
                msg = f"{where}: HTTP {status} {content_type} body is not valid JSON (garbled or cut off; retried)"
                raise RetriableAPIError(msg, response)
            if status == HTTPStatus.FORBIDDEN:
                msg = f"{where}: {page}: blocked by a firewall or CDN in front of Magento; allow the tap's address"
            elif status == HTTPStatus.NOT_FOUND or status < HTTPStatus.BAD_REQUEST:
                msg = f"{where}: {page}: not a Magento REST endpoint, check base_url and store_code"
            else:
                msg = f"{where}: {page}"
            raise MagentoAPIError(msg, status, page)

        if status < HTTPStatus.BAD_REQUEST:
            return
        detail = render_message(body)
        if status in TRANSIENT_STATUSES or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(f"{where}: HTTP {status}: {detail}", response)
        if status == HTTPStatus.UNAUTHORIZED:
            params = body.get("parameters") if isinstance(body, dict) else None
            resource = params.get("resources") if isinstance(params, dict) else None
            method = self.config.get("auth_method", "bearer")
            msg = (
                f"{where}: HTTP 401: {detail} The integration needs ACL resource "
                f"{resource or self.acl_resource}; check also its credentials (auth_method {method}"
                + (
                    ": with Bearer, Magento 2.4.4+ needs 'Allow OAuth Access Tokens to be used as standalone Bearer "
                    "tokens', or use auth_method oauth1)"
                    if method == "bearer"
                    else ": consumer key/secret, access token/secret)"
                )
            )
            raise MagentoAPIError(msg, status, detail)
        raise MagentoAPIError(f"{where}: HTTP {status}: {detail}", status, detail)


__all__ = [
    "COMPOSITE_TYPES",
    "MagentoAPIError",
    "MagentoStream",
    "SearchCriteriaPaginator",
    "SyncRun",
    "magento_time",
    "search_criteria",
    "utc_z",
]
