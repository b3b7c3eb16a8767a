"""``inventory-sandbox serve``: run the sandbox until SIGTERM/SIGINT, announcing ``READY <url>`` on stdout."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .cost import MODELS
from .server import SandboxServer, ShopifyApp


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inventory-sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start a sandbox server")
    serve.add_argument("--platform", choices=["shopify"], default="shopify")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--stores", action="append", metavar="NAMES",
                       help="comma-separated shop names, repeatable (default: demo-store)")
    serve.add_argument("--locations", type=int, default=4)
    serve.add_argument("--items", type=int, default=500)
    serve.add_argument("--seed", type=int, default=7)
    serve.add_argument("--bucket-size", type=float, default=2000)
    serve.add_argument("--restore-rate", type=float, default=100)
    serve.add_argument("--cost-model", choices=MODELS, default="measured")
    serve.add_argument("--max-cost", type=int, default=1000)
    serve.add_argument("--bulk-delay-ms", type=int, default=300)
    serve.add_argument("--ready-file", type=Path, help="also write the URL to this file once serving")
    return parser


def _stores(values: list[str] | None) -> list[str]:
    names = [name.strip() for value in values or ["demo-store"] for name in value.split(",") if name.strip()]
    return list(dict.fromkeys(names))


def serve(args: argparse.Namespace) -> int:
    app = ShopifyApp(_stores(args.stores), locations=args.locations, items=args.items, seed=args.seed,
                     bucket_size=args.bucket_size, restore_rate=args.restore_rate, cost_model=args.cost_model,
                     max_cost=args.max_cost, bulk_delay_ms=args.bulk_delay_ms)
    server = SandboxServer(app, args.host, args.port).start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if args.ready_file:
        tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
        tmp.write_text(server.url + "\n")
        tmp.replace(args.ready_file)  # atomic: readers never see a half-written URL
    print(f"READY {server.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
