"""BigCommerce REST v3 client: the base stream, quota pacing and error handling.

Everything about *how* the tap talks to BigCommerce lives here; `streams.py` only declares
*what* to fetch. The pieces:

- `QuotaPacer`: one per tap run. Reads the four `X-Rate-Limit-*` headers of every answer and
  waits for the window to reset before a request the window has no room for, so a sync never
  meets a 429 while the quota allows it.
- `BigCommerceStream`: a `RESTStream` paging `meta.pagination` with the largest page each
  endpoint allows, retrying through the SDK's backoff hooks and turning problem+json bodies,
  401/403 and non-JSON answers into one clear line.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import typing as t
from dataclasses import dataclass, field
from http import HTTPStatus

import backoff
import requests
from singer_sdk import SchemaDirectory, StreamSchema, metrics
from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.pagination import PageNumberPaginator
from singer_sdk.streams import RESTStream

from tap_bigcommerce_inventory import schemas

if t.TYPE_CHECKING:
    import logging

    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(schemas)

DEFAULT_API_ROOT = "https://api.bigcommerce.com/stores/{store_hash}"
CATALOG_MAX_PAGE = 250
INVENTORY_MAX_PAGE = 1000
#: First wait after a 429 that carries no rate-limit header (platform load): doubled each time.
BARE_429_WAIT = 5.0
BARE_429_MAX_WAIT = 120.0
THROTTLE_MAX_TRIES = 500
SCOPES_NEEDED = "store_v2_products_read_only, store_inventory_read_only, store_locations_read_only"

H_LEFT = "x-rate-limit-requests-left"
H_QUOTA = "x-rate-limit-requests-quota"
H_RESET = "x-rate-limit-time-reset-ms"
H_WINDOW = "x-rate-limit-time-window-ms"
H_RETRY = "x-retry-after"


# --------------------------------------------------------------------------- helpers


def parse_utc(value: str | dt.datetime) -> dt.datetime:
    """Parse an ISO-8601 timestamp; naive values are taken as UTC."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def utc_z(value: str | dt.datetime | None) -> str | None:
    """Normalize a timestamp to `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds)."""
    if value is None or value == "":
        return None
    return parse_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def id_str(value: t.Any) -> str | None:  # noqa: ANN401
    """Ids as strings (`79` -> `"79"`), None stays None."""
    return None if value is None else str(value)


def lower_headers(response: requests.Response) -> dict[str, str]:
    """Response headers with lower-case names (BigCommerce may send either case)."""
    return {k.lower(): v for k, v in response.headers.items()}


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


class ThrottledError(RetriableAPIError):
    """A 429: wait `wait` seconds and retry (not counted against max_retries)."""

    def __init__(self, message: str, response: requests.Response, wait: float) -> None:
        """Keep the wait the answer implies."""
        super().__init__(message, response)
        self.wait = wait


class MetaPaginator(PageNumberPaginator):
    """`page=1,2,...` until `meta.pagination.current_page >= total_pages`."""

    def has_more(self, response: requests.Response) -> bool:
        """Whether another page exists."""
        pagination = (response.json().get("meta") or {}).get("pagination") or {}
        current = pagination.get("current_page") or 0
        total = pagination.get("total_pages") or 0
        return bool(current < total)


# --------------------------------------------------------------------------- base stream


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


