"""Many stores: the serial many-stores job vs the Airflow fan-out (docs/scaling.md), section `fanout` of bench.py.

N sandbox Shopify stores under the standard plan's limits (bucket 2,000 points, 100 points/s, each store its own
bucket) and big enough that the limit binds. A project copy with N stores in its store list
(orchestrate/project_copy.py) loads them into a fresh PostgreSQL database, Meltano's state in it too:
- serial: one `meltano run` of every store's block after the other (the many-stores job's shape, into
  PostgreSQL so both sides do the same work);
- fan-out: the generated Airflow DAGs on LocalExecutor, every store triggered at once, with the Shopify pool at
  each size asked for. Before each round the state and the raw schema are dropped, so every round reads and
  loads every store in full.
Each store run's `meltano` is started through a small launcher that records its wall time and the CPU seconds of
meltano, the tap and the loader (rusage of the process tree); the sandboxes count THROTTLED answers; /proc/stat
says how busy the cores were. Airflow's overhead per task is the task instance's window minus the run inside it.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from harness import ROOT, VENV_BIN, Sandbox, items_for

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

STORES_PER_SANDBOX = 5
#: Runs `meltano` and appends {args, start, end, wall_s, cpu_s, rc} to the file in INVENTORY_BENCH_RUNS.
LAUNCHER = """
import json, os, resource, subprocess, sys, time
start = time.time()
proc = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE)
end = time.time()
code = proc.returncode
sys.stderr.buffer.write(proc.stderr)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(os.environ["INVENTORY_BENCH_RUNS"], "a") as fh:
    fh.write(json.dumps({"args": sys.argv[2:], "start": start, "end": end, "wall_s": end - start,
                         "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024,
                         "rc": code, "error": proc.stderr.decode(errors="replace")[-1500:] if code else ""}) + "\\n")
sys.exit(code)
"""


def cpu_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot."""
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    return (after[0] - before[0]) / max(after[1] - before[1], 1e-9)


