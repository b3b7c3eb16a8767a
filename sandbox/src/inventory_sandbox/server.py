"""The generic HTTP layer shared by every platform sandbox.

Built on ``http.server.ThreadingHTTPServer`` (no framework) so transport faults (connection resets,
truncated bodies, HTML error pages) are easy to produce.

A platform app is a plain object with
  ``handle(method, path, query, headers, body) -> Reply``   every request outside ``/_sandbox/``
  ``control(method, path, query, body) -> Reply``           ``/_sandbox/<path>`` (body parsed from JSON)
  ``close()``                                               release resources when the server stops
  ``base_url``                                              set by ``SandboxServer`` once bound

Routes
  *    /_sandbox/...   control API of the platform (docs/interfaces.md section 3)
  *    anything else   the platform's API
"""

from __future__ import annotations

import json
import shutil
import socket
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """An HTTP answer; ``action`` is "send", "reset" (close without answering) or "truncate".

    ``chunks`` streams the body with chunked transfer encoding; ``file`` streams a file from disk.
    """
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    action: str = "send"
    chunks: Iterable[bytes] | None = None
    file: Path | None = None

    @classmethod
    def json(cls, status: int, obj, **headers) -> Reply:
        return cls(status, json.dumps(obj).encode(), {"Content-Type": "application/json; charset=utf-8",
                                                      **headers})


class App(Protocol):
    base_url: str

    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> Reply: ...

    def control(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply: ...

    def close(self) -> None: ...


def fmt_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "inventory-sandbox"
    sys_version = ""
    app: App  # set on the subclass made by SandboxServer

    def log_message(self, format, *args):  # noqa: A002 - quiet by default
        pass

    def setup(self):
        super().setup()
        # The headers and the body leave in two writes; with Nagle's algorithm the body waits for the client's
        # delayed ACK of the headers, ~40 ms per answer on a kept-alive connection (measured: 44.7 ms per control
        # call instead of 0.4 ms). The platforms answer without that stall, so neither should the sandbox.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, reply: Reply) -> None:
        if reply.action == "reset":
            # RST instead of FIN: the client sees "connection reset by peer" with no response at all.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.file is not None:
            self.send_header("Content-Length", str(reply.file.stat().st_size))
            self.end_headers()
            with open(reply.file, "rb") as fh:
                shutil.copyfileobj(fh, self.wfile, 1 << 20)
            return
        if reply.chunks is not None:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in reply.chunks:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.action == "truncate":
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self._body()
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path.startswith("/_sandbox/"):
            try:
                parsed = json.loads(body) if body else {}
            except ValueError:
                reply = Reply.json(400, {"error": "body is not JSON"})
            else:
                reply = self.app.control(method, url.path[len("/_sandbox/"):].strip("/"), query, parsed)
        else:
            reply = self.app.handle(method, url.path, query, self.headers, body)
        self._send(reply)

    def do_GET(self):  # noqa: N802
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self):  # noqa: N802
        self._dispatch("DELETE")

    def do_PUT(self):  # noqa: N802
        self._dispatch("PUT")

    def do_PATCH(self):  # noqa: N802
        self._dispatch("PATCH")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # clients that hang up mid-answer are normal here


class SandboxServer:
    """A bound (not yet serving) HTTP server around one platform app."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        handler = type("BoundHandler", (Handler,), {"app": app})
        self.httpd = _HTTPServer((host, port), handler)
        bound_host, bound_port = self.httpd.server_address[:2]
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else bound_host
        if ":" in shown:
            shown = f"[{shown}]"
        self.url = f"http://{shown}:{bound_port}"
        app.base_url = self.url
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self.serve_forever, name="inventory-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.app.close()
