"""The forecast's backtest through the pipeline: the package's known demand processes (inventory_forecast.backtest)
are sold from simulated stock and observed as the pipeline observes a store (level versions in the snapshot, sync
runs, our push's writes, store outages); dbt builds fct_demand_history from those (the same SQL as the pipeline,
on DuckDB); the backtest forecasts from that history and is scored, and its (s, S) simulation run, against the
demand that was simulated.

    scripts/forecast-backtest.sh [--series N] [--output DIR]

What the pipeline adds to the package's own backtest: outages (the store not synced for 1-3 days, 2 % of days),
pushes of ours (+-3 units on 10 % of days, inside sales windows), restocks seen apart from sales. What it leaves
out on purpose: stock-outs (the simulated stock never runs out, so the demand is fully observed: censored demand is
a known limit, docs/forecasting.md) and restocks netted with sales in one window.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from inventory_forecast.backtest import (
    BacktestConfig,
    run_backtest,
    synthetic_history,
    write_report,
)
from inventory_forecast.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DBT_UPSTREAM = ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt"
DBT_FORECAST = ROOT / ".meltano" / "utilities" / "dbt-duckdb-forecast" / "venv" / "bin" / "dbt"
STORE = "sim-store"
SYNC_HOURS = (8, 9, 20)              # 08:00 sees the night's and morning's sales, 09:00 a restock alone, 20:00 the day's
SALES_SHARE = {8: 0.4, 20: 0.6}
OUTAGE_SHARE, PUSH_SHARE = 0.02, 0.10


def _sk(*parts: object) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


def observe(truth: pd.DataFrame, seed: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(snapshot rows, sync runs, push log rows) of a store selling `truth` (sku, demand_date, units_demanded)."""
    rng = np.random.default_rng(seed)
    days = sorted(truth["demand_date"].unique())
    down = set()
    day = 0
    while day < len(days):                     # outages of 1-3 days, about OUTAGE_SHARE of the days
        if day > 0 and rng.random() < OUTAGE_SHARE / 2:
            down.update(range(day, day + int(rng.integers(1, 4))))
        day += 1
    runs = [(STORE, "inventory_levels", False, dt.datetime.combine(pd.Timestamp(d).date(), dt.time(h)),
             dt.datetime.combine(pd.Timestamp(d).date(), dt.time(h, 0, 20)), None, None)
            for i, d in enumerate(days) if i not in down for h in SYNC_HOURS]
    versions, pushes = [], []
    for sku, rows in truth.groupby("sku"):
        demand = rows.sort_values("demand_date")["units_demanded"].to_numpy()
        mean = max(float(demand.mean()), 0.5)
        cap = int(60 * mean + 50)              # never runs out: restock to cap when below half of it
        level, last, pending = cap, None, 0
        first_seen = False
        for i, d in enumerate(rows.sort_values("demand_date")["demand_date"]):
            date = pd.Timestamp(d).date()
            for hour in range(24):
                at = dt.datetime.combine(date, dt.time(hour))
                if hour in SALES_SHARE:
                    morning = int(demand[i] * SALES_SHARE[8] + 0.5)
                    sold = morning if hour == 8 else int(demand[i]) - morning
                    level -= sold
                    pending += sold
                if hour == 14 and rng.random() < PUSH_SHARE:
                    change = int(rng.choice([-3, 3]))
                    pushes.append((_sk("run", sku, at), _sk("plan", at), _sk(sku, at), "shopify", STORE, "sim", sku,
                                   level, level + change, "set", "applied", False, at))
                    level += change
                if hour == 9 and i not in down and level < cap // 2:
                    level = cap
                if hour in SYNC_HOURS and i not in down:
                    pending = 0
                    if not first_seen or last["available"] != level:
                        if last is not None:
                            last["dbt_valid_to"] = at
                        last = {"available": level, "at": at, "dbt_valid_to": None}
                        versions.append((sku, last))
                        first_seen = True
    snapshot = [(_sk(sku, "level"), _sk("loc"), _sk(sku), "shopify", STORE, "sim", f"item-{sku}", sku, v["available"],
                 v["available"], 0, v["at"], v["at"], v["dbt_valid_to"], _sk(sku, v["at"]), v["at"])
                for sku, v in versions]
    return snapshot, runs, pushes


TABLES = {
    "analytics.snap_inventory_levels": (
        "inventory_level_sk varchar, location_sk varchar, inventory_item_sk varchar, channel varchar, store_id varchar, "
        "location_id varchar, inventory_item_id varchar, sku varchar, available integer, on_hand integer, "
        "incoming integer, synced_at timestamp, dbt_valid_from timestamp, dbt_valid_to timestamp, dbt_scd_id varchar, "
        "dbt_updated_at timestamp"),
    "raw_shopify.sync_runs": (
        "store_id varchar, stream_name varchar, is_full_snapshot boolean, run_started_at timestamp, "
        "finished_at timestamp, _sdc_extracted_at timestamp, _sdc_batched_at timestamp"),
    "push.push_log": (
        "run_id varchar, plan_id varchar, plan_row_id varchar, channel varchar, store_id varchar, location_id varchar, "
        "sku varchar, from_quantity integer, to_quantity integer, method varchar, result varchar, dry_run boolean, "
        "at timestamp"),
}


