"""``inventory-webhooks serve --db PATH [--host H] [--port P] [--ready-file F]``.

Secrets come from the environment (never the command line, where ``ps`` shows them):
``INVENTORY_WEBHOOKS_SHOPIFY_SECRET`` (the Shopify app's client secret) and
``INVENTORY_WEBHOOKS_BIGCOMMERCE_TOKEN`` (the value of the custom header given when the BigCommerce hooks
were created). At least one is required. Prints ``READY http://HOST:PORT`` once listening.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys

import uvicorn

from .app import Settings, create_app
from .store import EventStore
from .verify import BIGCOMMERCE_TOKEN_HEADER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inventory-webhooks")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="receive webhooks into a durable SQLite store")
    serve.add_argument("--db", required=True, help="SQLite file of accepted events (created if missing)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    serve.add_argument("--max-age", type=float, default=48 * 3600,
                       help="reject deliveries whose event time is older than this many seconds")
    serve.add_argument("--bigcommerce-header", default=BIGCOMMERCE_TOKEN_HEADER,
                       help="custom header carrying the BigCommerce shared secret")
    serve.add_argument("--ready-file", help="write the base URL here once listening")
    args = parser.parse_args(argv)

    settings = Settings(shopify_secret=os.environ.get("INVENTORY_WEBHOOKS_SHOPIFY_SECRET") or None,
                        bigcommerce_token=os.environ.get("INVENTORY_WEBHOOKS_BIGCOMMERCE_TOKEN") or None,
                        bigcommerce_header=args.bigcommerce_header, max_age=args.max_age)
    if not settings.shopify_secret and not settings.bigcommerce_token:
        print("inventory-webhooks: set INVENTORY_WEBHOOKS_SHOPIFY_SECRET and/or INVENTORY_WEBHOOKS_BIGCOMMERCE_TOKEN",
              file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        store = EventStore(args.db)
    except Exception as exc:  # noqa: BLE001 - one clear line
        print(f"inventory-webhooks: cannot open {args.db}: {exc}", file=sys.stderr)
        return 2

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"inventory-webhooks: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    url = f"http://{args.host}:{sock.getsockname()[1]}"

    config = uvicorn.Config(create_app(store, settings), log_level="warning", access_log=False)
    server = uvicorn.Server(config)

    original_startup = server.startup

    async def startup(sockets=None):
        await original_startup(sockets=sockets)
        if args.ready_file:
            with open(args.ready_file, "w") as fh:
                fh.write(url)
        print(f"READY {url}", flush=True)

    server.startup = startup
    server.run(sockets=[sock])
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
