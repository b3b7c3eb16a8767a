"""Leaky-bucket rate limiting as the Shopify GraphQL Admin API does it (one bucket per store).

The bucket holds up to ``size`` points and refills continuously at ``restore_rate`` points per second of
wall-clock time. A query's *requested* cost is taken up front; after execution the difference to the
*actual* cost is given back.
"""

from __future__ import annotations

import threading
import time


class LeakyBucket:
    def __init__(self, size: float = 2000.0, restore_rate: float = 100.0, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self.size = float(size)
        self.restore_rate = float(restore_rate)
        self._available = float(size)
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(self.size, self._available + (now - self._stamp) * self.restore_rate)
        self._stamp = now

    def try_take(self, cost: float) -> bool:
        """Take ``cost`` points if the bucket holds them; False (nothing taken) otherwise."""
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def give_back(self, points: float) -> None:
        with self._lock:
            self._refill()
            self._available = min(self.size, self._available + max(0.0, points))

    def configure(self, size: float | None = None, restore_rate: float | None = None) -> None:
        """Change limits at run time; the bucket starts full at its new size."""
        with self._lock:
            if size is not None:
                self.size = float(size)
            if restore_rate is not None:
                self.restore_rate = float(restore_rate)
            self._available = self.size
            self._stamp = self._clock()

    def status(self) -> dict:
        """``throttleStatus`` as Shopify reports it."""
        with self._lock:
            self._refill()
            return {"maximumAvailable": self.size, "currentlyAvailable": int(self._available),
                    "restoreRate": self.restore_rate}