def when(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def fanout(spec: dict, work: Path, say) -> dict:
    from support import postgres

    from orchestrate import sandbox_stores
    from orchestrate.airflow_local import Airflow
    from orchestrate.generate import plugin_name, store_key
    from orchestrate.project_copy import project_with_stores, synthetic_stores

    reason = postgres.unavailable_reason()
    if reason:
        raise SystemExit(f"bench: the fan-out section needs PostgreSQL: {reason}")
    n, levels = spec["stores"], spec["levels"]
    # A cron tick long past: unpausing a store's DAG starts one run (the latest tick), the warm-up round.
    doc = synthetic_stores({"shopify": n}, {"warehouse": "postgres", "every": "0 0 1 1 *"})
    stores = doc["stores"]
    (work / "stores.yml").write_text(json.dumps(doc))
    project = project_with_stores(work / "stores.yml", work / "project")
    runs_file = work / "runs.jsonl"
    launcher = work / "meltano-measured"
    (work / "launcher.py").write_text(LAUNCHER)
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} {work / 'launcher.py'} {VENV_BIN / 'meltano'} \"$@\"\n")
    launcher.chmod(0o755)
    result: dict = {"stores": n, "levels_per_store_target": levels, "bucket_size": spec["bucket_size"],
                    "restore_rate": spec["restore_rate"], "pool_sizes": spec["pools"], "rounds": []}

    with ExitStack() as stack:
        database = stack.enter_context(postgres.fresh_database("inventory_bench"))
        meta = stack.enter_context(postgres.fresh_database("inventory_bench_airflow"))
        sandboxes = []
        names = [sandbox_stores.sandbox_name(s) for s in stores]
        say(f"  fanout: {n} Shopify stores of ~{levels:,} levels in {math.ceil(n / STORES_PER_SANDBOX)} sandboxes")
        for i in range(0, n, STORES_PER_SANDBOX):
            group = names[i:i + STORES_PER_SANDBOX]
            sb = Sandbox("shopify", work, items=items_for("shopify", levels),
                         extra=["--bucket-size", str(spec["bucket_size"]), "--restore-rate", str(spec["restore_rate"])])
            sb.args[sb.args.index("--stores") + 1] = ",".join(group)
            sb.store = group[0]
            stack.enter_context(sb)
            sandboxes.append((sb, group))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "AIRFLOW"))}
        env.update(database.env(), MELTANO_SEND_ANONYMOUS_USAGE_STATS="false", INVENTORY_BENCH_RUNS=str(runs_file),
                   INVENTORY_MELTANO_BIN=str(launcher))
        for sb, group in sandboxes:
            env.update(sandbox_stores.store_env([s for s in stores if sandbox_stores.sandbox_name(s) in group],
                                                {"shopify": sb.url}))
        truth = {name: len(sb.control("GET", f"truth?store={name}")["inventory_levels"])
                 for sb, group in sandboxes for name in group}
        result["levels_per_store"] = sum(truth.values()) / n

        def reset() -> None:
            database_exec = postgres.execute
            database_exec(database.name, "drop schema if exists raw_shopify cascade")
            tables = {r["t"] for r in database.rows("select tablename as t from pg_tables where schemaname='public'")}
            if "state" in tables:
                database_exec(database.name, "delete from public.state")
            for sb, _ in sandboxes:
                sb.reset_log()
            runs_file.unlink(missing_ok=True)

        def measured(kind: str, pool: int | None, started: float, ended: float, busy: float) -> dict:
            runs = [json.loads(line) for line in runs_file.read_text().splitlines()]
            logs = [sb.log() for sb, _ in sandboxes]
            loaded = {r["store_id"]: r["n"] for r in database.rows(
                "select store_id, count(*) as n from raw_shopify.inventory_levels group by store_id")}
            cost = sum(log["cost_actual"] for log in logs) / n
            need = max(0.0, (cost - spec["bucket_size"]) / spec["restore_rate"])
            waves = math.ceil(n / pool) if pool else n
            return {"kind": kind, "pool": pool, "makespan_s": ended - started, "busy_share": busy,
                    "load_after": os.getloadavg()[0],
                    "runs": len(runs), "failed_runs": sum(1 for r in runs if r["rc"] != 0),
                    "errors": [r["error"] for r in runs if r["rc"] != 0][:3],
                    "cpu_s_per_run": sum(r["cpu_s"] for r in runs) / max(len(runs), 1),
                    "run_wall_s": sum(r["wall_s"] for r in runs) / max(len(runs), 1),
                    "largest_process_mb": max((r["max_rss_mb"] for r in runs), default=0),
                    "throttled": sum(log["throttled"] for log in logs), "cost_per_store": cost,
                    "rate_need_s_per_store": need, "rate_bound_s": waves * need,
                    "levels_loaded": sum(loaded.values()), "stores_loaded": len(loaded),
                    "all_levels_loaded": loaded == truth}

        def run_project(*args: str) -> None:
            proc = subprocess.run([str(launcher), "--log-level=warning", "--environment=postgres", *args],
                                  cwd=project, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                raise SystemExit(f"bench: meltano {args[:3]} exited {proc.returncode}:\n{proc.stderr[-3000:]}")

        # Serial: every store's block after the other in one `meltano run`.
        run_project("state", "list")  # migrates Meltano's system database once, outside the measurement
        reset()
        blocks = [word for s in stores for word in (plugin_name(s), "target-postgres")]
        say(f"  fanout: serial, {n} stores in one meltano run")
        before, started = cpu_busy(), time.time()
        run_project("run", *blocks)
        ended = time.time()
        row = measured("serial", None, started, ended, busy_share(before, cpu_busy()))
        # One `meltano run` for all stores: its CPU per store is the whole run's over N.
        row["cpu_s_per_run"] = row["cpu_s_per_run"] / n
        row["run_wall_s"] = row["run_wall_s"] / n
        result["rounds"].append(row)
        say(f"  fanout: serial {row['makespan_s']:.0f} s, throttled {row['throttled']}")

        # Fan-out on Airflow.
        reset()
        airflow = Airflow(env=env, home=work / "airflow", project=project,
                          metadata_url=f"postgresql+psycopg2://{postgres.USER}:{postgres.PASSWORD}@{postgres.HOST}:"
                                       f"{postgres.PORT}/{meta.name}",
                          settings={"AIRFLOW__CORE__PARALLELISM": str(max(spec["pools"]) + 4),
                                    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "true"})
        pools = work / "pools.json"
        pools.write_text(json.dumps({"shopify": {"slots": spec["pools"][0], "description": "bench"}}))
        deploy_started = time.time()
        airflow.deploy(pools=pools)
        airflow.start()
        stack.callback(airflow.stop)
        airflow.wait_ready()
        dags = sorted(store_key(s) for s in stores)
        airflow.wait_dags(set(dags))
        result["airflow_deploy_s"] = time.time() - deploy_started
        # Unpausing starts every store's run of the latest tick: a warm-up round (first imports, first
        # connections), timed but not compared; then one triggered round per pool size.
        say(f"  fanout: Airflow warm-up round (pool {max(spec['pools'])})")
        airflow.api("PATCH", "/api/v2/pools/shopify?update_mask=slots",
                    {"pool": "shopify", "slots": max(spec["pools"]), "include_deferred": False})
        started = time.time()
        for dag in dags:
            airflow.set_paused(dag, False)
        for dag in dags:
            airflow.wait_runs(dag, 1, timeout=3600)
        result["warmup_makespan_s"] = time.time() - started
        for pool in spec["pools"]:
            reset()
            airflow.api("PATCH", "/api/v2/pools/shopify?update_mask=slots",
                        {"pool": "shopify", "slots": pool, "include_deferred": False})
            say(f"  fanout: Airflow, Shopify pool {pool}")
            before, started = cpu_busy(), time.time()
            expected = {d: len(airflow.runs(d)) + 1 for d in dags}
            for dag in dags:
                airflow.trigger(dag)
            for dag in dags:
                airflow.wait_runs(dag, expected[dag], timeout=3600)
            tis = [ti for ti in airflow.task_instances() if ti["task_id"] == "sync" and ti["end_date"]
                   and when(ti["start_date"]) >= started - 1]
            first, last = min(when(t["start_date"]) for t in tis), max(when(t["end_date"]) for t in tis)
            row = measured("airflow", pool, started, last, busy_share(before, cpu_busy()))
            runs = [json.loads(line) for line in runs_file.read_text().splitlines()]
            windows = sum(when(t["end_date"]) - when(t["start_date"]) for t in tis)
            row.update(tasks=len(tis), first_task_after_trigger_s=first - started,
                       overhead_s_per_task=(windows - sum(r["wall_s"] for r in runs)) / max(len(tis), 1),
                       most_at_once=max(sum(1 for t in tis if when(t["start_date"]) <= when(u["start_date"])
                                            < when(t["end_date"])) for u in tis))
            result["rounds"].append(row)
            say(f"  fanout: pool {pool}: {row['makespan_s']:.0f} s, throttled {row['throttled']}, "
                f"cores busy {100 * row['busy_share']:.0f} %")
    serial = result["rounds"][0]["makespan_s"]
    for row in result["rounds"]:
        row["vs_serial"] = row["makespan_s"] / serial
    return result
