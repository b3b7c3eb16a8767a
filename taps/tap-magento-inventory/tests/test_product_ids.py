"""inventory_levels takes product ids from the products inventory_items emitted earlier in the run; when those
are not every product (an incremental run, or the levels first or alone), one pass lists every product's id and
SKU, never more requests than a page of source items each; the records are the same either way (offline fake
store)."""

from __future__ import annotations

import contextlib
import io
import json
import typing as t

import pytest
import responses
from conftest import run_tap
from fakes import FakeMagento, config
from singer_inventory_kit.testing import Run, singer_messages

from tap_magento_inventory.tap import TapMagentoInventory


@pytest.fixture
def fake() -> t.Iterator[FakeMagento]:
    store = FakeMagento()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        store.install(rsps)
        yield store


def sku_lookups(fake: FakeMagento) -> list[list[str]]:
    """The SKUs asked for by each `products?sku in (...)` request, in order."""
    return [
        c["query"]["searchCriteria[filter_groups][0][filters][0][value]"].split(",")
        for c in fake.calls("/V1/products")
        if c["query"].get("searchCriteria[filter_groups][0][filters][0][field]") == "sku"
    ]


def id_passes(fake: FakeMagento) -> list[dict]:
    """The `products?fields=items[id,sku]` requests: the one pass over every product's id."""
    return [c for c in fake.calls("/V1/products") if c["query"].get("fields") == "items[id,sku],total_count"]


def levels_only() -> dict:
    catalog = TapMagentoInventory(config=config()).catalog_dict
    for stream in catalog["streams"]:
        selected = stream["tap_stream_id"] in {"inventory_levels", "sync_runs"}
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = selected
    return catalog


def stable(rows: list[dict]) -> list[dict]:
    clean = [{k: v for k, v in r.items() if k != "synced_at"} for r in rows]
    return sorted(clean, key=lambda r: json.dumps(r, sort_keys=True))


def test_full_sync_reuses_the_ids_of_inventory_items_and_emits_the_same_levels(fake: FakeMagento) -> None:
    full = run_tap(config())
    # Every product was read: no lookup at all (GHOST, a source item whose SKU has no product, is skipped).
    assert sku_lookups(fake) == []
    assert id_passes(fake) == []
    fake.requests.clear()
    alone = run_tap(config(), catalog=levels_only())
    assert set(alone.records) == {"inventory_levels", "sync_runs"}
    # Alone, the levels list every product's id once (7 products, 3 a page), and ask nothing else.
    assert len(id_passes(fake)) == 3
    assert sku_lookups(fake) == []
    assert stable(full.records["inventory_levels"]) == stable(alone.records["inventory_levels"])
    assert len(full.records["inventory_levels"]) == 8  # noqa: PLR2004  GHOST skipped both ways


def test_levels_synced_before_items_list_the_ids_once_and_items_keep_no_ids(fake: FakeMagento) -> None:
    """Nothing relies on the SDK syncing inventory_items before inventory_levels (name order)."""
    in_name_order = run_tap(config())
    fake.requests.clear()
    tap = TapMagentoInventory(config=config())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tap.streams["inventory_levels"].sync()  # type: ignore[attr-defined]
        assert tap.lookups.sku_ids == {}  # type: ignore[attr-defined]
        tap.streams["inventory_items"].sync()  # type: ignore[attr-defined]
    reversed_order = Run(singer_messages(out.getvalue()))
    assert len(id_passes(fake)) == 3
    assert sku_lookups(fake) == []
    assert stable(reversed_order.records["inventory_levels"]) == stable(in_name_order.records["inventory_levels"])
    assert stable(reversed_order.records["inventory_items"]) == stable(in_name_order.records["inventory_items"])
    assert tap.lookups.sku_ids == {}  # type: ignore[attr-defined]  # the levels were read: nothing to keep ids for


def test_an_incremental_run_is_never_dearer_than_a_full_one(fake: FakeMagento) -> None:
    """Its items emit one product; the levels list every id once instead of asking page by page."""
    first = run_tap(config())
    full_requests = len(fake.requests)
    fake.products[0]["updated_at"] = "2099-01-01 00:00:00"  # only SKU-1 is newer than the bookmark
    fake.requests.clear()
    second = run_tap(config(), state=first.state)
    assert [r["sku"] for r in second.records["inventory_items"]] == ["SKU-1"]
    assert len(id_passes(fake)) == 3
    assert sku_lookups(fake) == []
    assert len(fake.requests) <= full_requests
    assert stable(second.records["inventory_levels"]) == stable(first.records["inventory_levels"])


def test_levels_alone_ask_no_more_than_a_request_per_page_of_source_items(fake: FakeMagento) -> None:
    """Without inventory_items: one id pass (a product has at least one source item, so it has no more pages
    than the source items) and the ids are let go when the levels end."""
    run = run_tap(config(), catalog=levels_only())
    product_requests = len(fake.calls("/V1/products"))
    assert product_requests <= len(fake.calls("/V1/inventory/source-items"))
    ids = {r["sku"]: r["inventory_item_id"] for r in run.records["inventory_levels"]}
    assert ids == {"SKU-1": "1", "SKU-2": "2", "SKU-3": "3", "SKU-4": "4", "SKU-5": "5", "SKU-7": "7"}
    tap = TapMagentoInventory(config=config(), catalog=levels_only())
    tap.sync_all()
    assert tap.lookups.sku_ids == {}
    assert not tap.lookups.every_id_known


def test_legacy_stock_items_are_let_go_after_inventory_items_with_msi(fake: FakeMagento) -> None:
    tap = TapMagentoInventory(config=config())
    tap.sync_all()
    assert tap.lookups.stock_items is None  # type: ignore[attr-defined]
    assert len(fake.calls("/V1/stockItems/lowStock")) == 3  # noqa: PLR2004  read once: 7 products, 3 a page


def test_without_msi_legacy_stock_items_are_read_once_for_items_and_levels() -> None:
    store = FakeMagento(msi=False)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        store.install(rsps)
        run = run_tap(config())
    assert len(run.records["inventory_levels"]) == 6  # noqa: PLR2004
    assert len(store.calls("/V1/stockItems/lowStock")) == 3  # noqa: PLR2004


def test_product_ids_are_kept_only_for_levels_and_let_go_when_they_end(fake: FakeMagento) -> None:
    """Ids kept as ints come back as the same strings inventory_items emitted; nothing is kept afterwards."""
    tap = TapMagentoInventory(config=config())
    kept_sizes: list[int] = []
    levels = tap.streams["inventory_levels"]
    original = levels.product_ids_for  # type: ignore[attr-defined]

    def spy(skus: t.Iterable[str]) -> dict[str, str]:
        kept_sizes.append(len(tap.lookups.sku_ids))  # type: ignore[attr-defined]
        found = original(skus)
        assert all(type(v) is str for v in found.values())
        return found

    levels.product_ids_for = spy  # type: ignore[attr-defined]
    tap.sync_all()
    assert kept_sizes
    assert max(kept_sizes) == len(fake.products)
    assert tap.lookups.sku_ids == {}  # type: ignore[attr-defined]

    catalog = TapMagentoInventory(config=config()).catalog_dict
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == [] and stream["tap_stream_id"] == "inventory_levels":
                entry["metadata"]["selected"] = False
    items_only = TapMagentoInventory(config=config(), catalog=catalog)
    items_only.sync_all()
    assert items_only.lookups.sku_ids == {}  # type: ignore[attr-defined]  # nothing would read them
