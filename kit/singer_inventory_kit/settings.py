"""The settings the kit reads, declared once: type, title, default and bounds; the words are the tap's.

Each function returns a `singer_sdk.typing.Property` for a tap's `config_jsonschema`. A tap passes the
description in its platform's words (which filter a start date applies to, what a retry covers), so `--about`,
the README tables and the Meltano settings say exactly what the setting does there.
"""

from __future__ import annotations

from singer_sdk import typing as th

#: Defaults of the settings the kit reads (the schema's `default`, and what the kit assumes when one is absent).
LOOKBACK_SECONDS = 300
REQUEST_TIMEOUT_SECONDS = 60
MAX_RETRIES = 8
#: Retries of one failing request stop after this long: a host that refuses, or a page that is not the API's,
#: ends the run in seconds, well inside a one-minute schedule, instead of after every retry (~90 s).
MAX_RETRY_SECONDS = 15


def start_date(description: str) -> th.Property:
    """`start_date`: where the first incremental read starts (no default: everything).

    A string, checked by the tap as ISO 8601 (`InventoryTap`): declared as a date-time, Meltano would turn
    `05/12/2025` into 12 May instead of refusing it."""
    return th.Property(
        "start_date",
        th.StringType,
        title="Start Date",
        description=f"{description} ISO 8601: `2025-12-05` or `2025-12-05T00:00:00Z`.",
    )


def lookback(description: str) -> th.Property:
    """`lookback`: seconds re-read before the bookmark on each incremental run."""
    return th.Property(
        "lookback", th.IntegerType(minimum=0), default=LOOKBACK_SECONDS, title="Lookback", description=description
    )


def reconcile(description: str) -> th.Property:
    """`reconcile`: read everything and mark the read a full snapshot in `sync_runs`."""
    return th.Property("reconcile", th.BooleanType, default=False, title="Reconcile", description=description)


def request_timeout(description: str = "Seconds to wait for each HTTP request.") -> th.Property:
    """`request_timeout`: seconds to wait for each HTTP request."""
    return th.Property(
        "request_timeout",
        th.IntegerType(minimum=1),
        default=REQUEST_TIMEOUT_SECONDS,
        title="Request Timeout",
        description=description,
    )


def max_retries(description: str) -> th.Property:
    """`max_retries`: retries of a failed request with exponential backoff (throttling waits do not count)."""
    return th.Property(
        "max_retries", th.IntegerType(minimum=0), default=MAX_RETRIES, title="Max Retries", description=description
    )


def max_retry_seconds(
    description: str = (
        "Give up on a failing request after this many seconds of retries, or after max_retries, whichever comes "
        "first. Rate-limit waits do not count."
    ),
) -> th.Property:
    """`max_retry_seconds`: the time budget of one request's retries (rate-limit waits excluded)."""
    return th.Property(
        "max_retry_seconds",
        th.IntegerType(minimum=0),
        default=MAX_RETRY_SECONDS,
        title="Max Retry Seconds",
        description=description,
    )


__all__ = [
    "LOOKBACK_SECONDS",
    "MAX_RETRIES",
    "MAX_RETRY_SECONDS",
    "REQUEST_TIMEOUT_SECONDS",
    "lookback",
    "max_retries",
    "max_retry_seconds",
    "reconcile",
    "request_timeout",
    "start_date",
]
