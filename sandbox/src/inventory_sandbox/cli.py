"""``inventory-sandbox serve --platform P``: run one platform's sandbox until SIGTERM/SIGINT, announcing
``READY <url>`` on stdout. ``inventory-sandbox sales --shopify URL --bigcommerce URL --magento URL ...``: run the
sales simulator (``sales.py``) against running servers and write its JSON summary.

Each platform runs as its own server. A platform registers here by name and provides a module with
  ``DEFAULT_STORES``               store names used when ``--stores`` is not given
  ``add_arguments(parser)``        its own flags (added after the common ones)
  ``make_app(args, stores)``       the platform app (see ``inventory_sandbox.server``)
"""

from __future__ import annotations

import argparse
import importlib
import json
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
    _add_sales(sub)
    return parser


def _add_sales(sub) -> None:
    sales = sub.add_parser("sales", help="run the sales simulator against running servers (--catalog shared)",
                           description="Seeded orders on every channel against one physical stock; counts oversells.")
    for name in PLATFORMS:
        sales.add_argument(f"--{name}", metavar="URL", help=f"the {name} sandbox server (omit: no {name} channel)")
        sales.add_argument(f"--{name}-store", metavar="NAME", help="its store (default: the server's first)")
    sales.add_argument("--seed", type=int, default=0)
    when = sales.add_mutually_exclusive_group()
    when.add_argument("--days", type=float, help="simulated days (default 1)")
    when.add_argument("--duration", type=float, metavar="SECONDS",
                      help="wall-clock seconds to run; simulated days = duration * speed / 86400")
    sales.add_argument("--speed", type=float, default=None,
                       help="simulated seconds per wall second: 1 real time (default with --duration), 1440 a day a "
                            "minute, 0 as fast as the stores answer (default with --days)")
    sales.add_argument("--rate", type=float, default=4.0, help="mean units demanded per SKU per simulated day")
    sales.add_argument("--demand", default="smooth",
                       help="smooth | intermittent | lumpy | trending | seasonal_weekly (optionally kind:key=value,...)"
                            " | mix (the kinds in turn) | a JSON file {sku: process}")
    sales.add_argument("--weights", default="",
                       help="share of orders per channel, e.g. shopify=2,bigcommerce=1,magento=1")
    sales.add_argument("--skus", type=int, help="sell only the first N shared SKUs")
    sales.add_argument("--skip-cases", action="store_true",
                       help="do not sell the SKUs of the seeded cases (their channels disagree on purpose)")
    sales.add_argument("--mirror", action="store_true",
                       help="take every accepted order from every other channel too, as a sync keeping them equal "
                            "would (they keep showing the same stock)")
    sales.add_argument("--feed-lag", type=float, metavar="SECONDS",
                       help="feed every order taken elsewhere into the system of record this many simulated seconds "
                            "later (an OMS); default: no feed")
    sales.add_argument("--restock-every", type=float, metavar="HOURS", help="restock every this many simulated hours")
    sales.add_argument("--restock-units", type=int, default=10, help="units per SKU per restock")
    sales.add_argument("--restock-below", type=float, help="restock only SKUs whose physical stock is at most this")
    sales.add_argument("--receiving", default=None, metavar="CHANNEL[:LOCATION]",
                       help="where restocks arrive (default: the system of record's default location)")
    sales.add_argument("--timeline-step", type=float, default=3600, metavar="SECONDS")
    sales.add_argument("--output", type=Path, help="write the JSON summary here (default: stdout)")
    sales.add_argument("--demand-csv", type=Path, help="also write the realised daily demand as CSV")


def sales(args: argparse.Namespace) -> int:
    from .sales import Restock, SalesSimulator, export_daily_demand

    urls = {name: getattr(args, name) for name in PLATFORMS if getattr(args, name)}
    if not urls:
        raise SystemExit("inventory-sandbox sales: give at least one of --shopify, --bigcommerce, --magento URL")
    speed = args.speed if args.speed is not None else (1.0 if args.duration is not None else 0.0)
    if args.duration is not None and speed <= 0:
        raise SystemExit("inventory-sandbox sales: --duration needs a --speed above 0")
    days = args.duration * speed / 86400 if args.duration is not None else (args.days or 1.0)
    demand = args.demand
    if demand.endswith(".json"):
        demand = json.loads(Path(demand).read_text())
    weights = {k.strip(): float(v) for k, _, v in (w.partition("=") for w in args.weights.split(",") if w.strip())}
    receiving = None
    if args.receiving:
        channel, _, location = args.receiving.partition(":")
        receiving = (channel, location or None)
    restock = Restock(args.restock_every * 3600, args.restock_units, args.restock_below) if args.restock_every else None
    try:
        sim = SalesSimulator.from_urls(
            urls, {name: getattr(args, f"{name}_store") for name in urls if getattr(args, f"{name}_store")},
            skus=args.skus, skip_cases=args.skip_cases, seed=args.seed, days=days, speed=speed, rate=args.rate,
            demand=demand, weights=weights, feed_lag_s=args.feed_lag, restock=restock, receiving=receiving,
            timeline_step_s=args.timeline_step, mirror=args.mirror)
    except (ValueError, OSError) as exc:
        raise SystemExit(f"inventory-sandbox sales: {exc}") from None
    summary = sim.run()
    text = json.dumps(summary, indent=1)
    if args.output:
        args.output.write_text(text + "\n")
    else:
        print(text)
    if args.demand_csv:
        export_daily_demand(summary, args.demand_csv)
    t = summary["totals"]
    print(f"sales: {t['orders']} orders, {t['accepted']} accepted, {t['refused']} refused, {t['oversells']} oversells "
          f"({t['oversold_units']} units), {t['errors']} errors in {summary['wall_seconds']} s", file=sys.stderr)
    return 0


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
    if args.command == "sales":
        return sales(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
