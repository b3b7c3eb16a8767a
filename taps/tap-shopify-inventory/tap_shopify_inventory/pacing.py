"""Pacing against Shopify's cost-based rate limit: `CostGovernor`, one per tap run (one bucket per store and app).

Shopify's live query cost is not its published formula: the governor reads the costs the API reports in
`extensions.cost` and assumes only that a query's cost grows with its page size.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import typing as t
from dataclasses import dataclass

#: Largest `first` Shopify serves.
MAX_PAGE_SIZE = 250
#: The most one query may request and still be served.
SINGLE_QUERY_MAX_COST = 1000.0


@dataclass
class _Bucket:
    maximum: float
    available: float
    restore_rate: float
    observed_at: float


class CostGovernor:
    """Paces requests against Shopify's leaky bucket and sizes pages from reported costs.

    The model: every answer reports `throttleStatus {maximumAvailable currentlyAvailable
    restoreRate}`; between answers the bucket refills at `restoreRate` points per second,
    capped at `maximumAvailable`. Before a request we wait until the bucket holds the
    `requestedQueryCost` last reported for that query shape (query text + page size); for
    a shape never seen we wait for the single-query cap, the most any query may cost.

    Page size per query shape starts at 250. When a query's reported requested cost is
    above `min(1000, maximumAvailable)` (the most one query may request and still be
    served), the page shrinks from the reported costs and the query is retried (see
    `resize`). No cost formula is assumed, only that cost grows with the page size.
    """

    def __init__(
        self,
        *,
        clock: t.Callable[[], float] | None = None,
        sleep: t.Callable[[float], None] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        """Create a governor with an unknown bucket (clock and sleep injectable for tests)."""
        self._clock = clock or (lambda: time.monotonic())
        self._sleep = sleep or (lambda seconds: time.sleep(seconds))
        self._logger = logger or logging.getLogger("tap-shopify-inventory")
        self._lock = threading.Lock()
        self._bucket: _Bucket | None = None
        self._costs: dict[tuple[str, int], float] = {}
        self._page: dict[str, int] = {}
        self._seen: dict[str, dict[int, float]] = {}
        self.waited_seconds = 0.0

    # -- bucket

    @property
    def cap(self) -> float:
        """Largest requested cost a single query may have and still be served."""
        if self._bucket is None:
            return SINGLE_QUERY_MAX_COST
        return min(SINGLE_QUERY_MAX_COST, self._bucket.maximum)

    def available_now(self) -> float | None:
        """Points the bucket holds now according to the model (None if never observed)."""
        bucket = self._bucket
        if bucket is None:
            return None
        elapsed = max(0.0, self._clock() - bucket.observed_at)
        return min(bucket.maximum, bucket.available + bucket.restore_rate * elapsed)

    def observe(self, shape: str, first: int | None, cost: dict | None) -> None:
        """Update the model from an answer's `extensions.cost`."""
        if not isinstance(cost, dict):
            return
        status = cost.get("throttleStatus") or {}
        with contextlib.suppress(KeyError, TypeError, ValueError):
            self._bucket = _Bucket(
                maximum=float(status["maximumAvailable"]),
                available=float(status["currentlyAvailable"]),
                restore_rate=float(status["restoreRate"]),
                observed_at=self._clock(),
            )
        requested = cost.get("requestedQueryCost")
        if isinstance(requested, (int, float)):
            self._costs[shape, first or 0] = float(requested)

    def expected_cost(self, shape: str, first: int | None) -> float | None:
        """What a request of this shape is expected to request (an upper bound)."""
        size = first or 0
        if (shape, size) in self._costs:
            return self._costs[shape, size]
        # Cost grows with the page size: a larger page's cost bounds a smaller one's.
        bounds = [c for (s, n), c in self._costs.items() if s == shape and n >= size]
        if bounds:
            return min(bounds)
        return self.cap if self._bucket is not None else None

    def wait_before(self, shape: str, first: int | None) -> float:
        """Sleep until the bucket holds the expected cost of this request."""
        with self._lock:
            needed = self.expected_cost(shape, first)
            available = self.available_now()
            if needed is None or available is None or self._bucket is None:
                return 0.0
            needed = min(needed, self._bucket.maximum)
            if available >= needed or self._bucket.restore_rate <= 0:
                return 0.0
            delay = (needed - available) / self._bucket.restore_rate
            self._logger.debug(
                "Pacing: waiting %.2fs for %.0f cost points (bucket holds %.0f)",
                delay,
                needed,
                available,
            )
            self._sleep(delay)
            self.waited_seconds += delay
            return delay

    @staticmethod
    def throttle_wait(cost: dict | None, default: float = 1.0) -> float:
        """Seconds until the bucket holds the requested cost: (requested - available) / rate."""
        if not isinstance(cost, dict):
            return default
        status = cost.get("throttleStatus") or {}
        try:
            requested = float(cost["requestedQueryCost"])
            available = float(status["currentlyAvailable"])
            rate = float(status["restoreRate"])
        except (KeyError, TypeError, ValueError):
            return default
        if rate <= 0:
            return default
        return max(0.0, (requested - available) / rate)

    # -- page size

    def page_size(self, shape: str) -> int:
        """Current page size for a query shape."""
        return self._page.get(shape, MAX_PAGE_SIZE)

    def resize(
        self,
        shape: str,
        first: int,
        requested: float,
        cap: float | None = None,
    ) -> bool:
        """Choose the next page size after an answer that requested `requested` at `first`.

        Sizes seen to fit (cost <= cap) and to be too expensive bracket the best size.
        With only too-expensive sizes seen, the next guess is proportional to the reported
        cost, less 2% for the fixed part of a query's cost. With both, it is interpolated
        between the largest size that fits and the smallest that does not (exact when
        cost grows linearly with the page). Each guess narrows the bracket, so the size
        settles on the largest page under the cap after a few refused (uncharged) tries.

        Returns:
            True when the page was too expensive and should be retried smaller.
        """
        if requested <= 0:
            return False
        cap = min(cap or self.cap, self.cap)
        seen = self._seen.setdefault(shape, {})
        seen[first] = requested
        over = {n: c for n, c in seen.items() if c > cap}
        if not over:
            return False
        hi = min(over)
        fits = {n: c for n, c in seen.items() if c <= cap and n < hi}
        if fits:
            lo = max(fits)
            step = (over[hi] - fits[lo]) / (hi - lo)
            size = lo + int((cap - fits[lo]) / step) if step > 0 else lo
            size = max(lo, min(size, hi - 1))
        else:
            size = max(1, min(int(hi * cap / over[hi] * 0.98), hi - 1))
        too_costly = requested > cap
        if too_costly and (first <= 1 or size >= first):
            return False
        if size != self.page_size(shape):
            self._logger.info(
                "Query cost %.0f at page size %d (cap %.0f): next page size %d",
                requested,
                first,
                cap,
                size,
            )
            self._page[shape] = size
        return too_costly


__all__ = ["MAX_PAGE_SIZE", "SINGLE_QUERY_MAX_COST", "CostGovernor"]
