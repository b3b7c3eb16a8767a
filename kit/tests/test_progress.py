"""Progress a person can follow: records so far every 30 s, pages, rate-limit waits, one summary per stream."""

from __future__ import annotations

import logging
import threading

import pytest

from singer_inventory_kit import SyncProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_every_interval_and_a_summary_at_the_end(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    logger = logging.getLogger("progress-test")
    with (
        caplog.at_level(logging.INFO, logger="progress-test"),
        SyncProgress("inventory_levels", logger, clock=clock) as progress,
    ):
        progress.page()
        progress.increment(10)
        assert not [m for m in caplog.messages if m.startswith("Progress")]  # too early
        clock.now += 31
        progress.waited(2.5)
        progress.page()
        progress.increment(20)
        clock.now += 9
    progress_lines = [m for m in caplog.messages if m.startswith("Progress of")]
    assert progress_lines == [
        "Progress of inventory_levels: 30 records, 2 pages, 1 rate-limit waits (2.5s), 31.0s, 1 records/s"
    ]
    assert caplog.messages[-1] == (
        "Synced inventory_levels: 30 records, 2 pages, 1 rate-limit waits (2.5s), 40.0s, 1 records/s"
    )


def test_a_failed_stream_says_it_stopped(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("progress-test")
    with (  # noqa: PT012
        caplog.at_level(logging.INFO, logger="progress-test"),
        pytest.raises(RuntimeError),
        SyncProgress("locations", logger, clock=Clock()) as progress,
    ):
        progress.increment()
        raise RuntimeError
    assert caplog.messages[-1].startswith("Stopped locations by an error: 1 records, 0 pages")


def test_pages_and_waits_from_many_threads_are_all_counted() -> None:
    progress = SyncProgress("salable_quantities", logging.getLogger("progress-test"), clock=Clock())

    def report() -> None:
        for _ in range(2000):
            progress.page()
            progress.waited(0.5)

    threads = [threading.Thread(target=report) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (progress.pages, progress.waits, progress.wait_seconds) == (16000, 16000, 8000.0)
