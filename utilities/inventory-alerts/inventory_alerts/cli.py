"""Console scripts: `inventory-alerts [send|report]` and `inventory-report [--output FILE]`.

Alerts never fail the sync: a failed send is logged and exits 0 (the next run tries again). Exit 2 only
when the run cannot start at all (a bad setting, no warehouse), with one line saying why.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .settings import Settings, SettingsError

log = logging.getLogger("inventory_alerts")


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)


def _send() -> int:
    from . import alerts

    try:
        alerts.run(Settings.from_env())
    except SettingsError as exc:
        log.error("alerts: %s", exc)
        return 2
    return 0


def _report(output: str | None) -> int:
    from . import report  # matplotlib: loaded only for the report

    try:
        path = report.write(Settings.from_env(), output)
    except SettingsError as exc:
        log.error("report: %s", exc)
        return 2
    log.info("report: wrote %s", path)
    return 0


def alerts_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inventory-alerts", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", nargs="?", default="send", choices=["send", "report"],
                        help="send: alert on new, changed and resolved conditions (default); report: write the HTML report")
    parser.add_argument("--output", help="report file (default: setting report_path)")
    args = parser.parse_args(argv)
    _logging()
    return _send() if args.action == "send" else _report(args.output)


def report_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inventory-report", description="Write the inventory health report (HTML).")
    parser.add_argument("--output", help="report file (default: INVENTORY_ALERTS_REPORT_PATH or output/health-report.html)")
    args = parser.parse_args(argv)
    _logging()
    return _report(args.output)


if __name__ == "__main__":
    sys.exit(alerts_main())
