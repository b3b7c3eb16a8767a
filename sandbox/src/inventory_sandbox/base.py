"""``SandboxBase``: what every platform's in-process sandbox shares.

A platform subclass builds its app, passes it to ``SandboxBase.__init__`` and adds its addresses, credentials
and platform-specific control helpers. The control helpers call the control API over HTTP, exactly as an
out-of-process client would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Self

from .server import App, SandboxServer


class SandboxBase:
    """Run a platform app's server in a daemon thread of the current process (a context manager)."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.host, self.port = host, port
        self._server: SandboxServer | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        if self._server is None:
            self._server = SandboxServer(self.app, self.host, self.port).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return self._server.url

    # ------------------------------------------------------------------ control API helpers
    def _call(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/_sandbox/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} /_sandbox/{path} -> {exc.code}: {exc.read().decode()}") from None

    def health(self) -> dict:
        return self._call("GET", "health")

    def truth(self, store: str = "demo-store", streams: Iterable[str] | None = None) -> dict:
        query = f"truth?store={store}"
        if streams:
            query += "&streams=" + ",".join(streams)
        return self._call("GET", query)

    def log(self) -> dict:
        return self._call("GET", "log")

    def reset_log(self) -> dict:
        return self._call("POST", "log/reset", {})

    def add_fault(self, kind: str, count: int = 1, delay_ms: int | None = None, retry_after: float | None = None,
                  status: int | None = None) -> dict:
        spec = {"kind": kind, "count": count}
        for key, value in (("delay_ms", delay_ms), ("retry_after", retry_after), ("status", status)):
            if value is not None:
                spec[key] = value
        return self._call("POST", "faults", spec)

    def clear_faults(self) -> dict:
        return self._call("DELETE", "faults")

    def configure(self, **settings) -> dict:
        """Change the app's settings at run time (the platform's ``configure`` names them; optional ``store``)."""
        return self._call("POST", "config", settings)
