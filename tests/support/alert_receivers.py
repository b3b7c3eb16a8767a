"""Real receivers on loopback for the alert tests: an SMTP server (aiosmtpd) and an HTTP webhook endpoint."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content()


@dataclass
class SmtpReceiver:
    host: str
    port: int
    mails: list[Mail] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server(user: str, password: str, tls: ssl.SSLContext | None = None) -> Iterator[SmtpReceiver]:
    """An SMTP server that requires AUTH and keeps every message it accepts; with `tls`, STARTTLS is required
    before AUTH and MAIL (as on a real submission port), otherwise AUTH is allowed over plain loopback."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    receiver = SmtpReceiver("127.0.0.1", _free_port())

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001 (aiosmtpd's signature)
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
            and auth_data.password.decode() == password
        return AuthResult(success=ok, auth_data=auth_data)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 (aiosmtpd's hook)
            login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
            receiver.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos),
                                       message_from_bytes(envelope.content, policy=policy.default), login))
            return "250 Message accepted for delivery"

    # AUTH without TLS is what this loopback test wants; aiosmtpd warns about it on every start.
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    controller = Controller(Handler(), hostname=receiver.host, port=receiver.port, authenticator=authenticator,
                            auth_required=True, auth_require_tls=tls is not None, tls_context=tls,
                            require_starttls=tls is not None)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()


@dataclass
class WebhookReceiver:
    url: str
    payloads: list[dict] = field(default_factory=list)
    fail_next: int = 0  # answer HTTP 500 to this many requests first
    attempts: int = 0


@contextmanager
def webhook_server() -> Iterator[WebhookReceiver]:
    """An HTTP endpoint that answers like a Slack incoming webhook (200 `ok`) and keeps every JSON body."""
    receiver = WebhookReceiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's hook)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.attempts += 1
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"server error")
                return
            receiver.payloads.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret-token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
