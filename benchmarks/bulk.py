"""Shopify bulk mode throughput: the tap with ``use_bulk`` reading ``inventory_levels`` from the sandbox.

One ``bulkOperationRunQuery`` exports every level to a JSONL file that the tap downloads and streams;
``bulk_throughput`` measures it like ``bench.throughput`` measures paged mode (same sandbox flags, same
start-up subtraction, the kernel's CPU time and peak RSS of the tap), and adds what only bulk mode has: how
long the sandbox took to write the export (``GET /_sandbox/log`` ``bulk_operations``) and the requests spent
(one mutation, a few polls, one download).

    python benchmarks/bulk.py 100000          # prints the dict as JSON
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import LEVELS, TAPS, Sandbox, items_for, run_tap, startup, startup_seconds, unlimited  # noqa: E402

PLATFORM = "shopify"


def bulk_throughput(levels: int, work: Path) -> dict:
    """Run the tap in bulk mode on ``inventory_levels`` against an unlimited sandbox of about ``levels``.

    Keys follow ``bench.throughput`` where they mean the same thing (``levels``, ``tap_wall_s``, ``tap_rps``,
    ``tap_steady_rps``, ``tap_startup_s``, ``tap_cpu_s``, ``tap_startup_cpu_s``, ``tap_cpu_rps``,
    ``tap_peak_rss_mb``), plus ``export_s`` (the sandbox writing the JSONL file), ``ready_s`` (bulk
    operation created -> final status, the sandbox's configured minimum delay included), ``export_objects``,
    ``export_bytes``, ``requests`` (all HTTP requests the tap made, the download included) and
    ``graphql_requests``.
    """
    tap = TAPS[PLATFORM]
    with Sandbox(PLATFORM, work, items=items_for(PLATFORM, levels), extra=unlimited(PLATFORM)) as sb:
        config = {**sb.tap_config(), "use_bulk": True}
        sb.reset_log()
        run, out, _ = run_tap(tap, config, work, streams={LEVELS})
        out.unlink()
        log = sb.log()
    n = run.records.get(LEVELS, 0)
    start_wall, start_cpu = startup_seconds(tap), startup(tap)[1]
    operations = [op for op in log.get("bulk_operations", []) if op.get("status") == "COMPLETED"]
    if len(operations) != 1:
        raise SystemExit(f"bench: expected one completed bulk operation, the sandbox logged {operations}")
    operation = operations[0]
    return {
        "levels": n,
        "tap_wall_s": run.wall_s,
        "tap_rps": n / run.wall_s,
        "tap_startup_s": start_wall,
        "tap_steady_rps": n / max(run.wall_s - start_wall, 1e-3),
        "tap_cpu_s": run.cpu_s,
        "tap_startup_cpu_s": start_cpu,
        # What the tap alone could sustain if the export were instant: records per CPU second.
        "tap_cpu_rps": n / max(run.cpu_s - start_cpu, 1e-3),
        "tap_peak_rss_mb": run.peak_rss_mb,
        "export_s": operation.get("export_s"),
        "ready_s": operation.get("finished_s"),
        "export_objects": int(operation.get("objects") or 0),
        "export_bytes": int(operation.get("bytes") or 0),
        "requests": log.get("requests", 0),
        "graphql_requests": log.get("graphql_requests", 0),
    }


def main(argv: list[str]) -> None:
    levels = int(argv[0]) if argv else 2_000
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as tmp:
        print(json.dumps(bulk_throughput(levels, Path(tmp)), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
