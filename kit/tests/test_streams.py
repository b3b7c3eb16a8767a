"""`InventoryStream`: records, bookmarks at the signpost, the since-window, progress and retries (offline)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from demo_tap import API, DemoTap, config, items
from singer_sdk.exceptions import FatalAPIError

from singer_inventory_kit.testing import progress_summaries, run_tap
from singer_inventory_kit.timestamps import utc_z

ROW = {"id": 7, "updated_at": "2026-02-01T10:00:00Z", "qty": 4}


def sent_since(call: responses.Call) -> str | None:
    return parse_qs(urlsplit(call.request.url).query).get("since", [None])[0]


@responses.activate
def test_records_carry_the_store_and_the_run_and_dropped_rows_stay_out() -> None:
    responses.get(f"{API}/items", json=items(ROW, {"id": None, "qty": 1}))
    run = run_tap(DemoTap, config())
    (record,) = run.records["items"]
    assert record == {"store_id": "shop", "id": "7", "updated_at": "2026-02-01T10:00:00Z", "qty": 4,
                      "synced_at": record["synced_at"]}  # fmt: skip
    assert record["synced_at"].endswith("Z")


@responses.activate
def test_the_bookmark_is_the_run_start_and_only_once_every_row_is_emitted() -> None:
    responses.get(f"{API}/items", json=items(dict(ROW, updated_at="2099-01-01T00:00:00Z")))  # a clock-skewed row
    before = utc_z(dt.datetime.now(dt.timezone.utc))
    run = run_tap(DemoTap, config())
    after = utc_z(dt.datetime.now(dt.timezone.utc))
    assert before <= run.bookmark("items") <= after  # never past the run start, whatever the rows say


@responses.activate
def test_a_failed_read_keeps_the_old_bookmark_and_writes_no_sync_runs(sleeps: list[float]) -> None:
    old = {"bookmarks": {"items": {"replication_key": "updated_at", "replication_key_value": "2026-01-01T00:00:00Z"}}}
    responses.get(f"{API}/items", body=requests.ConnectionError("reset by peer"))
    with pytest.raises(FatalAPIError) as info:
        run_tap(DemoTap, config(), state=old)
    run = info.value.run  # type: ignore[attr-defined]
    assert all(s["bookmarks"]["items"]["replication_key_value"] == "2026-01-01T00:00:00Z" for s in run.states)
    assert "sync_runs" not in run.records
    assert len(sleeps) == 2  # max_retries  # noqa: PLR2004


@pytest.mark.parametrize(
    ("bookmark", "lookback", "start_date", "reconcile", "since"),
    [
        (None, 300, None, False, None),  # nothing to start from: everything
        ("2026-02-05T08:00:00Z", 3600, None, False, "2026-02-05T07:00:00Z"),  # bookmark minus lookback
        ("2026-02-05T08:00:00Z", 0, "2026-03-01T00:00:00Z", False, "2026-03-01T00:00:00Z"),  # never before start
        (None, 300, "2026-03-01T00:00:00+02:00", False, "2026-02-28T22:00:00Z"),
        ("2026-02-05T08:00:00Z", 0, "2026-01-01T00:00:00Z", True, None),  # reconcile: a full snapshot
    ],
)
@responses.activate
def test_the_since_window(
    bookmark: str | None, lookback: int, start_date: str | None, reconcile: bool, since: str | None  # noqa: FBT001
) -> None:
    responses.get(f"{API}/items", json=items(ROW))
    state = {"bookmarks": {"items": {"replication_key": "updated_at", "replication_key_value": bookmark}}}
    overrides = {"lookback": lookback, "reconcile": reconcile} | ({"start_date": start_date} if start_date else {})
    run = run_tap(DemoTap, config(**overrides), state=state if bookmark else None)
    assert sent_since(responses.calls[0]) == since
    assert run.records["sync_runs"][0]["is_full_snapshot"] is (since is None)


@responses.activate
def test_failures_are_retried_max_retries_times_then_end_in_one_line(
    sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    responses.get(f"{API}/items", body=requests.ConnectionError("Connection reset by peer"))
    with caplog.at_level(logging.WARNING), pytest.raises(FatalAPIError) as info:
        run_tap(DemoTap, config(max_retries=3))
    assert re.fullmatch(
        rf"could not get an answer from {re.escape(API)}/items for store shop after 4 tries in \d+\.\d s: "
        "ConnectionError: Connection reset by peer", str(info.value))
    assert len(sleeps) == 3  # noqa: PLR2004
    assert all(0 <= s <= 30 for s in sleeps)  # noqa: PLR2004 - exponential backoff, capped at 30 s
    assert len([m for m in caplog.messages if m.startswith("Retrying items request in")]) == 3  # noqa: PLR2004


@responses.activate
def test_a_5xx_then_data_is_retried_and_read(sleeps: list[float]) -> None:
    responses.get(f"{API}/items", status=503, body="busy")
    responses.get(f"{API}/items", json=items(ROW))
    run = run_tap(DemoTap, config(max_retries=1))
    assert [r["id"] for r in run.records["items"]] == ["7"]
    assert len(sleeps) == 1


@responses.activate
def test_throttling_is_waited_out_as_asked_and_never_counts_as_a_failure(
    sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(4):  # more throttles than max_retries allows failures
        responses.get(f"{API}/items", status=429, headers={"Retry-After": "2.5"})
    responses.get(f"{API}/items", json=items(ROW))
    with caplog.at_level(logging.INFO):
        run = run_tap(DemoTap, config(max_retries=0))
    assert sleeps == [2.5] * 4
    assert len([m for m in caplog.messages if m.startswith("Rate limited by Demo: waiting 2.50s")]) == 4  # noqa: PLR2004
    summaries = progress_summaries(caplog.messages, run)
    assert (summaries["items"].pages, summaries["items"].waits) == (1, 4)


def test_an_error_the_tap_put_into_words_is_not_wrapped(sleeps: list[float]) -> None:  # noqa: ARG001
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/items", status=401)
        with pytest.raises(FatalAPIError, match=r"^Demo rejected the token \(HTTP 401\) for store shop"):
            run_tap(DemoTap, config())


@responses.activate
def test_retries_stop_after_max_retry_seconds() -> None:
    """An endpoint that keeps failing ends the run once `max_retry_seconds` have passed (real sleeps here: the
    budget is wall time), long before `max_retries` would: a wrong host or a firewall page answers in seconds."""
    responses.get(f"{API}/items", body=requests.ConnectionError("Connection refused"))
    started = time.monotonic()
    with pytest.raises(FatalAPIError) as info:
        run_tap(DemoTap, config(max_retries=8, max_retry_seconds=1))
    took = time.monotonic() - started
    tries = int(re.search(r"after (\d+) tries in", str(info.value))[1])
    assert 2 <= tries < 9, tries  # noqa: PLR2004 - 0.5 s, then the rest of the second
    assert took < 5, took  # noqa: PLR2004


@responses.activate
def test_a_bookmark_of_another_store_is_not_used(caplog: pytest.LogCaptureFixture) -> None:
    """The bookmark says whose it is; a state left by another store (the demo's, or the store this plugin read
    before) makes a full read, never a read from that store's bookmark."""
    responses.get(f"{API}/items", json=items(ROW))
    first = run_tap(DemoTap, config())
    assert first.state["bookmarks"]["items"]["store_id"] == "shop"
    run_tap(DemoTap, config(), state=first.state)
    assert sent_since(responses.calls[-1]) is not None  # the same store: incremental
    with caplog.at_level(logging.WARNING):
        run_tap(DemoTap, config(store="other"), state=first.state)
    assert sent_since(responses.calls[-1]) is None  # another store: everything
    assert "The bookmark of items was taken in store shop, not other: reading items in full" in caplog.messages


@responses.activate
def test_every_schema_comes_before_the_first_request() -> None:
    """A loader creates every table even when the first request fails: a channel that never loaded still builds."""
    responses.get(f"{API}/items", status=401)
    with pytest.raises(FatalAPIError) as info:
        run_tap(DemoTap, config())
    kinds = [(m["type"], m.get("stream")) for m in info.value.run.messages]  # type: ignore[attr-defined]
    assert ("SCHEMA", "items") in kinds
    assert ("SCHEMA", "sync_runs") in kinds
