"""HTTP for the writers: retry only what the server cannot have applied.

A write is retried when it certainly did nothing: the connection could not be made, or the server answered with
a status it uses for "not processed" (a rate limit, maintenance). When the request may have reached the server
and no answer came back (a read timeout, a reset mid-answer), ``Ambiguous`` is raised instead: a writer retries
that only when the write is idempotent (a Shopify idempotency key), and otherwise records the rows as ``unknown``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import requests


class Ambiguous(Exception):
    """The request may have been applied; no answer says whether."""


class NotSent(Exception):
    """The request certainly did nothing (no connection, or still refused after every retry)."""


def _not_connected(exc: requests.ConnectionError) -> bool:
    text = repr(exc)
    return isinstance(exc, requests.ConnectTimeout) or "NewConnectionError" in text or "Failed to establish" in text


def send(session: requests.Session, method: str, url: str, *, timeout: float, retries: int,
         retry_statuses: tuple[int, ...] = (429,), wait: Callable[[requests.Response, int], float] | None = None,
         sleep: Callable[[float], None] = time.sleep, **kwargs) -> requests.Response:
    """One request, retried (``retries`` times, with ``wait(response, attempt)`` seconds between) while the answer
    is one of ``retry_statuses`` or no connection could be made."""
    for attempt in range(retries + 1):
        try:
            resp = session.request(method, url, timeout=timeout, **kwargs)
        except requests.ConnectionError as exc:
            if not _not_connected(exc):
                raise Ambiguous(f"no answer from {_host(url)} ({type(exc).__name__})") from None
            if attempt == retries:
                raise NotSent(f"cannot reach {_host(url)} ({type(exc).__name__})") from None
            sleep(min(2 ** attempt, 30))
            continue
        except requests.Timeout:
            raise Ambiguous(f"no answer from {_host(url)} within {timeout:g} s") from None
        if resp.status_code in retry_statuses and attempt < retries:
            sleep(wait(resp, attempt) if wait else min(2 ** attempt, 30))
            continue
        return resp
    raise AssertionError("unreachable")


def _host(url: str) -> str:
    return url.split("//", 1)[-1].split("/", 1)[0]


def header_seconds(resp: requests.Response, *names: str, default: float = 1.0, scale: float = 1.0) -> float:
    """The first of ``names`` the response carries, as seconds (``scale`` 0.001 for milliseconds)."""
    for name in names:
        value = resp.headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return default
