"""Progress a person can follow, on top of the SDK's record counter."""

from __future__ import annotations

import threading
import time
import typing as t

from singer_sdk import metrics

if t.TYPE_CHECKING:
    import logging


class SyncProgress(metrics.Counter):
    """The SDK's record counter (its METRIC lines unchanged), plus lines a person can follow.

    Every `every` seconds: `Progress of inventory_levels: 12,000 records, 24 pages, 2 rate-limit waits (31.0s),
    41.2s, 291 records/s`; when the stream ends, one `Synced inventory_levels: ...` line with the totals (or
    `Stopped inventory_levels by an error: ...`). The stream reports pages and rate-limit waits, from any
    thread (a stream may read with several).
    """

    every: float = 30.0

    def __init__(
        self,
        stream: str,
        logger: logging.Logger,
        log_interval: float = metrics.DEFAULT_LOG_INTERVAL,
        clock: t.Callable[[], float] = time.monotonic,
    ) -> None:
        """Count for `stream`, logging to `logger` (clock injectable for tests)."""
        super().__init__(metrics.Metric.RECORD_COUNT, {metrics.Tag.STREAM: stream}, log_interval=log_interval)
        self.stream = stream
        self._logger = logger
        self._clock = clock
        self.records = self.pages = self.waits = 0
        self.wait_seconds = 0.0
        self.started = self._said = clock()
        self._lock = threading.Lock()

    def increment(self, value: int = 1) -> None:
        """One more record; a progress line when `every` seconds have passed since the last."""
        super().increment(value)
        self.records += value
        if self._clock() - self._said >= self.every:
            self._said = self._clock()
            self._logger.info("Progress of %s: %s", self.stream, self.figures())

    def page(self) -> None:
        """One more page (an answered request)."""
        with self._lock:
            self.pages += 1

    def waited(self, seconds: float) -> None:
        """One more wait for the platform's rate limit."""
        with self._lock:
            self.waits += 1
            self.wait_seconds += seconds

    def figures(self) -> str:
        """Records, pages, rate-limit waits, time and rate so far."""
        elapsed = self._clock() - self.started
        rate = f", {self.records / elapsed:,.0f} records/s" if elapsed > 0 else ""
        return (
            f"{self.records:,} records, {self.pages:,} pages, {self.waits} rate-limit waits "
            f"({self.wait_seconds:.1f}s), {elapsed:.1f}s{rate}"
        )

    def __exit__(self, exc_type: type[BaseException] | None, *rest: t.Any) -> None:  # noqa: ANN401
        """The SDK's last METRIC line, then the stream's summary line."""
        super().__exit__(exc_type, *rest)
        if exc_type is None:
            self._logger.info("Synced %s: %s", self.stream, self.figures())
        else:
            self._logger.info("Stopped %s by an error: %s", self.stream, self.figures())


__all__ = ["SyncProgress"]
