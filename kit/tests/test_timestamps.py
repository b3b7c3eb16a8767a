"""Timestamps: every ISO-8601 form the platforms send reads the same, on Python 3.10 as on 3.11+.

The record form `YYYY-MM-DDTHH:MM:SSZ` is what bookmarks are compared in, so it must never round up (a filter
rounded up would skip rows) and must stay the same when read again.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from singer_inventory_kit import timestamps
from singer_inventory_kit.timestamps import parse_utc, utc_micros, utc_z

ZULU = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
#: What `datetime.fromisoformat` takes on Python 3.10 (its documentation): no `Z`, 3 or 6 fractional digits.
PY310_ISO = re.compile(r"\d{4}-\d\d-\d\d(.\d\d(:\d\d(:\d\d(\.\d{3}(\d{3})?)?)?)?([+-]\d\d:\d\d(:\d\d(\.\d{6})?)?)?)?")
zones = st.sampled_from(
    [dt.timezone.utc, dt.timezone(dt.timedelta(hours=-7)), dt.timezone(dt.timedelta(hours=5, minutes=30)), None]
)
instants = st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(dt.datetime(2001, 1, 1), dt.datetime(2025, 12, 31)),
                     zones)  # fmt: skip
UTC = dt.timezone.utc


FORMS = [
    ("2026-01-01T10:00:00Z", dt.datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ("2026-01-01T10:00:00z", dt.datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ("2026-01-01T10:00:00.25Z", dt.datetime(2026, 1, 1, 10, 0, 0, 250000, tzinfo=UTC)),
    ("2026-01-01T10:00:00.123456789Z", dt.datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)),  # truncated
    ("2026-01-01T05:00:00-05:00", dt.datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ("2026-01-01T15:30:00+0530", dt.datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ("2026-01-01T12:00:00+02", dt.datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ("2026-01-01 10:00:00", dt.datetime(2026, 1, 1, 10, tzinfo=UTC)),  # Magento: zone-less UTC
    ("2026-01-01T10:00", dt.datetime(2026, 1, 1, 10, tzinfo=UTC)),
    (" 2026-01-01T10:00:00+00:00 ", dt.datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ("2026-01-01", dt.datetime(2026, 1, 1, tzinfo=UTC)),
]


@pytest.mark.parametrize(("text", "expected"), FORMS)
def test_iso_forms_read_as_utc(text: str, expected: dt.datetime) -> None:
    assert parse_utc(text) == expected
    assert parse_utc(text).tzinfo == UTC


@pytest.mark.parametrize("text", ["2026-02-30T00:00:00Z", "yesterday", "2026-01-01T25:00:00Z", ""])
def test_what_is_not_a_timestamp_raises(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - datetime's own errors
        parse_utc(text)


def test_python_310_grammar_is_all_fromisoformat_sees(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every form above reaches `datetime.fromisoformat` only as Python 3.10 reads it (no `Z`, 6 digits)."""
    seen: list[str] = []
    real = dt.datetime

    class Checked(dt.datetime):
        @classmethod
        def fromisoformat(cls, text: str) -> dt.datetime:  # type: ignore[override]
            seen.append(text)
            assert PY310_ISO.fullmatch(text), f"Python 3.10 refuses {text!r}"
            return real.fromisoformat(text)

    monkeypatch.setattr(timestamps.dt, "datetime", Checked)
    for text, _ in FORMS:
        parse_utc(text)
        utc_z(text)
    assert len(seen) >= 20  # noqa: PLR2004


@given(instants)
def test_timestamps_normalize_to_one_form_without_rounding_up(value: dt.datetime) -> None:
    text = utc_z(value)
    assert ZULU.match(text)
    assert utc_z(text) == text == utc_z(value.isoformat()) == utc_z(text.replace("Z", "z"))
    assert dt.timedelta(0) <= parse_utc(value) - parse_utc(text) < dt.timedelta(seconds=1)


@given(st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_utc_z_returns_record_timestamps_as_the_slow_path_formats_them(moment: dt.datetime) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert utc_z(text) == parse_utc(text).strftime("%Y-%m-%dT%H:%M:%SZ") == text


def test_utc_z_still_rejects_a_date_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="day is out of range"):
        utc_z("2026-02-30T00:00:00Z")
    assert utc_z("2026-01-01T05:00:00-05:00") == "2026-01-01T10:00:00Z"  # other forms still converted
    assert utc_z(None) is None
    assert utc_z("") is None


def test_micros() -> None:
    assert utc_micros(dt.datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=UTC)) == "2026-03-04T05:06:07.000089Z"
