"""The benchmark suite: throughput, API budget, rate-limit efficiency, freshness, scale and memory, and the
oversells the push prevents (push.py).

    scripts/bench.sh [--size small|full] [--sections throughput,budget,ratelimit,freshness,scale,fanout,push,pass]

Starts sandbox stores at the chosen sizes, runs each tap (and the floor, the loader, the Meltano job) as
real processes over loopback HTTP, writes ``benchmarks/results/<machine>-<size>.json`` and, via
``report.py``, the PNG plots and ``docs/benchmarks.md``. See docs/benchmarks.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    LEVELS,
    ROOT,
    TAPS,
    VENV_BIN,
    Sandbox,
    items_for,
    machine,
    run_floor,
    run_tap,
    run_tap_to_loader,
    startup,
    startup_seconds,
    unlimited,
)

PLATFORMS = ("shopify", "bigcommerce", "magento")
SECTIONS = ("throughput", "budget", "ratelimit", "freshness", "scale", "fanout", "push", "pass")
#: What a plain run measures; the many-stores fan-out, the push and the PostgreSQL pass run when named.
DEFAULT_SECTIONS = ("throughput", "budget", "ratelimit", "freshness", "scale")
#: Sections that record their own run facts (time, load) and leave the header's to the main run.
OWN_FACTS = {"fanout", "push", "pass"}
# Largest page each endpoint serves (the minimum request count divides by it).
MAX_PAGE = {"shopify": 250, "bigcommerce": 1000, "magento": 300}

SIZES = {
    # CI smoke test (tests/benchmarks): every section, as few processes as possible; figures mean nothing.
    "tiny": {
        "scale": {p: [150, 300] for p in PLATFORMS},
        "throughput": {p: 300 for p in PLATFORMS},
        "budget": {p: 300 for p in PLATFORMS},
        "budget_ks": [1, 10],
        "ratelimit": {"shopify": {"levels": 600, "bucket_size": 60, "restore_rate": 60},
                      "bigcommerce": {"levels": 600, "window_ms": 500, "quota": 2, "page_size": 50}},
        "freshness": {"items": 40, "repeats": 0, "batch": 5,
                      "schedule": {"tick_s": 15, "ticks": 2, "for_s": 5, "changes": 2}},
        "fanout": {"stores": 2, "levels": 300, "pools": [2], "bucket_size": 2000, "restore_rate": 100},
        # one tick of the one-minute schedule per mode, beside the no-push run; its passes go on until the orders
        # have stopped (for_s >= duration_s), so a slow machine still has a cycle end after them
        "push": {"items": 40, "seed": 7, "duration_s": 30, "drain_s": 30, "units_per_sku": 6, "feed_lag_s": 3,
                 "settle_s": "bigcommerce:15", "tick_s": 60, "for_s": 35, "batch_s": 600, "demand_minutes": 1,
                 "restock": {"every_s": 20, "units": 5, "below": 2},
                 "modes": ["system_of_record", "pooled"], "scenarios": ["a", "c"]},
        "pass": {"items": 40, "changes": 2, "repeats": 1},
    },
    # A quick local check of every section.
    "small": {
        "scale": {p: [300, 600, 1200] for p in PLATFORMS},
        "throughput": {p: 1200 for p in PLATFORMS},
        "budget": {p: 1200 for p in PLATFORMS},
        "budget_ks": [1, 5, 20],
        "ratelimit": {"shopify": {"levels": 1500, "bucket_size": 100, "restore_rate": 50},
                      "bigcommerce": {"levels": 1500, "window_ms": 1000, "quota": 2, "page_size": 100}},
        "freshness": {"items": 150, "repeats": 0, "batch": 20,
                      "schedule": {"tick_s": 30, "ticks": 3, "for_s": 20, "changes": 5}},
        "fanout": {"stores": 4, "levels": 2000, "pools": [1, 2, 4], "bucket_size": 2000, "restore_rate": 100},
        "push": {"items": 80, "seed": 7, "duration_s": 240, "drain_s": 240, "units_per_sku": 30, "feed_lag_s": 5,
                 "settle_s": "bigcommerce:15", "tick_s": 60, "for_s": 45, "batch_s": 120, "demand_minutes": 2,
                 "other_locations": "lower",
                 "restock": {"every_s": 90, "units": 8, "below": 3},
                 "modes": ["system_of_record", "pooled"], "scenarios": ["a", "b", "c", "d"]},
        "pass": {"items": 2000, "changes": 10, "repeats": 3},
    },
    # The published figures.
    "full": {
        "scale": {p: [10_000, 100_000, 1_000_000] for p in PLATFORMS},
        "throughput": {p: 100_000 for p in PLATFORMS},
        "budget": {p: 100_000 for p in PLATFORMS},
        "budget_ks": [1, 10, 100, 1000],
        # Realistic limits: Shopify Standard (2,000-point bucket, 100 points/s); BigCommerce Standard
        # (150 requests per 30 s window).
        "ratelimit": {"shopify": {"levels": 50_000, "bucket_size": 2000, "restore_rate": 100},
                      "bigcommerce": {"levels": 200_000, "window_ms": 30_000, "quota": 150, "page_size": 250}},
        # The schedule as shipped: a cron tick every minute for 6 minutes, 16 changes at random moments.
        "freshness": {"items": 100_000, "repeats": 8, "batch": 100,
                      "schedule": {"tick_s": 60, "ticks": 6, "for_s": 45, "changes": 16}},
        # Many stores (docs/scaling.md): Shopify Standard limits per store, ~20k levels each (a store alone then
        # needs ~12 s of cost budget), the serial job vs the Airflow fan-out at each Shopify pool size.
        "fanout": {"stores": 20, "levels": 20_000, "pools": [1, 4, 8, 16], "bucket_size": 2000, "restore_rate": 100},
        # ten minutes of orders (about 60 units per shared SKU: most run out), four more of the schedule after (a SKU
        # in stock loses its two-minute demand buffer two minutes after its last sale); every channel holds back what
        # the SKU sold in its last two minutes on sale, and the push lowers the locations it does not own
        "push": {"items": 200, "seed": 7, "duration_s": 600, "drain_s": 240, "units_per_sku": 60, "feed_lag_s": 5,
                 "settle_s": "bigcommerce:15", "tick_s": 60, "for_s": 45, "batch_s": 600, "demand_minutes": 2,
                 "other_locations": "lower",
                 "restock": {"every_s": 180, "units": 10, "below": 3},
                 "modes": ["system_of_record", "pooled"], "scenarios": ["a", "b", "c", "d"]},
        # The every-minute pass on PostgreSQL, three channels of 20k items each, after 100 changes per store.
        "pass": {"items": 20_000, "changes": 100, "repeats": 3},
    },
}


def say(msg: str) -> None:
    print(f"bench {dt.datetime.now(dt.UTC):%H:%M:%S} {msg}", flush=True)


def tap_config(sb: Sandbox) -> dict:
    config = sb.tap_config()
    if sb.platform == "magento":
        config["page_size"] = MAX_PAGE["magento"]  # the largest page a store with input limits allows
    return config


# ----------------------------------------------------------------------------------------------- sections
def throughput(platform: str, levels: int, work: Path, profile_dir: Path, profile: bool) -> dict:
    tap = TAPS[platform]
    with Sandbox(platform, work, items=items_for(platform, levels), extra=unlimited(platform)) as sb:
        cfg = tap_config(sb)
        run, out, _ = run_tap(tap, cfg, work, streams={LEVELS})
        out.unlink()
        floor = run_floor(platform, cfg, work)
        pipe_wall, _, loader_rss = run_tap_to_loader(tap, cfg, work, f"raw_{platform}", {LEVELS})
        n = run.records.get(LEVELS, 0)
        start = startup_seconds(tap)
        result = {
            "levels": n, "tap_wall_s": run.wall_s, "tap_rps": n / run.wall_s, "tap_peak_rss_mb": run.peak_rss_mb,
            "tap_startup_s": start, "tap_steady_rps": n / max(run.wall_s - start, 1e-3),
            "tap_cpu_s": run.cpu_s, "floor_cpu_s": floor.cpu_s, "tap_startup_cpu_s": startup(tap)[1],
            # What the tap alone could sustain if the server answered instantly: records per CPU second.
            "tap_cpu_rps": n / max(run.cpu_s - startup(tap)[1], 1e-3),
            "floor_cpu_rps": floor.records.get(LEVELS, 0) / max(floor.cpu_s - startup("floor")[1], 1e-3),
            "floor_levels": floor.records.get(LEVELS, 0), "floor_wall_s": floor.wall_s,
            "floor_rps": floor.records.get(LEVELS, 0) / floor.wall_s,
            "loader_wall_s": pipe_wall, "loader_rps": n / pipe_wall, "loader_peak_rss_mb": loader_rss,
        }
        floor_n = result["floor_levels"]
        result["floor_steady_rps"] = floor_n / max(floor.wall_s - startup_seconds("floor"), 1e-3)
        result["ratio_to_floor"] = result["tap_steady_rps"] / result["floor_steady_rps"] if floor_n else None
        if platform == "shopify":  # the other way Shopify reads a whole store: one bulk export (JSONL)
            from bulk import bulk_throughput

            result["bulk"] = bulk_throughput(levels, work)
        if profile and result["ratio_to_floor"] is not None and result["ratio_to_floor"] < 1 / 3:
            prof = profile_dir / f"{platform}.prof"
            _, pout, _ = run_tap(tap, cfg, work, streams={LEVELS}, profile=prof)
            pout.unlink()
            result["profile"] = top_functions(prof)
            prof.unlink()
    return result


def top_functions(prof: Path, limit: int = 12) -> list[dict]:
    """Where the tap's time goes: the functions with the most own time (cProfile)."""
    stats = pstats.Stats(str(prof))
    total = stats.total_tt or 1
    rows = []
    for (file, line, func), (_, ncalls, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{Path(file).name}:{line}({func})", "calls": ncalls,
                     "own_s": tt, "cum_s": ct, "own_pct": 100 * tt / total, "where": _owner(file)})
    rows.sort(key=lambda r: r["own_s"], reverse=True)
    by_owner: Counter = Counter()
    for r in rows:
        by_owner[r["where"]] += r["own_s"]
    return {"total_s": total, "top": rows[:limit],
            "by_owner_pct": {k: round(100 * v / total, 1) for k, v in by_owner.most_common()}}


