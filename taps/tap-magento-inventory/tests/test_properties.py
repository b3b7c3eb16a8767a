"""Property-based tests (hypothesis) for what the tap builds and parses itself.

- searchCriteria: any filter groups, sort orders and paging round-trip through Magento's bracket syntax,
  and there is always a `searchCriteria` key (Magento answers 400 without one);
- timestamp normalization: ISO-8601 and Magento's zone-less `YYYY-MM-DD HH:MM:SS` agree, idempotent,
  never later than the instant; the products filter never starts after bookmark minus lookback;
- pagination state: over any total and page size, with Magento's repeat of the last page for a page past the
  end and rows vanishing mid-read, every row still there is fetched and paging stops after one repeat at most.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from singer_inventory_kit import parse_utc, utc_z
from singer_inventory_kit.testing import SinceCase, instants, since_cases

from tap_magento_inventory.client import SearchCriteriaPaginator, magento_time, search_criteria
from tap_magento_inventory.tap import TapMagentoInventory

ZULU = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
BRACKETS = re.compile(r"^searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(field|value|condition_type)\]$")
words = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=","), min_size=1, max_size=12)
conditions = st.sampled_from(["eq", "gteq", "in", "like", "neq"])
filters = st.tuples(words, st.one_of(words, st.integers(-5, 10**9)), conditions)


def _parse(params: dict[str, str]):
    groups: dict[int, dict[int, dict[str, str]]] = {}
    for key, value in params.items():
        if m := BRACKETS.match(key):
            groups.setdefault(int(m[1]), {}).setdefault(int(m[2]), {})[m[3]] = value
    return [[(f["field"], f["value"], f["condition_type"]) for _, f in sorted(g.items())]
            for _, g in sorted(groups.items())]


@given(st.lists(st.lists(filters, min_size=1, max_size=3), max_size=3),
       st.lists(st.tuples(words, st.sampled_from(["ASC", "DESC"])), max_size=2),
       st.one_of(st.none(), st.integers(1, 500)), st.one_of(st.none(), st.integers(1, 99)))
def test_search_criteria_round_trip(groups, sort, page_size, current_page) -> None:
    params = search_criteria(groups=groups, sort=sort, page_size=page_size, current_page=current_page)
    assert any(k.startswith("searchCriteria") for k in params)
    assert _parse(params) == [[(f, str(v), c) for f, v, c in g] for g in groups]
    for i, (field_name, direction) in enumerate(sort):
        assert params[f"searchCriteria[sortOrders][{i}][field]"] == field_name
        assert params[f"searchCriteria[sortOrders][{i}][direction]"] == direction
    assert params.get("searchCriteria[pageSize]") == (None if page_size is None else str(page_size))
    assert params.get("searchCriteria[currentPage]") == (None if current_page is None else str(current_page))


@given(instants())
def test_timestamps_normalize_in_both_formats(value: dt.datetime) -> None:
    text = utc_z(value)
    assert ZULU.match(text)
    assert utc_z(magento_time(value)) == utc_z(text) == text == utc_z(value.isoformat())
    assert dt.timedelta(0) <= parse_utc(value) - parse_utc(text) < dt.timedelta(seconds=1)


@settings(max_examples=25, deadline=None)
@given(since_cases())
def test_products_filter_includes_everything_since_bookmark_minus_lookback(case: SinceCase) -> None:
    config = case.config(base_url="http://127.0.0.1:9", access_token="t")
    tap = TapMagentoInventory(config=config, state=case.state("inventory_items"), parse_env_config=False)
    stream = tap.streams["inventory_items"]
    assert stream.replication_key == "updated_at"
    stream._since = stream.since_window()  # noqa: SLF001 - what read_rows does before the first page
    groups = stream.filter_groups()
    value = None
    if groups:
        [[(field_name, value, condition)]] = groups
        assert (field_name, condition) == ("updated_at", "gteq")
    case.check(value)  # no filter without bookmark and start; never skips, never a second more


@given(st.integers(0, 40), st.integers(1, 9), st.integers(0, 5), st.integers(0, 3))
def test_paging_reaches_every_row_and_stops_despite_last_page_repeat(total, size, vanish_at, vanish) -> None:
    """The pages fetched hold every row still there; a clamped repeat ends paging (the stream then drops the
    repeated rows by `row_key`), so paging never loops."""
    rows = [{"sku": f"S{n}"} for n in range(total)]
    paginator, seen, requests_made = SearchCriteriaPaginator(size), [], 0
    while not paginator.finished:
        requests_made += 1
        if requests_made == vanish_at + 1:
            del rows[len(rows) - min(vanish, len(rows)):]  # rows deleted at the end while we read
        pages = max(1, -(-len(rows) // size))
        page = min(paginator.current_value, pages)  # Magento clamps a page past the end to the last page
        items = rows[(page - 1) * size: page * size]
        seen += items
        body = {"items": items, "total_count": len(rows)}
        paginator.advance(SimpleNamespace(json=lambda b=body: b))
        assert requests_made <= total + 2
    assert {r["sku"] for r in rows} <= {r["sku"] for r in seen}
    assert requests_made <= max(1, -(-total // size)) + 1  # at most one repeated page
