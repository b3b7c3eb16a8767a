"""``inventory-sandbox serve --platform P``: run one platform's sandbox until SIGTERM/SIGINT, announcing
``READY <url>`` on stdout.

Each platform runs as its own server. A platform registers here by name and provides a module with
  ``DEFAULT_STORES``               store names used when ``--stores`` is not given
  ``add_arguments(parser)``        its own flags (added after the common ones)
  ``make_app(args, stores)``       the platform app (see ``inventory_sandbox.server``)
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from pathlib import Path

from .catalog import apply_catalog, plan_from_args
from .server import SandboxServer

PLATFORMS = {
    "shopify": "inventory_sandbox.shopify.cli",
    "bigcommerce": "inventory_sandbox.bigcommerce.cli",
    "magento": "inventory_sandbox.magento.cli",
}
DEFAULT_PLATFORM = "shopify"


def _platform_module(name: str):
    try:
        return importlib.import_module(PLATFORMS[name])
    except ImportError as exc:
        raise SystemExit(f"inventory-sandbox: platform {name!r} is not available ({exc})") from None


def build_parser(platform: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inventory-sandbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start a sandbox server for one platform")
    serve.add_argument("--platform", choices=sorted(PLATFORMS), default=DEFAULT_PLATFORM)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--stores", action="append", metavar="NAMES",
                       help="comma-separated store names, repeatable (default depends on the platform)")
    serve.add_argument("--locations", type=int, default=4)
    serve.add_argument("--items", type=int, default=500)
    serve.add_argument("--seed", type=int, default=7)
    serve.add_argument("--ready-file", type=Path, help="also write the URL to this file once serving")
    serve.add_argument("--catalog", choices=("own", "shared"), default="own",
                       help="own: each platform its own SKUs (default); shared: one catalog on every platform with "
                            "seeded discrepancies and risks (inventory_sandbox.catalog, GET /_sandbox/scenario)")
    if platform is not None:
        group = serve.add_argument_group(f"{platform} options")
        _platform_module(platform).add_arguments(group)
    return parser


def _stores(values: list[str] | None, default: list[str]) -> list[str]:
    names = [name.strip() for value in values or default for name in value.split(",") if name.strip()]
    return list(dict.fromkeys(names))


def serve(args: argparse.Namespace) -> int:
    module = _platform_module(args.platform)
    app = apply_catalog(module.make_app(args, _stores(args.stores, list(module.DEFAULT_STORES))), plan_from_args(args))
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


def _platform_of(argv: list[str]) -> str:
    """The ``--platform`` value (first pass), so the platform's own flags can be added before parsing."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--platform", choices=sorted(PLATFORMS), default=DEFAULT_PLATFORM)
    known, _ = pre.parse_known_args(argv)
    return known.platform


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_platform_of(argv)).parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