def _owner(file: str) -> str:
    for name in ("tap_shopify_inventory", "tap_bigcommerce_inventory", "tap_magento_inventory", "singer_inventory_kit"):
        if name in file:
            return "tap (ours)"
    for lib in ("singer_sdk", "jsonschema", "requests", "urllib3", "http", "json", "socket", "ssl",
                "simplejson", "backoff", "msgspec", "fastjsonschema"):
        if f"/{lib}/" in file or f"/{lib}." in file or file.endswith(f"{lib}.py"):
            return lib
    if file.startswith("~") or file.startswith("<"):
        return "builtins"
    return "other"


def minimum_requests(platform: str, sb: Sandbox, records: dict[str, int], out: Path) -> dict:
    """ceil(rows / largest page) for every list the tap must read, from the store's own totals."""
    if platform == "shopify":
        per_location = Counter()
        with open(out, "rb") as fh:
            for line in fh:
                if b'"inventory_levels"' in line[:60]:
                    msg = json.loads(line)
                    if msg.get("type") == "RECORD":
                        per_location[msg["record"]["location_id"]] += 1
        parts = {"locations": math.ceil(records.get("locations", 0) / 250) or 1,
                 "inventory_items": math.ceil(records.get("inventory_items", 0) / 250) or 1,
                 # levels are paged per location (the query that can page them without nested cost blow-up)
                 "inventory_levels": sum(math.ceil(n / 250) for n in per_location.values()) or 1}
        return {"parts": parts, "minimum": sum(parts.values())}
    if platform == "bigcommerce":
        def total(path: str) -> int:
            import requests
            body = requests.get(f"{sb.url}/stores/{sb.store}/v3/{path}", params={"limit": 1},
                                headers={"X-Auth-Token": f"bc_sandbox_{sb.store}"}, timeout=600).json()
            return body["meta"]["pagination"]["total"]
        parts = {"locations": math.ceil(total("inventory/locations") / 1000) or 1,
                 "inventory_items (products incl. variants)": math.ceil(total("catalog/products") / 250) or 1,
                 "inventory_levels": math.ceil(total("inventory/items") / 1000) or 1}
        return {"parts": parts, "minimum": sum(parts.values())}
    import requests
    root = f"{sb.url}/stores/{sb.store}/rest/default/V1"

    def total(path: str, params: dict | None = None) -> int:
        return requests.get(f"{root}/{path}", params={"searchCriteria[pageSize]": 1, **(params or {})},
                            headers={"Authorization": f"Bearer mg_sandbox_{sb.store}"}, timeout=600).json()["total_count"]
    p = MAX_PAGE["magento"]
    parts = {name: math.ceil(total(path) / p) or 1 for name, path in (
        ("locations", "inventory/sources"), ("stocks", "inventory/stocks"),
        ("stock_source_links", "inventory/stock-source-links"), ("inventory_items (products)", "products"),
        ("inventory_levels (source items)", "inventory/source-items"))}
    # The legacy stock items carry is_tracked / backorders / oversell_policy, which the mart uses: a list the
    # tap must read (every one: the tap asks for qty below a bound no stock reaches).
    everything = {"scopeId": 0, "qty": 1_000_000_000, "pageSize": 1}
    parts["inventory_items stock flags (stockItems/lowStock)"] = math.ceil(total("stockItems/lowStock", everything) / p) or 1
    return {"parts": parts, "minimum": sum(parts.values())}


