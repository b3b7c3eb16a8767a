"""Local stand-ins for the demo's alert destinations: an SMTP server and a Slack-style webhook endpoint.

`python scripts/demo_receivers.py --out output/alerts --ready-file F` listens on loopback, writes each email to
`OUT/mail-N.eml` and each webhook body to `OUT/webhook-N.json`, writes `SMTP_PORT WEBHOOK_URL` to the ready file
and serves until SIGTERM. `--show OUT` prints what arrived, for the demo's last lines.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def serve(out: Path, ready_file: Path) -> None:
    from aiosmtpd.controller import Controller

    out.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()

    def save(prefix: str, suffix: str, data: bytes) -> None:
        with lock:
            n = len(list(out.glob(f"{prefix}-*{suffix}"))) + 1
            (out / f"{prefix}-{n}{suffix}").write_bytes(data)

    class Mail:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 (aiosmtpd's hook)
            save("mail", ".eml", envelope.original_content or envelope.content)
            return "250 Message accepted for delivery"

    class Webhook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's hook)
            save("webhook", ".json", self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        smtp_port = sock.getsockname()[1]
    smtp = Controller(Mail(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ready_file.write_text(f"{smtp_port} http://127.0.0.1:{http.server_address[1]}/services/demo/webhook\n")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        http.shutdown()
        smtp.stop()


def show(out: Path, lines: int) -> None:
    for path in sorted(out.glob("mail-*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        print(f"demo: email to {mail['To']}: {mail['Subject']} ({path})")
        for line in mail.get_content().splitlines()[2:2 + lines]:
            print(f"        {line}")
    for path in sorted(out.glob("webhook-*.json")):
        text = json.loads(path.read_text())["text"]
        print(f"demo: webhook message: {text.splitlines()[0]} ({path})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ready-file", type=Path)
    parser.add_argument("--show", action="store_true", help="print what arrived in --out and exit")
    parser.add_argument("--lines", type=int, default=14)
    args = parser.parse_args()
    if args.show:
        show(args.out, args.lines)
    else:
        serve(args.out, args.ready_file)


if __name__ == "__main__":
    main()
