"""Property-based tests (hypothesis) for what the tap builds and parses itself.

- timestamp normalization: any ISO-8601 timestamp (offset, `Z` or naive) -> one `YYYY-MM-DDTHH:MM:SSZ` form,
  idempotent, never later than the instant it stands for;
- `date_modified:min` from bookmark, lookback and start_date: always a full UTC timestamp (BigCommerce
  appends the time of day to a date alone), never after an instant it must include;
- pagination state: `meta.pagination` page numbers over any total read every page once, in order.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_bigcommerce_inventory.client import MetaPaginator, parse_utc, utc_z
from tap_bigcommerce_inventory.tap import TapBigCommerceInventory

ZULU = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
zones = st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=-7)), dt.timezone(dt.timedelta(hours=5, minutes=30)),
                         None])
instants = st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(dt.datetime(2001, 1, 1), dt.datetime(2025, 12, 31)),
                     zones)


@given(instants)
def test_timestamps_normalize_to_one_form_without_rounding_up(value: dt.datetime) -> None:
    text = utc_z(value)
    assert ZULU.match(text)
    assert utc_z(text) == text == utc_z(value.isoformat()) == utc_z(text.replace("Z", "z"))
    assert dt.timedelta(0) <= parse_utc(value) - parse_utc(text) < dt.timedelta(seconds=1)


@settings(max_examples=25, deadline=None)
@given(bookmark=st.one_of(st.none(), instants), lookback=st.integers(0, 86_400), start=st.one_of(st.none(), instants))
def test_date_modified_min_includes_everything_since_bookmark_minus_lookback(bookmark, lookback, start) -> None:
    config = {"store_hash": "s", "access_token": "t", "lookback": lookback}
    if start is not None:
        config["start_date"] = start.isoformat()
    state = {"bookmarks": {"inventory_items": {"replication_key": "updated_at",
                                               "replication_key_value": utc_z(bookmark)}}} if bookmark else {}
    tap = TapBigCommerceInventory(config=config, state=state, parse_env_config=False)
    stream = tap.streams["inventory_items"]
    if stream.replication_key != "updated_at" and bookmark:
        state["bookmarks"]["inventory_items"]["replication_key"] = stream.replication_key
        tap = TapBigCommerceInventory(config=config, state=state, parse_env_config=False)
        stream = tap.streams["inventory_items"]
    stream._since = stream.modified_since()  # noqa: SLF001 - what get_records does before the first page
    params = stream.get_url_params(None, None)
    floors = [parse_utc(bookmark) - dt.timedelta(seconds=lookback)] if bookmark else []
    floors += [parse_utc(start)] if start else []
    if not floors:
        assert "date_modified:min" not in params  # no bookmark and no start date: a full read
        return
    value = params["date_modified:min"]
    assert ZULU.match(value), value
    since = parse_utc(value)
    assert since <= max(floors) < since + dt.timedelta(seconds=1)


@given(st.integers(0, 30), st.integers(1, 7))
def test_page_numbers_visit_every_page_once(total_rows: int, limit: int) -> None:
    pages = max(1, -(-total_rows // limit))
    paginator, visited = MetaPaginator(start_value=1), []
    while not paginator.finished:
        current = paginator.current_value
        visited.append(current)
        body = {"data": [], "meta": {"pagination": {"total": total_rows, "current_page": current, "total_pages": pages,
                                                    "per_page": limit}}}
        paginator.advance(SimpleNamespace(json=lambda b=body: b))
        assert len(visited) <= pages
    assert visited == list(range(1, pages + 1))
