"""The platform-neutral half of an inventory tap's API stream.

`InventoryStream` is a `RESTStream` (a GraphQL stream too: singer-sdk's `GraphQLStream` is one) that adds what
every inventory tap does the same way, whatever the platform:

- **the run**: records stamped with `store_id` and the run's `synced_at`; when a stream has emitted every row
  it read, its bookmark advances to the run's start (the signpost) and `sync_runs` gets its row;
- **the since-window**: an incremental read starts at the bookmark minus `lookback` seconds, never before
  `start_date`, and reads everything with `reconcile`;
- **progress**: pages, rate-limit waits and records, in lines a person can follow (`SyncProgress`);
- **retries** on top of singer-sdk's backoff hooks: failures (5xx, timeouts, resets, answers that are not
  what the API sends) are retried with exponential backoff, `max_retries` times and for `max_retry_seconds`
  at most; a `ThrottledError` is waited out for as long as the platform asks and never counts as a failure;
  when the retries are used up, the run ends with one line instead of a traceback;
- **bookmarks per store**: a bookmark carries the store it was taken in, and a bookmark of another store (a
  state left by the demo, or by the store this plugin read before) is not used: the stream reads everything.

What stays in the tap is the platform: URL, authentication, paging, the rate-limit model (a tap paces itself
in `wait_for_rate_limit` and raises `ThrottledError` from `validate_response`), the mapping of rows to records,
and the words of its errors.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from http import HTTPStatus

import backoff
import requests
from singer_sdk import metrics
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.streams import RESTStream

from singer_inventory_kit.progress import SyncProgress
from singer_inventory_kit.settings import LOOKBACK_SECONDS, MAX_RETRIES, MAX_RETRY_SECONDS, REQUEST_TIMEOUT_SECONDS
from singer_inventory_kit.timestamps import parse_utc, utc_z

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from singer_inventory_kit.run import SyncRun

#: What is retried with exponential backoff (as singer-sdk's own `request_decorator` does).
RETRIED_ERRORS: tuple[type[Exception], ...] = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
#: Failures to get any answer: once retries are used up, they end the run in one line.
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (ConnectionResetError, requests.exceptions.RequestException)


class ThrottledError(RetriableAPIError):
    """The platform asked us to slow down: retried after `wait` seconds, never counted against `max_retries`."""

    #: Whether the wait is a rate-limit wait a person should see (logged, counted in the progress figures).
    rate_limited: t.ClassVar[bool] = True

    def __init__(self, message: str, response: requests.Response | None, wait: float) -> None:
        """Carry the wait the answer implies."""
        super().__init__(message, response)
        self.wait = wait


class InventoryStream(RESTStream):
    """Base of an inventory tap's API streams: run, bookmark, since-window, progress and retries.

    The tap must be an `InventoryTap` (it has `run` and `store_id`). A stream says whether its read is a full
    snapshot (`is_full_snapshot`) and maps a row to its columns (`to_record`); `read_rows` may replace the
    SDK's paged read.
    """

    #: Throttling waits before giving up: a safety net far beyond any real throttling spell.
    THROTTLE_MAX_TRIES: t.ClassVar[int] = 500
    #: How the log names a rate-limit wait ("Throttled by Shopify: waiting 1.72s (...)").
    throttled_by: t.ClassVar[str] = "Rate limited"
    #: Errors that end the run in one line (`gave_up_message`) once retries are used up.
    gives_up_on: t.ClassVar[tuple[type[Exception], ...]] = TRANSPORT_ERRORS

    #: Progress of the current sync (records, pages, rate-limit waits); None outside a sync.
    progress: SyncProgress | None = None

    #: Rows may come in any order: the bookmark is the run's start, never the largest value seen.
    is_sorted = False

    # -- the store and the run

    @property
    def store_id(self) -> str:
        """The store every record belongs to (the tap's `store_id`)."""
        return t.cast("str", self._tap.store_id)  # type: ignore[attr-defined]

    @property
    def run(self) -> SyncRun:
        """What all streams of this tap run share."""
        return t.cast("SyncRun", self._tap.run)  # type: ignore[attr-defined]

    @property
    def timeout(self) -> int:
        """`request_timeout` setting."""
        return int(self.config.get("request_timeout", REQUEST_TIMEOUT_SECONDS))

    @property
    def is_full_snapshot(self) -> bool:
        """Whether this run emits every row of the stream that exists at the source (`sync_runs`)."""
        raise NotImplementedError

    # -- the since-window

    def since_window(self) -> str | None:
        """Where an incremental read starts: the bookmark minus `lookback` seconds, never before `start_date`.

        None reads everything: no bookmark and no start date, or `reconcile` asks for a full snapshot.
        """
        if self.config.get("reconcile"):
            return None
        candidates = []
        state = self.get_context_state(None)
        bookmark = state.get("replication_key_value")
        if bookmark and "store_id" in state and state["store_id"] != self.store_id:  # an older bookmark names no store
            self.logger.warning(
                "The bookmark of %s was taken in store %s, not %s: reading %s in full",
                self.name, state["store_id"], self.store_id, self.name,
            )
            bookmark = None
        if bookmark and state.get("replication_key") == self.replication_key:
            lookback = dt.timedelta(seconds=int(self.config.get("lookback", LOOKBACK_SECONDS)))
            candidates.append(parse_utc(bookmark) - lookback)
        if start_date := self.config.get("start_date"):
            candidates.append(parse_utc(start_date))
        return utc_z(max(candidates)) if candidates else None

    # -- records, bookmark, sync_runs

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """The stream's rows (`read_rows`); once all are emitted, the bookmark and the `sync_runs` entry."""
        rows = self.read_rows(context)
        if rows is None:
            return
        yield from rows  # the SDK calls post_process on each
        self.complete(context)

    def read_rows(self, context: Context | None) -> t.Iterable[dict] | None:
        """Raw rows of the stream (default: the SDK's paged read); None when the stream is off for this run."""
        return self.request_records(context)

    def complete(self, context: Context | None) -> None:
        """Every row was emitted: the bookmark may advance to the run start (signpost); `sync_runs` says so.

        The SDK keeps the bookmark in progress markers until the stream finishes and caps it at the signpost,
        so an interrupted run leaves the previous bookmark in place.
        """
        if self.replication_key and self.selected:
            self._increment_stream_state({self.replication_key: self.run.signpost}, context=context)
            self.get_context_state(context)["store_id"] = self.store_id  # whose bookmark it is
        self.run.mark_completed(self.name, is_full_snapshot=self.is_full_snapshot)

    def get_replication_key_signpost(self, context: Context | None = None) -> str | None:  # noqa: ARG002
        """The run start, in the same string format as record values."""
        return self.run.signpost if self.replication_key else None

    def to_record(self, row: dict) -> dict | None:
        """The stream's columns for one raw row (without `store_id`, `synced_at`); None drops the row.

        The default takes the row as it is (for streams that map rows in `parse_response`).
        """
        return row

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:  # noqa: ARG002
        """Normalized record: `store_id`, the stream's columns, `synced_at`."""
        record = self.to_record(row)
        if record is None:
            return None
        return {"store_id": self.store_id, **record, "synced_at": self.run.synced_at}

    # -- progress

    def get_record_counter(
        self,
        *,
        endpoint: str | None = None,  # noqa: ARG002
        log_interval: float = metrics.DEFAULT_LOG_INTERVAL,
    ) -> SyncProgress:
        """Count records as the SDK does, with progress and a summary line a person can follow."""
        self.progress = SyncProgress(self.name, self.logger, log_interval)
        return self.progress

    def note_wait(self, seconds: float) -> None:
        """One more rate-limit wait of the current sync."""
        if self.progress:
            self.progress.waited(seconds)

    def note_page(self) -> None:
        """One more answered request of the current sync."""
        if self.progress:
            self.progress.page()

    # -- transport: pacing and retries

    def wait_for_rate_limit(self) -> float:
        """Sleep before a request until the platform's rate limit has room for it; the seconds slept.

        The default never waits: a platform whose limits the tap can see ahead overrides this.
        """
        return 0.0

    def _request(self, prepared_request: requests.PreparedRequest, context: Context | None) -> requests.Response:
        """Wait for room in the rate limit, send (the SDK's `_request`: `validate_response` checks), count the page."""
        waited = self.wait_for_rate_limit()
        if waited:
            self.note_wait(waited)
        response = super()._request(prepared_request, context)
        self.note_page()
        return response

    def request_decorator(self, func: t.Callable) -> t.Callable:
        """The SDK's backoff for failures (`max_retries`), plus waits for throttling that do not count.

        The inner decorator retries `RETRIED_ERRORS` with `backoff_wait_generator`, `backoff_max_tries()`
        times. A `ThrottledError` bypasses it and is retried by the outer decorator after the wait the
        platform implies. When the retries are used up, a `gives_up_on` error becomes one `FatalAPIError`
        line (`gave_up_message`).
        """
        retried = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIED_ERRORS,
            max_tries=self.backoff_max_tries,
            max_time=self.backoff_max_seconds,
            giveup=lambda exc: isinstance(exc, ThrottledError),
            on_backoff=self.backoff_handler,
            on_giveup=self._note_gave_up,
            jitter=self.backoff_jitter,
            logger=None,
        )(func)
        throttled = backoff.on_exception(
            backoff.runtime,
            ThrottledError,
            value=lambda exc: exc.wait,
            jitter=None,
            max_tries=self.THROTTLE_MAX_TRIES,
            on_backoff=self._throttle_handler,
            logger=None,
        )(retried)

        def request(*args: t.Any, **kwargs: t.Any) -> requests.Response:  # noqa: ANN401
            try:
                return t.cast("requests.Response", throttled(*args, **kwargs))
            except self.gives_up_on as exc:
                raise FatalAPIError(self.gave_up_message(exc)) from exc

        return request

    #: Tries and seconds of the request that gave up last (for `gave_up_message`).
    gave_up_after: tuple[int, float] = (0, 0.0)

    def _note_gave_up(self, details: t.Any) -> None:  # noqa: ANN401
        self.gave_up_after = (int(details.get("tries", 0)), float(details.get("elapsed", 0.0)))

    def tries_text(self) -> str:
        """How many tries, in how long, the last request that gave up made: `3 tries in 14.5 s`."""
        tries, seconds = self.gave_up_after
        return f"{tries or self.backoff_max_tries()} tries in {seconds:.1f} s"

    def gave_up_message(self, exc: BaseException) -> str:
        """The one line that ends the run when retries are used up (no request object: no token)."""
        detail = " ".join(str(exc).split()) or type(exc).__name__
        return (
            f"could not get an answer from {self.url_base}{self.path} for store {self.store_id} "
            f"after {self.tries_text()}: {type(exc).__name__}: {detail}"
        )

    def backoff_wait_generator(self) -> t.Generator[float, None, None]:  # noqa: PLR6301
        """Exponential backoff: 0.5, 1, 2, 4 ... seconds, at most 30."""
        return backoff.expo(base=2, factor=0.5, max_value=30)

    def backoff_max_tries(self) -> int:
        """First try plus `max_retries` retries."""
        return int(self.config.get("max_retries", MAX_RETRIES)) + 1

    def backoff_max_seconds(self) -> float:
        """`max_retry_seconds`: no retry starts after this long since the request's first try."""
        return float(self.config.get("max_retry_seconds", MAX_RETRY_SECONDS))

    def backoff_handler(self, details: t.Any) -> None:  # noqa: ANN401
        """One line per retry, without request objects (no headers, no token); a retried 429 is a rate-limit wait."""
        exc = details.get("exception")
        self.logger.warning(
            "Retrying %s request in %.1fs after try %d: %s",
            self.name,
            details.get("wait") or 0.0,
            details.get("tries", 0),
            exc,
        )
        response = getattr(exc, "response", None)
        if response is not None and response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
            self.note_wait(details.get("wait") or 0.0)

    def _throttle_handler(self, details: t.Any) -> None:  # noqa: ANN401
        exc = details.get("exception")
        if not getattr(exc, "rate_limited", True):
            return
        wait = details.get("wait") or 0.0
        self.logger.info("%s: waiting %.2fs (%s)", self.throttled_by, wait, exc)
        self.note_wait(wait)


__all__ = ["RETRIED_ERRORS", "TRANSPORT_ERRORS", "InventoryStream", "ThrottledError"]
