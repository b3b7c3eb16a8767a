"""Timestamps as the taps write them: UTC, `YYYY-MM-DDTHH:MM:SSZ` in records and bookmarks.

`parse_utc` reads the ISO-8601 forms the platforms send (a trailing `Z`, an offset with or without a colon,
any number of fractional digits, a space instead of the `T`) the same way on Python 3.10 as on 3.11+: 3.10's
`datetime.fromisoformat` takes neither a `Z` nor other than 3 or 6 fractional digits, so those forms are
rewritten into the one it takes first.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t

#: Record values, bookmarks and the run's signpost: one format, so string comparisons order them.
RECORD_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: `synced_at`, `run_started_at`, `finished_at`: to the microsecond.
MICROS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_ISO = re.compile(
    r"(?P<date>\d{4}-\d\d-\d\d)[Tt ](?P<time>\d\d:\d\d(?::\d\d)?)(?:[.,](?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d\d(?::?\d\d)?)?",
)
_RECORD = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def parse_utc(value: str | dt.datetime) -> dt.datetime:
    """An ISO-8601 (or `YYYY-MM-DD HH:MM:SS`) timestamp as an aware UTC datetime; naive values are UTC.

    Raises:
        ValueError: not a timestamp, or a date or time that does not exist.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = value.strip()
        match = _ISO.fullmatch(text)
        if match:
            fraction = match["fraction"]
            zone = match["zone"] or ""
            if zone in {"Z", "z"}:
                zone = "+00:00"
            elif zone and ":" not in zone:
                zone = f"{zone[:3]}:{zone[3:] or '00'}"
            text = f"{match['date']}T{match['time']}{'.' + (fraction + '00000')[:6] if fraction else ''}{zone}"
        parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def utc_z(value: str | dt.datetime | None) -> str | None:
    """A timestamp as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds, never rounded up); None and "" stay None.

    A value already in that form (as Shopify sends them) is only checked (a real date and time) and returned
    as it is, which saves a parse and a `strftime` per record.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str) and _RECORD.fullmatch(value):
        dt.datetime.fromisoformat(value[:-1])  # raises ValueError for a date that does not exist
        return value
    return parse_utc(value).strftime(RECORD_FORMAT)


def utc_micros(moment: dt.datetime) -> str:
    """An aware datetime as `YYYY-MM-DDTHH:MM:SS.ffffffZ`."""
    return moment.astimezone(dt.timezone.utc).strftime(MICROS_FORMAT)


def now_utc() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


__all__: t.Final = ["MICROS_FORMAT", "RECORD_FORMAT", "now_utc", "parse_utc", "utc_micros", "utc_z"]
