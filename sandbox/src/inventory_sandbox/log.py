"""Request log base: counters, status counts and the last requests, for ``GET /_sandbox/log``.

Platforms subclass it to add their own counters (``_reset_extra``, ``_snapshot_extra``) and append their
own entry shapes to ``entries``.
"""

from __future__ import annotations

import threading
from collections import deque

LOG_KEEP = 200


class RequestLog:
    entries_key = "requests_log"  # name of the last-requests list in the snapshot

    def __init__(self, keep: int = LOG_KEEP):
        self._keep = keep
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.status_counts: dict[str, int] = {}
            self.entries: deque = deque(maxlen=self._keep)
            self._reset_extra()

    def _reset_extra(self) -> None:
        """Subclasses zero their own counters here (called under the lock)."""

    def _snapshot_extra(self) -> dict:
        """Subclasses add their own counters here (called under the lock)."""
        return {}

    def count_request(self, status: int) -> None:
        with self._lock:
            self.requests += 1
            key = str(status)
            self.status_counts[key] = self.status_counts.get(key, 0) + 1

    def add_entry(self, entry: dict) -> None:
        with self._lock:
            self.entries.append(entry)

    def snapshot(self) -> dict:
        with self._lock:
            return {"requests": self.requests, "status_counts": dict(self.status_counts),
                    **self._snapshot_extra(), self.entries_key: list(self.entries)}
