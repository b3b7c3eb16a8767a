"""Request log base: counters, status counts and the last requests, for ``GET /_sandbox/log``.

Platforms subclass it to add their own counters (``_reset_extra``, ``_snapshot_extra``) and append their
own entry shapes to ``entries``.

Every platform counts the writes its API received the same way (``count_write``): ``write_requests`` (every
request to a write endpoint that passed auth and
the scope check, refused or not), ``writes`` (requests that changed stock),
``write_rows`` (rows they changed) and ``write_log``, the last writes with what they did. A dry run is checked
by ``writes == 0``.
"""

from __future__ import annotations

import threading
import time
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
            self.write_requests = 0
            self.writes = 0
            self.write_rows = 0
            self.write_log: deque = deque(maxlen=self._keep)
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

    def count_write(self, store: str, endpoint: str, rows: list[dict], change_id: str | None,
                    refused: str | None = None) -> None:
        """One request to a write endpoint: ``rows`` it changed (empty when refused), the API's id for the change,
        or why it was refused (an error code or title)."""
        entry = {"store": store, "endpoint": endpoint, "applied": refused is None and bool(rows),
                 "rows": rows, "change_id": change_id, "refused": refused, "at": time.time()}
        with self._lock:
            self.write_requests += 1
            if entry["applied"]:
                self.writes += 1
                self.write_rows += len(rows)
            self.write_log.append(entry)

    def add_entry(self, entry: dict) -> None:
        with self._lock:
            self.entries.append(entry)

    def snapshot(self) -> dict:
        with self._lock:
            return {"requests": self.requests, "status_counts": dict(self.status_counts),
                    "write_requests": self.write_requests, "writes": self.writes, "write_rows": self.write_rows,
                    "write_log": list(self.write_log), **self._snapshot_extra(), self.entries_key: list(self.entries)}
