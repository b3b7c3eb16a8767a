"""Queued transport faults for the GraphQL endpoint (``POST /_sandbox/faults``).

Faults apply, in the order they were queued, to the next GraphQL requests that pass routing and auth;
a fault with ``count: N`` is used by N requests before the next queued fault starts.

Kinds:
  http_429   HTTP 429 with a THROTTLED body (and ``Retry-After: retry_after`` when given)
  throttled  HTTP 200 THROTTLED answer regardless of the bucket
  http_500   HTTP 500 INTERNAL_SERVER_ERROR
  http_503   HTTP 503 Service Unavailable (``Retry-After`` when given)
  latency    answer normally after ``delay_ms`` (default 1000 ms)
  reset      close the connection without answering (TCP RST)
  malformed  HTTP 200 whose body is not valid JSON
  truncated  answer normally but send only half the body, with the full Content-Length, then close
  html       an HTML firewall page, HTTP ``status`` 403 or 503 (default 503)
``delay_ms`` delays any kind before it acts.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

KINDS = ("http_429", "throttled", "http_500", "http_503", "latency", "reset", "malformed", "truncated", "html")


@dataclass
class Fault:
    kind: str
    count: int = 1
    delay_ms: int = 0
    retry_after: float | None = None
    status: int | None = None  # html only: 403 or 503

    @classmethod
    def from_json(cls, spec: dict) -> Fault:
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        count = int(spec.get("count", 1))
        if count < 1:
            raise ValueError("count must be >= 1")
        delay = spec.get("delay_ms")
        delay = int(delay) if delay is not None else (1000 if kind == "latency" else 0)
        status = spec.get("status")
        if kind == "html":
            status = int(status or 503)
            if status not in (403, 503):
                raise ValueError("html faults use status 403 or 503")
        retry_after = spec.get("retry_after")
        return cls(kind, count, delay, None if retry_after is None else float(retry_after), status)


class FaultQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def take(self) -> Fault | None:
        """The fault for this request (consumes one of its count), or None."""
        with self._lock:
            if not self._queue:
                return None
            head = self._queue[0]
            head.count -= 1
            if head.count <= 0:
                self._queue.pop(0)
            return head

    def pending(self) -> list[dict]:
        with self._lock:
            return [asdict(f) for f in self._queue]


HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><title>{status} | Access denied</title></head>
<body>
<h1>{title}</h1>
<p>The request was blocked by the edge firewall before it reached the shop.</p>
<p>Ray ID: sandbox-{ray}</p>
</body>
</html>
"""
