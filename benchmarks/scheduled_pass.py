"""Section 8: one scheduled pass on PostgreSQL, all three channels, after a few stock changes.

What a merchant's every-minute cron line runs (`inventory-sync --warehouse postgres`): each channel's tap ->
target-postgres from its bookmark, then dbt build, source freshness and the alerts. Three sandbox stores (Shopify,
BigCommerce, Magento) of `items` items each are loaded in full once (not timed as a pass); then, `repeats` times,
`changes` levels change in every store and one incremental pass runs. Wall time is the whole `inventory-sync`
process; the per-step seconds come from the pass's own status file (`--status`). Target: under 30 s at 20k items
per store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from harness import ROOT, VENV_BIN, Sandbox

PLATFORMS = ("shopify", "bigcommerce", "magento")
TARGET_S = 30.0


def _env(stores: dict[str, Sandbox], database_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "PG"))}
    env.update(database_env, MELTANO_SEND_ANONYMOUS_USAGE_STATS="false", INVENTORY_CHANNELS=",".join(PLATFORMS),
               PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for sb in stores.values():
        env.update(sb.tap_env())
    return env


def _pass(env: dict[str, str], work: Path, name: str) -> dict:
    status = work / f"status-{name}.json"
    started = time.perf_counter()
    proc = subprocess.run([str(VENV_BIN / "inventory-sync"), "--warehouse", "postgres", "--status", str(status),
                           "--lock", str(work / "sync.lock")],
                          cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise SystemExit(f"bench: inventory-sync --warehouse postgres ({name}) exited {proc.returncode}:\n{tail}")
    run = json.loads(status.read_text())
    steps = {s["name"]: s.get("seconds") for s in (*run["sources"], *run["steps"])}
    return {"wall_s": wall, "steps_s": steps}


def scheduled_pass(spec: dict, work: Path, say) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from support import postgres

    reason = postgres.unavailable_reason()
    if reason:
        raise SystemExit(f"bench: section pass needs PostgreSQL: {reason}")
    with ExitStack() as stack:
        database = stack.enter_context(postgres.fresh_database("inventory_bench_pass"))
        stores = {p: stack.enter_context(Sandbox(p, work, items=spec["items"])) for p in PLATFORMS}
        env = _env(stores, database.env())
        say(f"pass: first (full) pass, {spec['items']:,} items per store")
        first = _pass(env, work, "full")
        levels = {r["channel"]: r["n"] for r in database.rows(
            "select channel, count(*) as n from analytics.fct_inventory_levels group by channel")}
        runs = []
        for i in range(spec["repeats"]):
            for seed, sb in enumerate(stores.values()):
                sb.control("POST", "stock", {"store": sb.store, "changes": spec["changes"], "seed": 100 * i + seed})
            runs.append(_pass(env, work, f"incremental-{i}"))
            say(f"pass: incremental {i + 1}: {runs[-1]['wall_s']:.1f} s")
    walls = sorted(r["wall_s"] for r in runs)
    return {"items": spec["items"], "changes": spec["changes"], "levels": levels, "first": first, "runs": runs,
            "median_s": walls[len(walls) // 2], "target_s": TARGET_S, "met": walls[len(walls) // 2] < TARGET_S}
