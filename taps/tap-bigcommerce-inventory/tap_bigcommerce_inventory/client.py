"""BigCommerce REST v3 client: the base stream, quota pacing and error handling.

Everything about *how* the tap talks to BigCommerce lives here (the kit adds the run, bookmarks, progress and
retries); `streams.py` only declares *what* to fetch. The pieces:

- `QuotaPacer`: one per tap run. Reads the four `X-Rate-Limit-*` headers of every answer and
  waits for the window to reset before a request the window has no room for, so a sync never
  meets a 429 while the quota allows it.
- `BigCommerceStream`: a `RESTStream` paging `meta.pagination` with the largest page each
  endpoint allows, retrying through the SDK's backoff hooks and turning problem+json bodies,
  401/403 and non-JSON answers into one clear line; `get_json` for the one-off requests (the default
  location, the store's currency) through the same pacing, retries and errors.
"""

from __future__ import annotations

import time
import typing as t
from http import HTTPStatus
from urllib.parse import urlsplit

from singer_inventory_kit import InventoryStream, ThrottledError
from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.pagination import PageNumberPaginator

from tap_bigcommerce_inventory import schemas

if t.TYPE_CHECKING:
    import logging

    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(schemas)

DEFAULT_API_ROOT = "https://api.bigcommerce.com/stores/{store_hash}"
CATALOG_MAX_PAGE = 250
INVENTORY_MAX_PAGE = 1000
#: First wait after a 429 that carries no rate-limit header (platform load): doubled each time.
BARE_429_WAIT = 5.0
BARE_429_MAX_WAIT = 120.0
SCOPE_INFORMATION = "store_v2_information_read_only"
SCOPES_NEEDED = (
    f"store_v2_products_read_only, store_inventory_read_only, store_locations_read_only, {SCOPE_INFORMATION}"
)
#: `GET /v2/store`: the store information, whose `currency` is the default currency catalog prices are in.
STORE_INFORMATION = "/v2/store"

H_LEFT = "x-rate-limit-requests-left"
H_QUOTA = "x-rate-limit-requests-quota"
H_RESET = "x-rate-limit-time-reset-ms"
H_WINDOW = "x-rate-limit-time-window-ms"
H_RETRY = "x-retry-after"


# --------------------------------------------------------------------------- helpers


def id_str(value: t.Any) -> str | None:  # noqa: ANN401
    """Ids as strings (`79` -> `"79"`), None stays None."""
    return None if value is None else str(value)


def lower_headers(response: requests.Response) -> dict[str, str]:
    """Response headers with lower-case names (BigCommerce may send either case)."""
    return {k.lower(): v for k, v in response.headers.items()}


# --------------------------------------------------------------------------- pacing


class QuotaPacer:
    """Paces requests against BigCommerce's per-store quota window.

    Every answer reports how many requests are left in the current window and when it resets.
    Before each request the pacer counts it against what is left; when nothing is left it sleeps
    until the reported reset (plus a small margin), then assumes a fresh window until the next
    answer says otherwise. Other apps share the quota, so a 429 can still happen; it is waited
    out by the stream, never fatal.
    """

    MARGIN = 0.05

    def __init__(self, clock: t.Callable[[], float] = time.monotonic) -> None:
        """No window known until the first answer."""
        self._clock = clock
        self.left: int | None = None
        self.quota: int | None = None
        self.reset_at: float | None = None
        self.window_s: float | None = None
        self.waited = 0.0
        self.logger: logging.Logger | None = None

    def observe(self, response: requests.Response) -> None:
        """Take the window's state from an answer's headers (any case)."""
        headers = lower_headers(response)
        try:
            left = int(headers[H_LEFT])
            reset_ms = float(headers[H_RESET])
        except (KeyError, ValueError):
            return
        now = self._clock()
        self.left = left
        self.reset_at = now + reset_ms / 1000
        try:
            self.quota = int(headers[H_QUOTA])
            self.window_s = float(headers[H_WINDOW]) / 1000
        except (KeyError, ValueError):
            pass

    def wait_before(self) -> float:
        """Sleep if this request does not fit the current window; count it. Returns the wait."""
        now = self._clock()
        if self.reset_at is not None and now >= self.reset_at:
            # The window we knew about is over: a fresh one (unknown until the next answer).
            self.left = self.quota
            self.reset_at = now + self.window_s if self.window_s else None
        wait = 0.0
        if self.left is not None and self.left <= 0 and self.reset_at is not None:
            wait = max(0.0, self.reset_at - now) + self.MARGIN
            if self.logger:
                self.logger.info("Quota window used up: waiting %.2fs for it to reset", wait)
            time.sleep(wait)
            self.waited += wait
            self.left = self.quota
            self.reset_at = self._clock() + self.window_s if self.window_s else None
        if self.left is not None:
            self.left -= 1
        return wait


