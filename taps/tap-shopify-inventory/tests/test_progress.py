"""Progress a person can follow: records so far every 30 s, pages, rate-limit waits, one summary per stream."""

from __future__ import annotations

import logging

import pytest
from conftest import Sandbox, run_tap

from tap_shopify_inventory.client import SyncProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_every_interval_and_a_summary_at_the_end(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    logger = logging.getLogger("progress-test")
    with caplog.at_level(logging.INFO, logger="progress-test"), SyncProgress("inventory_levels", logger, clock=clock) as progress:
        progress.page()
        progress.increment(10)
        assert not [m for m in caplog.messages if m.startswith("Progress")]  # too early
        clock.now += 31
        progress.waited(2.5)
        progress.page()
        progress.increment(20)
        clock.now += 9
    progress_lines = [m for m in caplog.messages if m.startswith("Progress of")]
    assert progress_lines == ["Progress of inventory_levels: 30 records, 2 pages, 1 rate-limit waits (2.5s), 31.0s, 1 records/s"]
    assert caplog.messages[-1] == "Synced inventory_levels: 30 records, 2 pages, 1 rate-limit waits (2.5s), 40.0s, 1 records/s"


def test_a_failed_stream_says_it_stopped(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("progress-test")
    with caplog.at_level(logging.INFO, logger="progress-test"), pytest.raises(RuntimeError):  # noqa: PT012
        with SyncProgress("locations", logger, clock=Clock()) as progress:
            progress.increment()
            raise RuntimeError
    assert caplog.messages[-1].startswith("Stopped locations by an error: 1 records, 0 pages")


def test_every_stream_ends_with_one_summary_line(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture, sleeps: list[float]
) -> None:
    sandbox.reset()
    sandbox.control("POST", "faults", {"kind": "throttled", "count": 1})
    with caplog.at_level(logging.INFO):
        run = run_tap(sandbox.config())
    sandbox.reset()
    summaries = [m for m in caplog.messages if m.startswith("Synced ")]
    streams = [m.split(":", 1)[0].removeprefix("Synced ") for m in summaries]
    assert len(streams) == len(set(streams)) and set(run.records) <= set(streams)  # one line per stream
    for line in summaries:
        stream = line.split(":", 1)[0].removeprefix("Synced ")
        assert f"Synced {stream}: {len(run.records.get(stream, [])):,} records, " in line
    pages = {m.split(":", 1)[0]: int(m.split(" records, ")[1].split(" pages")[0].replace(",", "")) for m in summaries}
    assert pages["Synced inventory_levels"] >= 2  # 500 items at 4 locations take several pages
    assert sum(" 1 rate-limit waits " in m for m in summaries) == 1  # the one throttled answer
    assert sleeps  # and its wait happened (recorded, not slept)
