"""Queued faults for the platform APIs (``POST /_sandbox/faults``): transport faults and data faults.

Faults apply, in the order they were queued, to the next API requests that pass routing and auth;
a fault with ``count: N`` is used by N requests before the next queued fault starts. A fault with
``match: TEXT`` waits (and holds back the faults queued after it) until a request whose target contains
TEXT: the REST method, path and query, or the GraphQL request body (``"inventoryLevels"``, say), so a
fault can land on a chosen endpoint. Every fault used is remembered (``fired``) until the queue is cleared,
so a test can prove its faults were used, not only queued.

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
  timeout    answer normally after ``delay_ms`` (default 5000 ms), meant to outlast a client's timeout
  none       answer normally (queued first, it lets requests through before the next fault)
Data faults (answer normally, but the data moves under the client, as on a busy live store):
  overlap    this page also repeats the last ``rows`` rows (default 2) of the previous page of the same
             list: rows duplicated across pages, as offset paging shows when rows are inserted mid-read
  mutate     before answering, run the control call ``POST /_sandbox/{route}`` with ``body``: rows changing
             between pages (``route: stock``), a location deactivated mid-sync (``location`` / ``source``)
``delay_ms`` delays any kind before it acts. ``FaultQueue.answer`` applies the data faults.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

KINDS = ("http_429", "throttled", "http_500", "http_503", "latency", "reset", "malformed", "truncated", "html",
         "timeout", "none", "overlap", "mutate")


@dataclass
class Fault:
    kind: str
    count: int = 1
    delay_ms: int = 0
    retry_after: float | None = None
    status: int | None = None  # html only: 403 or 503
    rows: int = 2  # overlap only: rows of the previous page repeated
    route: str | None = None  # mutate only: the control route and its body
    body: dict | None = None
    match: str | None = None  # only requests whose target contains this text (None: any request)

    @classmethod
    def from_json(cls, spec: dict) -> Fault:
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        count = int(spec.get("count", 1))
        if count < 1:
            raise ValueError("count must be >= 1")
        delay = spec.get("delay_ms")
        delay = int(delay) if delay is not None else {"latency": 1000, "timeout": 5000}.get(kind, 0)
        status = spec.get("status")
        if kind == "html":
            status = int(status or 503)
            if status not in (403, 503):
                raise ValueError("html faults use status 403 or 503")
        retry_after = spec.get("retry_after")
        route, body = spec.get("route"), spec.get("body")
        if kind == "mutate" and (not isinstance(route, str) or not isinstance(body, dict)):
            raise ValueError("mutate faults need a control route and a JSON object body")
        match = spec.get("match")
        if match is not None and (not isinstance(match, str) or not match):
            raise ValueError("match takes a non-empty string")
        return cls(kind, count, delay, None if retry_after is None else float(retry_after), status,
                   int(spec.get("rows", 2)), route, body, match)


class FaultQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self._fired: list[dict] = []  # every fault used since the queue was last cleared, in order
        self._pages: dict[str, list] = {}  # last rows of each list answered while an overlap is queued

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._fired.clear()

    def take(self, target: str = "") -> Fault | None:
        """The fault for this request (consumes one of its count), or None. ``target`` is what a ``match``
        looks for: the request's method, path and query, or its GraphQL body."""
        with self._lock:
            if not self._queue:
                return None
            head = self._queue[0]
            if head.match is not None and head.match not in target:
                return None
            head.count -= 1
            if head.count <= 0:
                self._queue.pop(0)
            self._fired.append({"kind": head.kind, "target": " ".join(target.split())[:160]})
            return head

    def pending(self) -> list[dict]:
        with self._lock:
            return [asdict(f) for f in self._queue]

    def fired(self) -> list[dict]:
        """The faults used since the queue was last cleared: ``{"kind", "target"}`` per request."""
        with self._lock:
            return list(self._fired)

    def answer(self, fault: Fault | None, app, key: str, reply: Callable[[], object]):
        """The normal answer ``reply()`` with any data fault applied (``key`` names the request's list).

        ``mutate`` runs its control call on ``app`` first; ``overlap`` prepends the previous page's last
        rows. Pages are only remembered while an overlap fault waits, so normal answers cost nothing extra.
        """
        if fault is not None and fault.kind == "mutate":
            answer = app.control("POST", fault.route, {}, dict(fault.body))
            if answer.status != 200:
                raise ValueError(f"mutate fault: {fault.route} answered {answer.status}: {answer.body[:200]!r}")
        out = reply()
        overlap = fault is not None and fault.kind == "overlap"
        with self._lock:
            watching = overlap or any(f.kind == "overlap" for f in self._queue)
        if not watching or getattr(out, "status", 0) != 200 or not getattr(out, "body", b""):
            return out
        try:
            obj = json.loads(out.body)
        except ValueError:
            return out
        path, rows = _first_list(obj)
        if rows is None:
            return out
        key = f"{key}|{path}"
        with self._lock:
            previous = self._pages.get(key, [])
            self._pages[key] = list(rows[-10:])
        if overlap and previous:
            rows[:0] = previous[-fault.rows:]
            out.body = json.dumps(obj).encode()
        return out


def request_target(method: str, path: str, query: dict) -> str:
    """What a REST request's ``match`` is compared with, e.g. ``GET inventory/items?page=2&limit=10``."""
    return f"{method} {path}?{urlencode(query, doseq=True)}" if query else f"{method} {path}"


def _first_list(obj, path: str = "") -> tuple[str, list | None]:
    """The first list of JSON objects in ``obj``, breadth first (a page's rows on every platform)."""
    level = [(path, obj)]
    while level:
        deeper = []
        for where, value in level:
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                return where, value
            if isinstance(value, dict):
                deeper.extend((f"{where}.{k}", v) for k, v in value.items())
        level = deeper
    return path, None


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
