"""``inventory-push [run|plan|apply|test] [--apply]``.

  run    (default) dry run unless the ``apply`` setting (``INVENTORY_PUSH_APPLY``) or ``--apply`` says to write
  plan   always a dry run: print and record the plan, write nothing to any channel
  apply  write the channels
  test   say per configured channel whether its credentials may write (scopes), writing nothing

Exit 0 when the run did what it should (stale and refused rows are normal outcomes, in the audit); 1 when some
rows ended ``error`` or ``unknown``; 2 when the run cannot start (a setting, the warehouse, the plan table), one
line saying why; 3 when a guard refused the whole run, one line saying which.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .settings import Settings, SettingsError

log = logging.getLogger("inventory_push")


def _test(settings: Settings) -> int:
    from .push import writers

    found = writers(settings)
    if not found:
        log.error("inventory-push: no channel is configured (TAP_*_INVENTORY_* or INVENTORY_PUSH_<PLATFORM>_* "
                  "variables)")
        return 2
    ok = True
    for channel, writer in found.items():
        may, message = writer.can_write()
        ok &= may
        log.info("inventory-push test: %s %s: %s", channel, writer.store.store_id, message)
    return 0 if ok else 1


def _run(settings: Settings, apply: bool) -> int:
    from . import push

    outcome = push.run(settings, apply)
    if outcome.refused:
        log.error("inventory-push: refused, nothing written: %s", outcome.refused)
        return 3
    for e in outcome.entries:
        if e.result == "applied":
            continue
        r = e.row
        line = f"{r.channel} {r.store_id} {r.location_id} {r.sku}: {r.observed_quantity} -> {r.planned_quantity}"
        print(f"{e.result:<14} {line}{f' ({e.method})' if e.method else ''}{f'  {e.detail}' if e.detail else ''}",
              flush=True)
    mode = "dry run, nothing written" if outcome.dry_run else "applied"
    log.info("inventory-push: %s: %s (audit %s.push_log, run %s)", mode, push.summary(outcome),
             settings.audit_schema, outcome.run_id)
    counts = outcome.counts
    return 1 if counts["error"] or counts["unknown"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inventory-push", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", nargs="?", default="run", choices=["run", "plan", "apply", "test"])
    parser.add_argument("--apply", action="store_true", help="write the channels (same as the apply action)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr, force=True)
    try:
        settings = Settings.from_env()
        if args.action == "test":
            return _test(settings)
        apply = args.action == "apply" or args.apply or (args.action == "run" and settings.apply)
        if args.action == "plan" and args.apply:
            raise SettingsError("plan is always a dry run; use apply (or --apply without plan) to write")
        return _run(settings, apply)
    except SettingsError as exc:
        log.error("inventory-push: %s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
