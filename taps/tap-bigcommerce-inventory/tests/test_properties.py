"""Property-based tests (hypothesis) for what the tap builds and parses itself.

- `date_modified:min` from bookmark, lookback and start_date: always a full UTC timestamp (BigCommerce
  appends the time of day to a date alone), never after an instant it must include;
- pagination state: `meta.pagination` page numbers over any total read every page once, in order.

(Timestamp normalization itself is the kit's, tested there.)
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from singer_inventory_kit.testing import SinceCase, since_cases

from tap_bigcommerce_inventory.client import MetaPaginator
from tap_bigcommerce_inventory.tap import TapBigCommerceInventory

ZULU = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@settings(max_examples=25, deadline=None)
@given(since_cases())
def test_date_modified_min_includes_everything_since_bookmark_minus_lookback(case: SinceCase) -> None:
    config = case.config(store_hash="s", access_token="t")
    tap = TapBigCommerceInventory(config=config, state=case.state("inventory_items"), parse_env_config=False)
    stream = tap.streams["inventory_items"]
    assert stream.replication_key == "updated_at"
    stream._since = stream.modified_since()  # noqa: SLF001 - what read_rows does before the first page
    value = stream.get_url_params(None, None).get("date_modified:min")
    assert value is None or ZULU.match(value), value  # always a full UTC timestamp
    case.check(value)  # none without bookmark and start; never skips, never a second more


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
