"""inventory_levels skips the SDK's per-value conforming: its records must already be what conforming would make
of them, and valid against the schema, even for awkward source items (offline fake store)."""

from __future__ import annotations

import json
import logging
import typing as t

import jsonschema
import pytest
import responses
from conftest import run_tap
from fakes import FakeMagento, config
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_magento_inventory.streams import InventoryLevelsStream
from tap_magento_inventory.tap import TapMagentoInventory

AWKWARD = [  # (quantity, status) as a store or a plugin in front of it might send them
    ("7.5", "1"),  # numbers as text
    (None, None),
    ("NaN", 1),  # as text: Python's float() reads them (NaN and Infinity tokens are refused as bad JSON)
    ("1e999", 1),
    (-5.0, 1),
    (2147483647.0, 1),
    (3.999, 0),
    (0, 1),
    ("", 0),
]


@pytest.fixture
def fake() -> t.Iterator[FakeMagento]:
    store = FakeMagento()
    for n, (quantity, status) in enumerate(AWKWARD):
        sku = f"SKU-{n + 1}" if n < 5 else "SKU-7"  # noqa: PLR2004  SKUs that have products
        store.source_items.append({"sku": sku, "source_code": f"extra-{n}", "quantity": quantity, "status": status})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        store.install(rsps)
        yield store


def without_synced_at(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "synced_at"} for r in rows]


def test_levels_skip_conforming() -> None:
    assert InventoryLevelsStream.TYPE_CONFORMANCE_LEVEL == TypeConformanceLevel.NONE


def test_levels_records_are_already_conformed_and_valid() -> None:
    """Records as `post_process` hands them to the SDK (before its writer, which also nulls NaN)."""
    stream = TapMagentoInventory(config=config()).streams["inventory_levels"]
    rows = [{"sku": f"SKU-{n}", "source_code": f"src-{n}", "quantity": quantity, "status": status, "_product_id": "9"}
            for n, (quantity, status) in enumerate(AWKWARD)]  # fmt: skip
    records = [stream.post_process(dict(row)) for row in rows]
    for record in records:
        jsonschema.validate(record, stream.schema)
        json.dumps(record, allow_nan=False)  # NaN and infinity are not JSON: they must have become null
        conformed = conform_record_data_types("inventory_levels", dict(record), stream.schema,
                                              TypeConformanceLevel.RECURSIVE, logging.getLogger("test"))  # fmt: skip
        assert conformed == record
    by_source = {r["location_id"]: r for r in records}
    assert (by_source["src-0"]["quantity"], by_source["src-0"]["on_hand"], by_source["src-0"]["status"]) == (7.5, 7, 1)
    assert (by_source["src-2"]["quantity"], by_source["src-2"]["on_hand"]) == (None, None)  # NaN
    assert (by_source["src-3"]["quantity"], by_source["src-3"]["on_hand"]) == (None, None)  # infinity


def test_levels_records_equal_those_with_conforming_on(fake: FakeMagento, monkeypatch: pytest.MonkeyPatch) -> None:
    skipped = run_tap(config()).records["inventory_levels"]
    assert len(skipped) == 8 + len(AWKWARD)
    monkeypatch.setattr(InventoryLevelsStream, "TYPE_CONFORMANCE_LEVEL", TypeConformanceLevel.RECURSIVE)
    conformed = run_tap(config()).records["inventory_levels"]
    assert without_synced_at(skipped) == without_synced_at(conformed)


def test_repeated_rows_are_dropped_and_distinct_rows_kept_apart() -> None:
    """The per-run key of a row is one string: values that would run together still make different keys."""
    stream = TapMagentoInventory(config=config()).streams["inventory_levels"]
    rows = [
        {"sku": "a\x1fb", "source_code": "c"},
        {"sku": "a", "source_code": "b\x1fc"},
        {"sku": "1", "source_code": "x"},
        {"sku": 1, "source_code": "x"},
        {"sku": "a\x1fb", "source_code": "c"},  # the first row again (a repeated page)
    ]
    emitted = [stream.post_process({**row, "quantity": 1, "status": 1, "_product_id": "9"}) for row in rows]
    assert [r is not None for r in emitted] == [True, True, True, True, False]
