"""The run: one `synced_at` for every record, a signpost no bookmark passes, `sync_runs` written last."""

from __future__ import annotations

import datetime as dt

import responses
from demo_tap import API, DemoTap, config, items

from singer_inventory_kit import SyncRun
from singer_inventory_kit.run import sync_runs_schema
from singer_inventory_kit.testing import run_tap


def test_synced_at_is_formatted_once_and_the_signpost_is_whole_seconds() -> None:
    started = dt.datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=dt.timezone.utc)
    run = SyncRun(started_at=started)
    assert run.synced_at == "2026-03-04T05:06:07.000089Z"
    assert run.synced_at is run.synced_at
    assert run.signpost == "2026-03-04T05:06:07Z"


def test_completed_streams_are_listed_with_the_run_start() -> None:
    run = SyncRun()
    run.mark_completed("locations", is_full_snapshot=True)
    run.mark_completed("inventory_items", is_full_snapshot=False)
    assert [(c["stream_name"], c["is_full_snapshot"], c["run_started_at"]) for c in run.completed] == [
        ("locations", True, run.synced_at),
        ("inventory_items", False, run.synced_at),
    ]
    assert all(c["finished_at"] >= c["run_started_at"] for c in run.completed)


def test_sync_runs_schema_carries_the_taps_words_for_the_store() -> None:
    schema = sync_runs_schema("Demo store name.")
    assert list(schema["properties"]) == [
        "store_id", "run_started_at", "stream_name", "is_full_snapshot", "finished_at"
    ]  # fmt: skip
    assert schema["properties"]["store_id"]["description"] == "Demo store name."
    assert sync_runs_schema("Other.")["properties"]["store_id"]["description"] == "Other."  # no shared state


@responses.activate
def test_sync_runs_rows_come_after_every_record_with_the_same_run_start() -> None:
    responses.get(f"{API}/items", json=items({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "qty": 3}))
    run = run_tap(DemoTap, config())
    assert run.records["sync_runs"] == [
        {"store_id": "shop", "run_started_at": run.records["items"][0]["synced_at"], "stream_name": "items",
         "is_full_snapshot": True, "finished_at": run.records["sync_runs"][0]["finished_at"]},
    ]  # fmt: skip
    kinds = [(m["type"], m.get("stream")) for m in run.messages if m["type"] == "RECORD"]
    assert kinds == [("RECORD", "items"), ("RECORD", "sync_runs")]
    catalog = DemoTap(config=config()).catalog_dict
    sync_runs = next(s for s in catalog["streams"] if s["tap_stream_id"] == "sync_runs")
    assert list(sync_runs["key_properties"]) == ["store_id", "run_started_at", "stream_name"]
    assert sync_runs["schema"]["properties"]["store_id"]["description"] == "Demo store name."