def dbt(binary: Path, env: dict[str, str], *args: str) -> None:
    if not binary.exists():
        sys.exit(f"forecast-backtest: {binary.relative_to(ROOT)} is missing: run scripts/setup.sh")
    proc = subprocess.run([str(binary), *args], cwd=ROOT / "transform", env=env, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        sys.exit("forecast-backtest: dbt " + " ".join(args) + " failed:\n" + proc.stdout[-3000:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=10, help="series per process (default 10)")
    parser.add_argument("--test-days", type=int, default=182, help="days simulated after the history (default 182)")
    parser.add_argument("--output", default=str(ROOT / "docs" / "forecasting-backtest"),
                        help="folder for backtest.md and the plots (default docs/forecasting-backtest)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    config = BacktestConfig(series_per_process=args.series, history_days=182, test_days=args.test_days)
    truth, labels = synthetic_history(config)
    truth = truth.assign(sku=truth["sku"].str.upper())
    labels = {sku.upper(): label for sku, label in labels.items()}
    last_day = pd.Timestamp(truth["demand_date"].max()).date()
    with tempfile.TemporaryDirectory(prefix="forecast-backtest-") as tmp:
        work = Path(tmp)
        warehouse = work / "warehouse.duckdb"
        snapshot, runs, pushes = observe(truth, config.seed)
        with duckdb.connect(str(warehouse)) as con:
            for (table, ddl), rows in zip(TABLES.items(), (snapshot, runs, pushes), strict=True):
                con.execute(f"create schema if not exists {table.split('.')[0]}")
                con.execute(f"create table {table} ({ddl})")
                con.executemany(f"insert into {table} values ({', '.join(['?'] * len(ddl.split(', ')))})", rows)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "INVENTORY_"))}
        env.update(WAREHOUSE_PATH=str(warehouse), DBT_PROFILES_DIR=str(ROOT / "transform" / "profiles" / "duckdb"),
                   DBT_TARGET_PATH=str(work / "target"), DBT_LOG_PATH=str(work / "logs"), INVENTORY_CHANNELS="shopify",
                   INVENTORY_FORECAST_AS_OF=f"{last_day + dt.timedelta(days=1)} 06:00:00")
        dbt(DBT_UPSTREAM, env, "run", "--select", "stg_shopify__sync_runs", "stg_push__push_log",
            "int_inventory_level_changes")
        dbt(DBT_FORECAST, {**env, "INVENTORY_BUILD_FORECAST": "true"}, "run", "--select", "fct_demand_history")
        with duckdb.connect(str(warehouse), read_only=True) as con:
            history = con.execute("select sku, location_id, demand_date, units_demanded, is_observed "
                                  "from analytics.fct_demand_history").df()
        shutil.rmtree(work / "target", ignore_errors=True)
    built = time.perf_counter() - started
    # How faithful the history is: on days the store was seen and no outage ended, demand equals the truth.
    history["demand_date"] = pd.to_datetime(history["demand_date"]).astype("datetime64[ns]")
    truth["demand_date"] = pd.to_datetime(truth["demand_date"]).astype("datetime64[ns]")
    merged = history.merge(truth[["sku", "demand_date", "units_demanded"]].rename(columns={"units_demanded": "true_units"}),
                           on=["sku", "demand_date"], how="left")
    seen = merged[merged["is_observed"]]
    exact = float((seen["units_demanded"] == seen["true_units"]).mean())
    span = truth[(truth["demand_date"] >= history["demand_date"].min())
                 & (truth["demand_date"] <= history["demand_date"].max())]
    unobserved = 1 - len(seen) / len(span)      # a day no store was seen has no row at all
    total_ratio = float(seen["units_demanded"].sum() / span["units_demanded"].sum())
    history = history.assign(location_id="sim")
    truth = truth.assign(location_id="sim")
    result = run_backtest(history, labels, config, Settings(), truth=truth)
    path = write_report(result, Path(args.output))
    text = path.read_text().splitlines()
    text[2] = (f"Generated by `scripts/forecast-backtest.sh --series {args.series} --test-days {args.test_days}`: the "
               f"package's processes sold from simulated stock and observed as the pipeline observes a store, "
               f"fct_demand_history built by dbt (DuckDB), forecasts from it scored against the simulated demand. "
               f"{args.series} series per process, 182 days of history, {args.test_days} test days, a forecast every "
               f"7 days, seed {config.seed}. Store outages: {unobserved:.1%} of series-days not observed; on the "
               f"observed days the history equals the simulated demand on {exact:.1%} (the others end an outage and "
               f"carry its sales, or are a series' first day, whose morning came before the first look); demand in "
               f"the history / simulated demand, same days: {total_ratio:.3f} (pushes "
               f"of ours, +-3 units on {PUSH_SHARE:.0%} of days, excluded). Service level 95%, lead time 7 days.")
    path.write_text("\n".join(text) + "\n")
    print(f"forecast-backtest: {len(labels)} series; history built in {built:.0f} s, backtest in "
          f"{time.perf_counter() - started - built:.0f} s; wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
