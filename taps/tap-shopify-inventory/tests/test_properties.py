"""Property-based tests (hypothesis) for what the tap builds and parses itself.

- timestamp normalization: any aware or naive timestamp -> one `YYYY-MM-DDTHH:MM:SSZ` form, idempotent,
  never later than the instant it stands for (a filter rounded up would skip rows);
- the search query: `updated_at:>='...'` from bookmark, lookback and start_date, in Shopify's syntax,
  never after any of the instants it must include;
- pagination state: following `pageInfo` over any split of a connection reads every node once.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_shopify_inventory.client import CursorPaginator, parse_utc, utc_z
from tap_shopify_inventory.tap import TapShopifyInventory

ZULU = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SEARCH = re.compile(r"^updated_at:>='(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)'$")
zones = st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=-7)), dt.timezone(dt.timedelta(hours=5, minutes=30)),
                         None])
instants = st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(dt.datetime(2001, 1, 1), dt.datetime(2025, 12, 31)),
                     zones)


@given(instants)
def test_timestamps_normalize_to_one_form_without_rounding_up(value: dt.datetime) -> None:
    text = utc_z(value)
    assert ZULU.match(text)
    assert utc_z(text) == text == utc_z(value.isoformat())
    assert dt.timedelta(0) <= parse_utc(value) - parse_utc(text) < dt.timedelta(seconds=1)


@settings(max_examples=25, deadline=None)
@given(bookmark=st.one_of(st.none(), instants), lookback=st.integers(0, 86_400), start=st.one_of(st.none(), instants))
def test_search_query_includes_everything_since_bookmark_minus_lookback(bookmark, lookback, start) -> None:
    config = {"store": "s", "access_token": "shpat_x", "lookback": lookback}
    if start is not None:
        config["start_date"] = start.isoformat()
    state = {"bookmarks": {"inventory_items": {"replication_key": "updated_at",
                                               "replication_key_value": utc_z(bookmark)}}} if bookmark else {}
    tap = TapShopifyInventory(config=config, state=state, parse_env_config=False)
    stream = tap.streams["inventory_items"]
    stream._since = stream.updated_since()  # noqa: SLF001 - what get_records does before the first page
    query = stream.search_filter()
    floors = [parse_utc(bookmark) - dt.timedelta(seconds=lookback)] if bookmark else []
    floors += [parse_utc(start)] if start else []
    if not floors:
        assert query is None  # no bookmark and no start date: a full read
        return
    match = SEARCH.match(query)
    assert match, query
    since = parse_utc(match[1])
    assert since <= max(floors) < since + dt.timedelta(seconds=1)  # never skips, never re-reads a second more


@given(st.integers(0, 40), st.integers(1, 9))
def test_cursor_pages_read_every_node_once(total: int, page: int) -> None:
    nodes = list(range(total))
    paginator = CursorPaginator("$.data.inventoryItems.pageInfo")
    seen, cursor = [], None
    while True:
        start = 0 if cursor is None else int(cursor) + 1
        chunk = nodes[start:start + page]
        body = {"data": {"inventoryItems": {"nodes": chunk, "pageInfo": {
            "hasNextPage": start + page < total, "endCursor": str(chunk[-1]) if chunk else None}}}}
        seen += chunk
        response = SimpleNamespace(json=lambda b=body: b)
        paginator.advance(response)
        if paginator.finished:
            break
        cursor = paginator.current_value
    assert seen == nodes