def api_requests(platform: str, log: dict) -> int:
    return log.get("graphql_requests", log.get("api_requests", log.get("requests", 0)))


def budget(platform: str, levels: int, ks: list[int], work: Path) -> dict:
    tap = TAPS[platform]
    result: dict = {}
    with Sandbox(platform, work, items=items_for(platform, levels), extra=unlimited(platform)) as sb:
        cfg = {**tap_config(sb), "lookback": 0}
        sb.reset_log()
        run, out, state = run_tap(tap, cfg, work)
        log = sb.log()
        made = api_requests(platform, log)
        minimum = minimum_requests(platform, sb, run.records, out)
        out.unlink()
        result["full"] = {"records": run.records, "requests": made, **minimum,
                          "ratio": made / minimum["minimum"], "extra": made - minimum["minimum"],
                          "routes": log.get("routes")}
        if platform == "shopify":
            result["cost"] = shopify_cost(sb, cfg, work)
        # Incremental: K stock changes after a sync, then one more run from its state.
        incremental = []
        for k in ks:
            sb.control("POST", "stock", {"store": sb.store, "changes": k, "seed": 1000 + k})
            if platform != "shopify":  # their items are incremental on the product, levels a full snapshot
                sb.control("POST", "touch_products", {"store": sb.store, "changes": max(1, k // 4), "seed": k})
            time.sleep(1.1)  # changes land in an earlier second than the next run's bookmark
            sb.reset_log()
            run, out, state = run_tap(tap, cfg, work, state=state)
            out.unlink()
            log = sb.log()
            incremental.append({"k": k, "requests": api_requests(platform, log), "records": run.records,
                                "routes": log.get("routes")})
        result["incremental"] = incremental
    return result


def shopify_cost(sb: Sandbox, cfg: dict, work: Path) -> dict:
    """Cost points of an inventory_levels sync vs optimal paging (every page full at 250)."""
    sb.reset_log()
    run, out, _ = run_tap(TAPS["shopify"], cfg, work, streams={LEVELS})
    log = sb.log()
    per_location = Counter()
    with open(out, "rb") as fh:
        for line in fh:
            if b'"RECORD"' in line[:20]:
                per_location[json.loads(line)["record"]["location_id"]] += 1
    out.unlink()
    full_page = [q["requested_cost"] for q in log["queries"] if "inventoryLevels" in q["query"]
                 and q["variables"].get("first") == 250 and q.get("requested_cost")]
    locations_query = [q["requested_cost"] for q in log["queries"] if "locations(" in q["query"]]
    page_cost = max(full_page) if full_page else None
    optimal = None
    if page_cost:
        optimal = sum(math.ceil(n / 250) for n in per_location.values()) * page_cost + \
            (locations_query[0] if locations_query else 0)
    return {"requested": log["cost_requested"], "actual": log["cost_actual"], "optimal_requested": optimal,
            "ratio": log["cost_requested"] / optimal if optimal else None, "page_cost_250": page_cost,
            "requests": log["graphql_requests"], "levels": run.records.get(LEVELS, 0)}


def ratelimit(platform: str, spec: dict, work: Path) -> dict:
    tap = TAPS[platform]
    levels = spec["levels"]
    with Sandbox(platform, work, items=items_for(platform, levels), extra=unlimited(platform)) as sb:
        cfg = tap_config(sb)
        if "page_size" in spec:
            cfg["page_size"] = spec["page_size"]
        sb.reset_log()
        free, out, _ = run_tap(tap, cfg, work, streams={LEVELS})  # the same sync without limits
        out.unlink()
        free_log = sb.log()
        if platform == "shopify":
            sb.configure(bucket_size=spec["bucket_size"], restore_rate=spec["restore_rate"])
        else:
            sb.configure(window_ms=spec["window_ms"], quota=spec["quota"])
        time.sleep(0.2)
        sb.reset_log()
        limited, out, _ = run_tap(tap, cfg, work, streams={LEVELS})
        out.unlink()
        log = sb.log()
    requests_made = api_requests(platform, log)
    start = startup_seconds(tap)
    if platform == "shopify":
        spent = log["cost_actual"]
        bound_limit = max(0.0, (spent - spec["bucket_size"]) / spec["restore_rate"])
        # The bucket starts full and refills while the tap fetches: start-up, then the slower of the two.
        bound = start + max(bound_limit, free.wall_s - start)
        refused = log["throttled"]
        facts = {"cost_actual": spent, "bucket_size": spec["bucket_size"], "restore_rate": spec["restore_rate"]}
    else:
        q, w = spec["quota"], spec["window_ms"] / 1000
        windows = math.ceil(free_log["api_requests"] / q)
        last_share = (free_log["api_requests"] - (windows - 1) * q) / free_log["api_requests"]
        bound_limit = (windows - 1) * w
        bound = max(start + bound_limit + (free.wall_s - start) * last_share, free.wall_s)
        refused = log["too_many_requests"]
        facts = {"quota": q, "window_s": w, "windows": windows}
    return {"levels": limited.records.get(LEVELS, 0), "requests": requests_made, "wall_s": limited.wall_s,
            "unthrottled_wall_s": free.wall_s, "startup_s": start, "limit_bound_s": bound_limit, "lower_bound_s": bound,
            "ratio": limited.wall_s / bound, "throttled_or_429": refused, **facts}


def freshness(spec: dict, work: Path) -> dict:
    """Change stock in the sandbox, run the scheduled job (Shopify tap -> DuckDB -> dbt build), time until the
    new quantity is in analytics.fct_inventory_levels."""
    import duckdb

    meltano = str(VENV_BIN / "meltano")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))}
    warehouse = work / "freshness.duckdb"
    with Sandbox("shopify", work, items=spec["items"], extra=unlimited("shopify")) as sb:
        cfg = sb.tap_config()
        env.update(MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
                   MELTANO_DATABASE_URI=f"sqlite:///{work / 'meltano.db'}", WAREHOUSE_PATH=str(warehouse),
                   INVENTORY_CHANNELS="shopify", TAP_SHOPIFY_INVENTORY_STORE=cfg["store"],
                   TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN=cfg["access_token"],
                   TAP_SHOPIFY_INVENTORY_API_URL=cfg["api_url"],
                   PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        job = ["run", "tap-shopify-inventory", "target-duckdb", "dbt-duckdb:build"]

        def run_job() -> float:
            for _ in range(4):
                started = time.perf_counter()
                proc = subprocess.run([meltano, "--log-level=warning", *job], cwd=ROOT, env=env,
                                      capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
                took = time.perf_counter() - started
                # Another Meltano run in the same project (a shared checkout) can remove .meltano/run files
                # under ours; that run did nothing, so it is repeated.
                if proc.returncode == 0 or ".meltano/run/" not in proc.stdout + proc.stderr:
                    break
            if proc.returncode != 0:
                tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
                raise SystemExit(f"bench: meltano {' '.join(job)} exited {proc.returncode}:\n{tail}")
            return took

        def visible(changes: list[dict]) -> bool:
            con = duckdb.connect(str(warehouse), read_only=True)
            try:
                for c in changes:
                    row = con.execute(
                        "select available from analytics.fct_inventory_levels where channel = 'shopify' and "
                        "inventory_item_id = ? and location_id = ?", [c["inventory_item_id"], c["location_id"]]
                    ).fetchone()
                    if row is None or row[0] != c["quantities"]["available"]:
                        return False
                return True
            finally:
                con.close()

        levels_count = len(sb.control("GET", f"truth?store={sb.store}")["inventory_levels"])
        initial = run_job()
        truth = sb.control("GET", f"truth?store={sb.store}")["inventory_levels"]
        rng = random.Random(7)

        unchanged = rng.sample(truth, len(truth))  # each level changes at most once, so every check is exact

        def change(n: int) -> list[dict]:
            picked = [unchanged.pop() for _ in range(n)]
            changes = [{"inventory_item_id": r["inventory_item_id"], "location_id": r["location_id"],
                        "quantities": {"available": rng.randint(1000, 9999)}} for r in picked]
            sb.control("POST", "stock", {"store": sb.store, "set": changes})
            return changes

        runs = []
        for _ in range(spec["repeats"]):
            changes = change(1)
            changed_at = time.perf_counter()
            took = run_job()
            ok = visible(changes)
            runs.append({"job_s": took, "change_to_mart_s": time.perf_counter() - changed_at, "visible": ok})
        changes = change(spec["batch"])
        changed_at = time.perf_counter()
        batch_s = run_job()
        batch_ok = visible(changes)
        if not runs:  # tiny runs: the batch run is the one sample
            runs.append({"job_s": batch_s, "change_to_mart_s": time.perf_counter() - changed_at, "visible": batch_ok})
        schedule = on_schedule(spec["schedule"], env, change, visible, work)
    # For comparison, a plain one-run-per-minute cron line: a change waits for the next tick (uniform over the
    # minute), then one job run. Sampled with a fixed seed from the measured job durations.
    rng = random.Random(11)
    lat = sorted(rng.uniform(0, 60) + rng.choice(runs)["change_to_mart_s"] for _ in range(10_000))
    job_times = sorted(r["change_to_mart_s"] for r in runs)
    return {"skus": spec["items"], "levels": levels_count, "initial_job_s": initial, "runs": runs,
            "job_p50_s": pct(job_times, 50), "job_p95_s": pct(job_times, 95),
            "schedule_1min_p50_s": pct(lat, 50), "schedule_1min_p95_s": pct(lat, 95),
            "batch_changes": spec["batch"], "batch_job_s": batch_s, "batch_visible": batch_ok,
            "all_visible": all(r["visible"] for r in runs), "schedule": schedule}


def on_schedule(spec: dict, env: dict, change, visible, work: Path) -> dict:
    """The one-minute schedule as shipped: a cron tick every ``tick_s`` starts
    ``inventory-sync --for <for_s> --lock-wait <wait>`` (README, cron), while stock changes at random moments. A
    change's latency runs from the change to the `mart rebuilt` line of the first pass that started after it (an
    upper bound: a pass already under way may have read it sooner); at the end every change must be in the mart."""
    lock, logs = work / "sync.lock", []
    tick_s, ticks = spec["tick_s"], spec["ticks"]
    rng = random.Random(13)
    began = time.time()
    # Changes fall anywhere in the ticks' span except the last tick's tail, so a pass always starts after them.
    span = (ticks - 1) * tick_s + spec["for_s"] * 0.5
    moments = sorted(began + rng.uniform(0, span) for _ in range(spec["changes"]))
    events = sorted([(began + i * tick_s, "tick") for i in range(ticks)] + [(m, "change") for m in moments])
    procs, changes = [], []

    def tick() -> None:
        log = work / f"tick-{len(procs)}.log"
        logs.append(log)
        with log.open("w") as out:
            procs.append(subprocess.Popen(
                [str(VENV_BIN / "inventory-sync"), "--for", str(spec["for_s"]), "--lock-wait",
                 str(int(tick_s * 5 / 6)), "--lock", str(lock)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))

    def finished_runs() -> list[dict]:
        for proc in procs:
            proc.wait()
        if any(proc.returncode != 0 for proc in procs):
            tail = "\n".join("\n".join(log.read_text().splitlines()[-15:]) for log in logs)
            raise SystemExit(f"bench: a scheduled pass failed:\n{tail}")
        found = []
        for log in logs:
            started = None
            for line in log.read_text().splitlines():
                if "inventory-sync: pass started" in line:
                    started = _stamp(line)
                elif "inventory-sync: mart rebuilt" in line and started is not None:
                    found.append({"started": started, "ended": _stamp(line)})
                    started = None
        return found

    for at, kind in events:
        time.sleep(max(0.0, at - time.time()))
        if kind == "tick":
            tick()
        else:
            changes.append((time.time(), change(1)))
    runs = finished_runs()
    # A pass slower than the tick (a loaded machine) makes the next tick skip, as the README says; a change after
    # the last pass started then waits for the next tick, which this run goes on to (counted in extra_ticks).
    extra_ticks = 0
    while changes and not any(r["started"] >= changes[-1][0] for r in runs) and extra_ticks < 3:
        extra_ticks += 1
        tick()
        runs = finished_runs()
    latencies = []
    for at, _ in changes:
        after = [r for r in runs if r["started"] >= at]
        if after:
            latencies.append(min(after, key=lambda r: r["started"])["ended"] - at)
    latencies.sort()
    return {"tick_s": tick_s, "ticks": ticks, "extra_ticks": extra_ticks, "for_s": spec["for_s"],
            "changes": len(changes),
            "measured": len(latencies), "runs": len(runs), "wall_s": time.time() - began,
            "job_runs_s": [r["ended"] - r["started"] for r in runs], "latencies_s": latencies,
            "p50_s": pct(latencies, 50), "p95_s": pct(latencies, 95), "max_s": max(latencies, default=float("nan")),
            "all_visible": visible([c for _, batch in changes for c in batch])}


def _stamp(line: str) -> float:
    """The epoch seconds of an inventory-sync line (it starts with an ISO time to the millisecond)."""
    return dt.datetime.fromisoformat(line.split()[0].replace("Z", "+00:00")).timestamp()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def scale(platform: str, sizes: list[int], work: Path) -> list[dict]:
    rows = []
    for levels in sizes:
        with Sandbox(platform, work, items=items_for(platform, levels), extra=unlimited(platform)) as sb:
            run, out, _ = run_tap(TAPS[platform], tap_config(sb), work, streams={LEVELS})
            out.unlink()
            n = run.records.get(LEVELS, 0)
            steady = n / max(run.wall_s - startup_seconds(TAPS[platform]), 1e-3)
            rows.append({"target_levels": levels, "levels": n, "wall_s": run.wall_s, "rps": n / run.wall_s,
                         "steady_rps": steady, "cpu_s": run.cpu_s,
                         "peak_rss_mb": run.peak_rss_mb, "sandbox_startup_s": sb.startup_s})
            say(f"  {platform} {n} levels: {run.wall_s:.1f} s, {run.peak_rss_mb:.0f} MB")
    return rows


# ----------------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--sections", default=",".join(DEFAULT_SECTIONS),
                        help=f"comma-separated, of {', '.join(SECTIONS)} (default: {', '.join(DEFAULT_SECTIONS)})")
    parser.add_argument("--platforms", default=",".join(PLATFORMS))
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--docs", default=str(ROOT / "docs" / "benchmarks.md"),
                        help="report to (re)generate from the results folder ('' for none)")
    args = parser.parse_args(argv)
    sections = [s for s in args.sections.split(",") if s]
    platforms = [p for p in args.platforms.split(",") if p]
    unknown = set(sections) - set(SECTIONS) | set(platforms) - set(PLATFORMS)
    if unknown:
        parser.error(f"unknown section or platform: {', '.join(sorted(unknown))}")
    spec = SIZES[args.size]
    args.results.mkdir(parents=True, exist_ok=True)
    name = f"{os.uname().nodename}-{args.size}"
    result_path = args.results / f"{name}.json"
    results = json.loads(result_path.read_text()) if result_path.exists() else {}
    facts = {"machine": machine(), "load_before": os.getloadavg(),
             "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    own_facts_only = set(sections) <= OWN_FACTS and "machine" in results
    if not own_facts_only:
        results.update({"size": args.size, **facts})
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        for section in sections:
            say(f"{section}")
            started = time.perf_counter()
            if section == "freshness":
                results[section] = freshness(spec["freshness"], work)
            elif section == "fanout":
                from fanout import fanout

                results[section] = {**facts, **fanout(spec["fanout"], work, say),
                                    "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
            elif section == "push":
                from push import push_section

                results[section] = push_section(spec["push"], work)
            elif section == "pass":
                from scheduled_pass import scheduled_pass

                results[section] = {**facts, **scheduled_pass(spec["pass"], work, say),
                                    "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                    "load_after": os.getloadavg()}
            else:
                done = results.get(section, {})
                for platform in platforms:
                    if section == "ratelimit" and platform not in spec["ratelimit"]:
                        done[platform] = {"skipped": "Magento has no API rate limit of its own"}
                        continue
                    say(f"  {section} {platform}")
                    if section == "throughput":
                        done[platform] = throughput(platform, spec["throughput"][platform], work, work,
                                                    profile=args.size == "full")
                    elif section == "budget":
                        done[platform] = budget(platform, spec["budget"][platform], spec["budget_ks"], work)
                    elif section == "ratelimit":
                        done[platform] = ratelimit(platform, spec["ratelimit"][platform], work)
                    elif section == "scale":
                        done[platform] = scale(platform, spec["scale"][platform], work)
                results[section] = done
            results.setdefault("section_seconds", {})[section] = round(time.perf_counter() - started, 1)
            if section not in OWN_FACTS:  # those record their own load and times in their results
                results.setdefault("load_during", {})[section] = os.getloadavg()
            result_path.write_text(json.dumps(results, indent=1, default=str))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not own_facts_only:
        results["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    result_path.write_text(json.dumps(results, indent=1, default=str))
    say(f"results: {result_path}")
    if args.docs:
        from report import render

        render(args.results, Path(args.docs))
        say(f"report: {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
