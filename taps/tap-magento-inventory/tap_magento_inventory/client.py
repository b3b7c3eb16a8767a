"""Magento 2 REST client: the base stream, searchCriteria paging, auth and error handling.

Everything about *how* the tap talks to Magento lives here; `streams.py` only declares
*what* to fetch. The pieces:

- `search_criteria()`: Magento's bracketed query parameters (filter groups, sort orders, page).
- `SearchCriteriaPaginator`: `currentPage` paging that stops on `total_count`, and also on a
  repeated page (Magento clamps a page past the end to the last page and sends it again).
- `MagentoStream`: the kit's `InventoryStream` with Bearer or OAuth 1.0a auth, a stable sort with a
  tie-breaker, per-run de-duplication by key, and Magento's `{"message", "parameters"}`
  errors (and firewall/CDN HTML pages) turned into one clear line.

What the streams look up about the catalog once per run is `lookups.CatalogLookups`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import typing as t
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
from singer_inventory_kit import InventoryStream, parse_utc
from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.pagination import BaseAPIPaginator

from tap_magento_inventory import schemas
from tap_magento_inventory.lookups import CatalogLookups, StockFlags, StoreView

if t.TYPE_CHECKING:
    import datetime as dt

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(schemas)

#: Product types without source items: no levels, no salable quantity of their own.
COMPOSITE_TYPES = frozenset({"configurable", "bundle", "grouped"})

#: Transient statuses from Magento or the hosting layer in front of it (WAF, CDN, load balancer).
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})

#: `qty` bound for /V1/stockItems/lowStock so that it lists every stock item.
ALL_STOCK_QTY = 1_000_000_000

#: The store views' configuration (base currency, base URLs); ACL resource Magento_Backend::store.
STORE_CONFIGS = "/V1/store/storeConfigs"


# --------------------------------------------------------------------------- helpers


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


class MagentoStream(InventoryStream):
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

    schema = StreamSchema(SCHEMAS)
    records_jsonpath = "$.items[*]"
    #: Retries used up on any failure (a firewall page too) end the run in one line.
    gives_up_on = (RetriableAPIError, ConnectionResetError, requests.exceptions.RequestException)

    def __init__(self, tap: Tap, lookups: CatalogLookups) -> None:
        """A stream of `tap`, sharing the run's catalog `lookups`; with the per-run set of row keys emitted."""
        super().__init__(tap)
        self.lookups = lookups
        self._seen = SeenRows()
        self._full_snapshot_now = self.always_full_snapshot

    # -- configuration

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
    def page_size(self) -> int:
        """`page_size` setting."""
        return int(self.config.get("page_size", 100))

    @property
    def is_full_snapshot(self) -> bool:
        """Whether this run emitted every row of the stream that exists at the source."""
        return self._full_snapshot_now

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
        params: dict[str, t.Any] | None = None, page_size: int | None = None, fields: str | None = None,
    ) -> t.Iterator[dict]:  # fmt: skip
        """Every item of a searchCriteria list, with the paginator's stop rules (`fields`: Magento's response
        filter, e.g. `items[id,sku],total_count`, for a lookup that needs a few fields of many rows)."""
        size = page_size or self.page_size
        paginator = SearchCriteriaPaginator(size)
        while not paginator.finished:
            query = search_criteria(groups=groups, sort=sort, page_size=size, current_page=paginator.current_value)
            if params:  # endpoints with their own paging parameters (stockItems/lowStock)
                query = {**params, "pageSize": str(size), "currentPage": str(paginator.current_value)}
            if fields:
                query["fields"] = fields
            prepared = self.build_prepared_request(
                method="GET", url=f"{self.url_base}{path}", params=query, headers=self.http_headers
            )
            response = self.request_decorator(self._request)(prepared, None)
            yield from (response.json() or {}).get("items") or []
            paginator.advance(response)

    # -- what the run looks up once (lookups.CatalogLookups)

    @property
    def store_label(self) -> str:
        """How messages name the store, without asking it anything (the tap's `store_label`)."""
        return t.cast("str", self._tap.store_label)  # type: ignore[attr-defined]

    def store_view(self) -> StoreView:
        """The configuration of the store view the tap reads (`store_code`), read once per run."""
        return self.lookups.store_view(self._read_store_view)

    def _read_store_view(self) -> StoreView:
        """`/V1/store/storeConfigs` for `store_code` (for `all`, every store view: the first one, the default)."""
        code = self.config.get("store_code", "default")
        views = self.get_json(STORE_CONFIGS, {} if code == "all" else {"storeCodes[]": code})
        views = [v for v in views if isinstance(v, dict)] if isinstance(views, list) else []
        mine = [v for v in views if v.get("code") == code] or (
            sorted(views, key=lambda v: v.get("id") or 0)[:1] if code == "all" else []
        )
        if not mine:
            msg = (f"Magento store {self.store_label}: GET {STORE_CONFIGS} lists no store view {code!r}: "
                   "check store_code")
            raise MagentoAPIError(msg, HTTPStatus.NOT_FOUND, msg)
        return StoreView.of(mine[0])

    def msi_enabled(self) -> bool:
        """Whether the store answers the MSI routes; a JSON 404 means single-source (legacy) mode."""
        return self.lookups.msi_enabled(self._probe_msi)

    def _probe_msi(self) -> bool:
        try:
            self.get_json("/V1/inventory/sources", search_criteria(page_size=1, current_page=1))
        except MagentoAPIError as exc:
            if exc.status != HTTPStatus.NOT_FOUND:
                raise
            self.logger.info(
                "Store %s has no MSI routes (HTTP 404 on /V1/inventory/sources): reading legacy stock "
                "items as one source `default` and one stock `1`",
                self.store_label,
            )
            return False
        return True

    def stock_items(self) -> dict[str, StockFlags]:
        """Legacy stock items by product id, read once per run."""
        return self.lookups.stock_flags(self._read_stock_items)

    def _read_stock_items(self) -> dict[str, StockFlags]:
        """`/V1/stockItems/lowStock` with a huge qty lists them all."""
        items: dict[str, StockFlags] = {}
        for item in self.get_paged("/V1/stockItems/lowStock", params={"scopeId": "0", "qty": str(ALL_STOCK_QTY)}):
            items.setdefault(str(item.get("product_id")), StockFlags.of(item))
        return items

    # -- records

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """The kit's read (rows, then bookmark and sync_runs entry), de-duplicated within this read."""
        self._seen = SeenRows()
        self._full_snapshot_now = self.always_full_snapshot
        yield from super().get_records(context)
        self._seen = SeenRows()  # not kept while the next streams run

    def read_rows(self, context: Context | None) -> t.Iterable[dict] | None:
        """Raw rows (MSI routes or the legacy fallback); None when the stream is off for this run."""
        if self.msi_enabled():
            return self.request_records(context)
        return self.legacy_rows()

    def legacy_rows(self) -> t.Iterable[dict]:
        """Rows for a store without MSI routes."""
        return []

    def to_record(self, row: dict) -> dict | None:
        """Map one Magento row to the normalized record (without store_id/synced_at)."""
        raise NotImplementedError

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Normalized record with `store_id` and `synced_at`; a row already emitted in this run is dropped."""
        if self.row_key and not self._seen.add([row.get(k) for k in self.row_key]):
            return None
        return super().post_process(row, context)

    # -- transport: errors

    def gave_up_message(self, exc: BaseException) -> str:
        """Retries used up: one line naming the store."""
        detail = " ".join(str(exc).split()) or type(exc).__name__
        return f"Magento store {self.store_label}: gave up after {self.tries_text()}: {detail}"

    def validate_response(self, response: requests.Response) -> None:
        """Magento errors, and HTML pages from the hosting layer, as one clear line each."""
        status = response.status_code
        path = urlsplit(response.url).path
        where = f"Magento store {self.store_label}, GET {path}"
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
                    ": access_token; with Bearer, Magento 2.4.4+ needs 'Allow OAuth Access Tokens to be used as "
                    "standalone Bearer tokens', or use auth_method oauth1)"
                    if method == "bearer"
                    else ": consumer_key, consumer_secret, access_token, access_token_secret)"
                )
            )
            raise MagentoAPIError(msg, status, detail)
        if status == HTTPStatus.NOT_FOUND and "store that was requested" in detail:
            store_code = self.config.get("store_code", "default")
            msg = f"{where}: HTTP 404: {detail} No store view with code {store_code!r}: check store_code"
            raise MagentoAPIError(msg, status, detail)
        if status == HTTPStatus.NOT_FOUND and "does not match any route" in detail:
            msg = f"{where}: HTTP 404: {detail} Not Magento's REST API at this address: check base_url"
            raise MagentoAPIError(msg, status, detail)
        raise MagentoAPIError(f"{where}: HTTP {status}: {detail}", status, detail)


__all__ = [
    "COMPOSITE_TYPES",
    "Filter",
    "MagentoAPIError",
    "MagentoStream",
    "SearchCriteriaPaginator",
    "SeenRows",
    "magento_time",
    "search_criteria",
    "whole_units",
]
