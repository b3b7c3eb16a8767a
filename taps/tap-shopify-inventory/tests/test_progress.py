"""Progress a person can follow: one summary per stream with its records, pages and rate-limit waits.

The progress lines themselves (`SyncProgress`) are the kit's, tested there; this is the tap reporting pages
and waits into them.
"""

from __future__ import annotations

import logging

import pytest
from conftest import Sandbox, run_tap
from singer_inventory_kit.testing import progress_summaries


def test_every_stream_ends_with_one_summary_line(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture, sleeps: list[float]
) -> None:
    sandbox.reset()
    sandbox.control("POST", "faults", {"kind": "throttled", "count": 1})
    with caplog.at_level(logging.INFO):
        run = run_tap(sandbox.config())
    sandbox.reset()
    summaries = progress_summaries(caplog.messages, run)  # one line per stream, with the records it emitted
    assert summaries["inventory_levels"].pages >= 2  # 500 items at 4 locations take several pages
    assert [s.waits for s in summaries.values()].count(1) == 1  # the one throttled answer
    assert sleeps  # and its wait happened (recorded, not slept)