class BigCommerceStream(RESTStream):
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

    #: Progress of the current sync (records, pages, rate-limit waits); None outside a sync.
    progress: SyncProgress | None = None

    schema = StreamSchema(SCHEMAS)
    records_jsonpath = "$.data[*]"
    is_sorted = False
    _since: str | None = None

    # -- configuration

    @property
    def store(self) -> str:
        """Store hash."""
        return t.cast("str", self.config["store_hash"])

    @property
    def url_base(self) -> str:
        """`https://api.bigcommerce.com/stores/{store_hash}`, or the configured override."""
        override = self.config.get("api_url")
        return (override or DEFAULT_API_ROOT.format(store_hash=self.store)).rstrip("/")

    @property
    def authenticator(self) -> APIKeyAuthenticator:
        """Token in the `X-Auth-Token` header."""
        return APIKeyAuthenticator(key="X-Auth-Token", value=self.config["access_token"], location="header")

    @property
    def http_headers(self) -> dict:
        """JSON out."""
        return {"Accept": "application/json"}

    @property
    def timeout(self) -> int:
        """`request_timeout` setting."""
        return int(self.config.get("request_timeout", 60))

    @property
    def run(self) -> SyncRun:
        """State shared by all streams of this tap run."""
        return t.cast("SyncRun", self._tap.run)  # type: ignore[attr-defined]

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
        """`date_modified:min`: the bookmark minus `lookback`, never before `start_date`; None reads everything
        (no bookmark and no start date, or `reconcile`).

        Always a full UTC timestamp: BigCommerce appends the current time of day to a date alone.
        """
        if not self.filter_by_date_modified or self.config.get("reconcile"):
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

    # -- records

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """All pages; on completion, the bookmark and the sync_runs entry."""
        self._since = self.modified_since()
        if self.filter_by_date_modified:
            self.logger.info(
                "Reading %s %s", self.name, f"modified since {self._since}" if self._since else "in full",
            )
        yield from self.request_records(context)
        self._completed(context)

    def _completed(self, context: Context | None) -> None:
        """Every row was emitted: the bookmark may advance to the run start (signpost)."""
        if self.replication_key and self.selected:
            self._increment_stream_state({self.replication_key: self.run.signpost}, context=context)
        self.run.mark_completed(self.name, is_full_snapshot=self.is_full_snapshot)

    def get_replication_key_signpost(self, context: Context | None = None) -> str | None:  # noqa: ARG002
        """The run start, in the same string format as record values."""
        return self.run.signpost if self.replication_key else None

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        """Normalized record: `store_id`, the stream's columns, `synced_at`."""
        return {"store_id": self.store, **row, "synced_at": self.run.synced_at}

    # -- transport: pacing, retries, errors

    def _request(self, prepared_request: requests.PreparedRequest, context: Context | None) -> requests.Response:
        """Wait for room in the quota window, then send."""
        waited = self.pacer.wait_before()
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

    def request_decorator(self, func: t.Callable) -> t.Callable:
        """SDK backoff for failures (max_retries), plus waits for 429s that do not count.

        The inner decorator retries 5xx, timeouts, resets and non-JSON answers with exponential
        backoff, `max_retries` times. A 429 bypasses it and is retried by the outer decorator
        after the reset BigCommerce gives (or a longer backoff when it gives none).
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
            self._bare_429s = 0
            try:
                return t.cast("requests.Response", outer(*args, **kwargs))
            except (ConnectionResetError, requests.exceptions.RequestException) as exc:
                detail = " ".join(str(exc).split()) or type(exc).__name__
                msg = (
                    f"could not get an answer from {self.url_base}{self.path} for store {self.store} "
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
        self.logger.warning(
            "Retrying %s request in %.1fs after try %d: %s",
            self.name,
            details.get("wait") or 0.0,
            details.get("tries", 0),
            details.get("exception"),
        )

    def _log_throttle(self, details: t.Any) -> None:  # noqa: ANN401
        self.logger.info("Rate limited by BigCommerce: waiting %.2fs (%s)", details.get("wait") or 0.0,
                         details.get("exception"))
        if self.progress:
            self.progress.waited(details.get("wait") or 0.0)

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
        where = f"for store {self.store} in stream {self.name}"
        url = f"{self.url_base}{self.path}"
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            wait = self._throttle_wait(response)
            # The wait covers the reset; the next answer tells the new window's state.
            self.pacer.left = None
            self.pacer.reset_at = None
            raise ThrottledError(f"HTTP 429 {where}", response, wait)
        body = self._json_or_none(response)
        if status == HTTPStatus.UNAUTHORIZED:
            msg = (f"BigCommerce rejected the access token (HTTP 401) for store {self.store}: check access_token "
                   f"and store_hash ({_problem_text(body)})")
            raise FatalAPIError(msg)
        if status == HTTPStatus.FORBIDDEN and body is not None:
            msg = (f"BigCommerce denied access (HTTP 403) {where}: the access token is missing scope "
                   f"{self.required_scope} (the tap needs {SCOPES_NEEDED}; {_problem_text(body)})")
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
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            msg = f"unexpected answer from {url} (HTTP {status}) {where}: no `data` list"
            raise RetriableAPIError(msg, response)

    @staticmethod
    def _json_or_none(response: requests.Response) -> t.Any:  # noqa: ANN401
        try:
            return response.json()
        except ValueError:
            return None


def _problem_text(body: t.Any) -> str:  # noqa: ANN401
    """A problem+json body (`{status, title, type, errors}`) as one line."""
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


__all__ = ["BigCommerceStream", "QuotaPacer", "SyncRun", "id_str", "utc_z"]