class MetaPaginator(PageNumberPaginator):
    """`page=1,2,...` until `meta.pagination.current_page >= total_pages`."""

    def has_more(self, response: requests.Response) -> bool:
        """Whether another page exists."""
        pagination = (response.json().get("meta") or {}).get("pagination") or {}
        current = pagination.get("current_page") or 0
        total = pagination.get("total_pages") or 0
        return bool(current < total)


# --------------------------------------------------------------------------- base stream


class BigCommerceStream(InventoryStream):
    """Base stream for the BigCommerce REST v3 API.

    A concrete stream declares its `path`, the largest page its endpoint allows, fixed query
    parameters and the scope it needs; paging, pacing, retries and errors follow from that.
    """

    #: Largest `limit` the endpoint accepts (413 above it).
    max_page_size: t.ClassVar[int] = CATALOG_MAX_PAGE
    #: Fixed query parameters of the endpoint.
    extra_params: t.ClassVar[dict[str, str]] = {}
    #: Filter `date_modified:min` from the bookmark (or `start_date`).
    filter_by_date_modified: t.ClassVar[bool] = False
    #: OAuth scope named when BigCommerce answers 403.
    required_scope: t.ClassVar[str] = "store_inventory_read_only"

    schema = StreamSchema(SCHEMAS)
    records_jsonpath = "$.data[*]"
    throttled_by = "Rate limited by BigCommerce"
    _since: str | None = None

    # -- configuration

    @property
    def url_base(self) -> str:
        """`https://api.bigcommerce.com/stores/{store_hash}`, or the configured override."""
        override = self.config.get("api_url")
        return (override or DEFAULT_API_ROOT.format(store_hash=self.store_id)).rstrip("/")

    @property
    def authenticator(self) -> APIKeyAuthenticator:
        """Token in the `X-Auth-Token` header."""
        return APIKeyAuthenticator(key="X-Auth-Token", value=self.config["access_token"], location="header")

    @property
    def http_headers(self) -> dict:
        """JSON out."""
        return {"Accept": "application/json"}

    @property
    def pacer(self) -> QuotaPacer:
        """The run's quota pacer (one window per store)."""
        return t.cast("QuotaPacer", self._tap.pacer)  # type: ignore[attr-defined]

    @property
    def page_size(self) -> int:
        """`page_size` setting capped at the endpoint's maximum; the maximum when unset."""
        wanted = self.config.get("page_size")
        return min(int(wanted), self.max_page_size) if wanted else self.max_page_size

    @property
    def is_full_snapshot(self) -> bool:
        """Whether this run emits every row of the stream that exists at the source."""
        return not self.filter_by_date_modified or self._since is None

    # -- requests

    def get_new_paginator(self) -> MetaPaginator:
        """Page numbers from 1, stopping at `meta.pagination.total_pages`."""
        return MetaPaginator(start_value=1)

    def get_url_params(
        self,
        context: Context | None,  # noqa: ARG002
        next_page_token: t.Any | None,  # noqa: ANN401
    ) -> dict[str, t.Any]:
        """`limit`, `page`, the endpoint's fixed parameters and `date_modified:min`."""
        params: dict[str, t.Any] = {**self.extra_params, "limit": self.page_size, "page": next_page_token or 1}
        if self.filter_by_date_modified and self._since:
            params["date_modified:min"] = self._since
        return params

    def modified_since(self) -> str | None:
        """`date_modified:min`: the kit's since-window when the stream is filtered; None reads everything.

        Always a full UTC timestamp: BigCommerce appends the current time of day to a date alone.
        """
        return self.since_window() if self.filter_by_date_modified else None

    # -- records

    def read_rows(self, context: Context | None) -> t.Iterable[dict]:
        """All pages (the kit then bookmarks and writes the sync_runs entry)."""
        self._since = self.modified_since()
        if self.filter_by_date_modified:
            self.logger.info(
                "Reading %s %s", self.name, f"modified since {self._since}" if self._since else "in full",
            )
        return self.request_records(context)

    def get_json(self, path: str, params: dict[str, t.Any] | None = None) -> t.Any:  # noqa: ANN401
        """One GET of `path` (under the API root) through the same pacing, retries and error handling."""
        prepared = self.build_prepared_request(
            method="GET", url=f"{self.url_base}{path}", params=params or {}, headers=self.http_headers,
        )
        return self.request_decorator(self._request)(prepared, None).json()

    def store_currency(self) -> str | None:
        """The store's default currency (`currency` of `GET /v2/store`, upper case), read once per run."""
        tap = self._tap
        if not tap.currency_read:  # type: ignore[attr-defined]
            currency = str(self.get_json(STORE_INFORMATION).get("currency") or "").strip().upper()
            tap.currency, tap.currency_read = currency or None, True  # type: ignore[attr-defined]
            self.logger.info("Store %s: default currency %s", self.store_id, tap.currency)  # type: ignore[attr-defined]
        return t.cast("str | None", tap.currency)  # type: ignore[attr-defined]

    # -- transport: pacing, retries, errors

    def wait_for_rate_limit(self) -> float:
        """Wait for room in the quota window (the run's pacer)."""
        return self.pacer.wait_before()

    def request_decorator(self, func: t.Callable) -> t.Callable:
        """The kit's retries; each request starts with no bare 429 seen (see `_throttle_wait`)."""
        decorated = super().request_decorator(func)

        def request(*args: t.Any, **kwargs: t.Any) -> requests.Response:  # noqa: ANN401
            self._bare_429s = 0
            return t.cast("requests.Response", decorated(*args, **kwargs))

        return request

    def _throttle_wait(self, response: requests.Response) -> float:
        """How long a 429 asks us to wait: its reset, or a growing backoff when it has no headers."""
        headers = lower_headers(response)
        for name, scale in ((H_RESET, 1000.0), (H_RETRY, 1.0), ("retry-after", 1.0)):
            try:
                return max(0.0, float(headers[name]) / scale) + QuotaPacer.MARGIN
            except (KeyError, ValueError):
                continue
        self._bare_429s = getattr(self, "_bare_429s", 0) + 1
        return min(BARE_429_MAX_WAIT, BARE_429_WAIT * 2 ** (self._bare_429s - 1))

    def validate_response(self, response: requests.Response) -> None:
        """Check the status and body; one clear line for everything that stops the sync."""
        self.pacer.observe(response)
        status = response.status_code
        where = f"for store {self.store_id} in stream {self.name}"
        url = (response.url or "").split("?")[0] or f"{self.url_base}{self.path}"
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            wait = self._throttle_wait(response)
            # The wait covers the reset; the next answer tells the new window's state.
            self.pacer.left = None
            self.pacer.reset_at = None
            raise ThrottledError(f"HTTP 429 {where}", response, wait)
        body = self._json_or_none(response)
        if status == HTTPStatus.UNAUTHORIZED:
            msg = (f"BigCommerce rejected the access token (HTTP 401) for store {self.store_id}: check access_token "
                   f"and store_hash ({_problem_text(body)})")
            raise FatalAPIError(msg)
        if status == HTTPStatus.FORBIDDEN and body is not None:
            scope = SCOPE_INFORMATION if is_store_information(response) else self.required_scope
            msg = (f"BigCommerce denied access (HTTP 403) {where}: the access token is missing scope "
                   f"{scope} (the tap needs {SCOPES_NEEDED}; {_problem_text(body)})")
            raise FatalAPIError(msg)
        if body is None:
            # An HTML page (firewall, maintenance), a truncated or malformed body: retried.
            content_type = response.headers.get("Content-Type", "no content type")
            snippet = " ".join(response.text[:80].split())
            msg = (f"expected JSON from {url}, got {content_type} "
                   f"(HTTP {status}, {len(response.content)} bytes): {snippet!r}")
            raise RetriableAPIError(msg, response)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(f"BigCommerce answered HTTP {status} {where}: {_problem_text(body)}", response)
        if status == HTTPStatus.NOT_FOUND:
            msg = f"BigCommerce answered HTTP 404 {where} at {url}: {_problem_text(body)}; check store_hash and api_url"
            raise FatalAPIError(msg)
        if status >= HTTPStatus.BAD_REQUEST:
            raise FatalAPIError(f"BigCommerce answered HTTP {status} {where} at {url}: {_problem_text(body)}")
        if is_store_information(response):  # a v2 answer: the object itself
            if not isinstance(body, dict):
                msg = f"unexpected answer from {url} (HTTP {status}) {where}: not a JSON object"
                raise RetriableAPIError(msg, response)
        elif not isinstance(body, dict) or not isinstance(body.get("data"), list):
            msg = f"unexpected answer from {url} (HTTP {status}) {where}: no `data` list"
            raise RetriableAPIError(msg, response)

    @staticmethod
    def _json_or_none(response: requests.Response) -> t.Any:  # noqa: ANN401
        try:
            return response.json()
        except ValueError:
            return None


def is_store_information(response: requests.Response) -> bool:
    """Whether the answer is the store information's (`GET /v2/store`)."""
    return urlsplit(response.url or "").path.rstrip("/").endswith(STORE_INFORMATION)


def _problem_text(body: t.Any) -> str:  # noqa: ANN401
    """A problem+json body (`{status, title, type, errors}`) or a v2 error list (`[{status, message}]`): one line."""
    if isinstance(body, list) and body and all(isinstance(e, dict) for e in body):
        return "; ".join(" ".join(str(e.get("message") or e).split()) for e in body)[:300]
    if not isinstance(body, dict):
        return " ".join(str(body).split())[:200]
    title = " ".join(str(body.get("title") or body.get("message") or "no title").split())
    errors = body.get("errors")
    detail = ""
    if isinstance(errors, dict) and errors:
        detail = " (" + "; ".join(f"{k}: {v}" for k, v in errors.items()) + ")"
    elif isinstance(errors, list) and errors:
        detail = " (" + "; ".join(str(e) for e in errors) + ")"
    return f"{title}{detail}"[:300]


__all__ = ["BigCommerceStream", "MetaPaginator", "QuotaPacer", "id_str", "is_store_information", "lower_headers"]
