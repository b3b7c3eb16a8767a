"""What the tap skips per record and per page changes nothing in what it writes.

`inventory_levels` skips the SDK's per-value type conforming, each page body is decoded once,
and bulk results are decoded a chunk of lines at a time. Each test compares with the slow path
it replaces. (The kit's tests cover its own shortcuts: `utc_z` returning Shopify's `...Z`
timestamps as they are, `synced_at` formatted once per run.)
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import requests
import responses
from conftest import run_tap
from fakes import FakeShopify, config
from hypothesis import given
from hypothesis import strategies as st
from singer_sdk.helpers._typing import conform_record_data_types  # what the SDK runs per record
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib.json import serialize_json

from tap_shopify_inventory import client
from tap_shopify_inventory.bulk import jsonl_objects
from tap_shopify_inventory.client import decoded_json
from tap_shopify_inventory.streams import InventoryLevelsStream
from tap_shopify_inventory.tap import TapShopifyInventory

QUANTITIES = ("available", "on_hand", "committed", "reserved", "incoming", "damaged", "quality_control", "safety_stock")


def level_node(sku: str | None, quantities: dict[str, int], updated: str) -> dict:
    return {
        "id": "gid://shopify/InventoryLevel/60000000001?inventory_item_id=40000000007",
        "updatedAt": updated,
        "item": {"id": "gid://shopify/InventoryItem/40000000007", "sku": sku},
        "quantities": [{"name": name, "quantity": value} for name, value in quantities.items()],
        "__parentId": "gid://shopify/Location/60000000001",
    }


NODES = [
    level_node("SKU-00007", dict(zip(QUANTITIES, range(8), strict=True)), "2025-12-30T23:59:59Z"),
    level_node(None, {"available": -3, "on_hand": 0}, "2026-01-01T00:00:00Z"),  # quantities missing: null
    level_node("Täschchen ✓", {name: 2**40 for name in QUANTITIES}, "2024-02-29T12:00:00Z"),
]


@pytest.mark.parametrize("node", NODES)
def test_levels_records_are_the_same_bytes_with_and_without_type_conforming(node: dict) -> None:
    tap = TapShopifyInventory(config=config())
    stream = tap.streams["inventory_levels"]
    assert stream.TYPE_CONFORMANCE_LEVEL == TypeConformanceLevel.NONE
    record = stream.post_process(dict(node))
    conformed = conform_record_data_types(
        stream_name=stream.name,
        record=dict(record),
        schema=stream.schema,
        level=TypeConformanceLevel.RECURSIVE,
        logger=stream.logger,
    )
    assert serialize_json(record) == serialize_json(conformed)
    jsonschema.validate(record, stream.schema)
    assert list(record) == list(stream.schema["properties"])


def test_paged_levels_validate_against_the_schema_without_conforming(sleeps: list[float]) -> None:  # noqa: ARG001
    shop = FakeShopify(n_locations=2, n_items=30)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        run = run_tap(config())
    schema = InventoryLevelsStream(TapShopifyInventory(config=config())).schema
    levels = run.records["inventory_levels"]
    assert levels
    for record in levels:
        jsonschema.validate(record, schema)


def test_each_page_is_decoded_once(sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ARG001
    decodes: list[int] = []
    real_json = requests.Response.json

    def counting_json(self: requests.Response, **kwargs: object) -> object:
        decodes.append(id(self))
        return real_json(self, **kwargs)

    monkeypatch.setattr(requests.Response, "json", counting_json)
    shop = FakeShopify(n_locations=1, n_items=260)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        shop.install(rsps)
        run = run_tap(config())
    assert len(run.records["inventory_items"]) == 260  # noqa: PLR2004
    assert decodes, "the pages were not read through Response.json"
    assert len(decodes) == len(set(decodes)), "a response body was decoded more than once"


def test_decoded_json_raises_like_response_json_for_a_body_that_is_not_json() -> None:
    response = requests.Response()
    response._content = b"<html>blocked</html>"  # noqa: SLF001
    with pytest.raises(ValueError):  # noqa: PT011 - requests' JSONDecodeError is a ValueError
        decoded_json(response)
    assert client.ShopifyInventoryStream._json_or_none(response) is None  # noqa: SLF001


# --------------------------------------------------------------------------- bulk JSONL


def split_every(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


@given(
    st.lists(
        st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8), st.none()), max_size=4),
        max_size=30,
    ),
    st.integers(min_value=1, max_value=64),
    st.booleans(),
)
def test_jsonl_objects_equal_line_by_line_decoding_whatever_the_chunks(
    objects: list[dict],
    chunk: int,
    blank_lines: bool,  # noqa: FBT001
) -> None:
    lines = [json.dumps(o, ensure_ascii=False).encode() for o in objects]
    if blank_lines:
        lines = [line for pair in zip(lines, [b"  "] * len(lines), strict=True) for line in pair]
    data = b"\n".join(lines) + (b"\n" if objects else b"")
    expected = [json.loads(line) for line in data.splitlines() if line.strip()]
    assert list(jsonl_objects(split_every(data, chunk))) == expected


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}\n{"b": \n',  # a broken line
        b'{"a": 1}\n{"b": 2}, {"c": 3}\n',  # two values on one line
        b'{"a":\n1}\n',  # one value over two lines
    ],
)
def test_jsonl_objects_raise_for_a_bad_line_as_line_by_line_decoding_does(data: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        [json.loads(line) for line in data.splitlines() if line.strip()]  # noqa: B018 - the reference
    with pytest.raises(json.JSONDecodeError):
        list(jsonl_objects(split_every(data, 7)))
