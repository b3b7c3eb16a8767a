"""`warehouse-check postgres|snowflake --schemas a,b`: reach, log in, and create-rights, in one line."""

from __future__ import annotations

import argparse
import os
import sys

from . import postgres, snowflake


class CheckFailed(Exception):
    """The one line to print: what is wrong and what to check."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="warehouse-check", description=__doc__)
    parser.add_argument("warehouse", choices=["postgres", "snowflake"])
    parser.add_argument("--schemas", default="raw_shopify,analytics",
                        help="comma-separated schemas the loader and dbt write (default: %(default)s)")
    parser.add_argument("--timeout", type=int, default=int(os.environ.get("WAREHOUSE_CHECK_TIMEOUT") or 15),
                        help="seconds to wait for the server (env WAREHOUSE_CHECK_TIMEOUT; default %(default)s)")
    args = parser.parse_args(argv)
    schemas = [s.strip() for s in args.schemas.split(",") if s.strip()]
    check = postgres.check if args.warehouse == "postgres" else snowflake.check
    try:
        ok = check(schemas, args.timeout)
    except CheckFailed as exc:
        print(f"warehouse-check: {exc}", file=sys.stderr, flush=True)
        return 2
    print(f"warehouse-check: {ok}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
