"""A small, seeded shop for the forecast's pipeline tests: what the syncs saw (the level snapshot and the sync runs)
and what our push wrote (push log) over 70 days, with the sales behind them kept as the ground truth.

Two Shopify stores. Store `s1` syncs its levels at 08:00, 09:00, 14:00, 15:00 and 20:00 UTC every day except
days 40-42 (the pipeline was down for that store); `s2` syncs every day. Sales are Poisson per window; a restock
(+80 when the level is below 25 at 09:00, none for s1's SKU A after day 60 so it ends short; +300 of C on
the last day, so it ends far above its reorder point) is seen alone at 09:00; our push writes +5 at
14:30 (seen alone at 15:00) and -3 at 17:00, inside a window with sales (seen at 20:00). Demand per observation
day must equal the sales the syncs of that day saw: the night's sales count on the day of the 08:00 sync, and the
sales during s1's gap on day 43.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

START = dt.date(2026, 9, 1)
DAYS = 70
GAP = range(40, 43)                      # s1 has no sync on these days
AS_OF = START + dt.timedelta(days=DAYS)  # "now": the day after the last simulated day
# series: (store, location, sku) -> mean units sold per day
RATES = {("s1", "L1", "A"): 6.0, ("s1", "L1", "B"): 2.0, ("s1", "L2", "C"): 4.0, ("s2", "L9", "A"): 3.0}
LEAD_TIME_OVERRIDE = {"C": 14}           # seeds/forecast_sku_settings.csv in the test's copy of the project
SYNC_HOURS = (8, 9, 14, 15, 20)
SALES_SHARE = {8: 0.5, 14: 0.25, 20: 0.25}  # the 08:00 sync sees the night's sales (20:00 -> 08:00)


def _sk(*parts: object) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


@dataclass
class Scenario:
    versions: list[dict] = field(default_factory=list)     # rows of analytics.snap_inventory_levels
    sync_runs: list[dict] = field(default_factory=list)    # rows of raw_shopify.sync_runs
    pushes: list[dict] = field(default_factory=list)       # rows of push.push_log
    sales: dict = field(default_factory=lambda: defaultdict(float))     # (store, loc, sku, day) -> units seen
    restocked: dict = field(default_factory=lambda: defaultdict(float))
    pushed: dict = field(default_factory=lambda: defaultdict(float))
    observed: set = field(default_factory=set)            # (store, day) with a finished levels sync
    final: dict = field(default_factory=dict)              # (store, loc, sku) -> available at the end


def build(seed: int = 7) -> Scenario:
    rng = np.random.default_rng(seed)
    sc = Scenario()
    level = {key: 60 for key in RATES}
    pending = {key: 0 for key in RATES}                    # sales not yet seen by a sync
    last_version: dict = {}
    for day in range(DAYS):
        date = START + dt.timedelta(days=day)
        for hour in range(24):
            at = dt.datetime.combine(date, dt.time(hour))
            for key, rate in RATES.items():
                store = key[0]
                if hour in SALES_SHARE:                    # the sales since the window before, seen at this hour
                    sold = min(int(rng.poisson(rate * SALES_SHARE[hour])), level[key])
                    level[key] -= sold
                    pending[key] += sold
                if hour == 17 and day % 9 == 4 and level[key] >= 3:  # our push lowers a level between sales
                    _push(sc, key, at, level[key], level[key] - 3)
                    level[key] -= 3
                    sc.pushed[(*key, _seen_day(store, date))] -= 3
                if hour == 15 and day % 7 == 3:            # our push raises a level at 14:30, seen at 15:00
                    _push(sc, key, at - dt.timedelta(minutes=30), level[key], level[key] + 5)
                    level[key] += 5
                    sc.pushed[(*key, _seen_day(store, date))] += 5
                down = store == "s1" and day in GAP        # a restock netted with sales would hide them
                if hour == 9 and level[key] < 25 and not down and not (key == ("s1", "L1", "A") and day > 60):
                    level[key] += 80
                    sc.restocked[(*key, date)] += 80
                if hour == 9 and day == DAYS - 1 and key == ("s1", "L2", "C"):  # a big delivery: far above
                    level[key] += 300
                    sc.restocked[(*key, date)] += 300
            if hour in SYNC_HOURS:
                for store in ("s1", "s2"):
                    if store == "s1" and day in GAP:
                        continue
                    sc.observed.add((store, date))
                    sc.sync_runs.append({"store_id": store, "stream_name": "inventory_levels",
                                         "is_full_snapshot": False, "run_started_at": at,
                                         "finished_at": at + dt.timedelta(seconds=20)})
                    for key in RATES:
                        if key[0] != store:
                            continue
                        if key in last_version:            # before the first look, nothing was seen
                            sc.sales[(*key, date)] += pending[key]
                        pending[key] = 0
                        if last_version.get(key, {}).get("available") != level[key]:
                            _version(sc, last_version, key, at, level[key])
    sc.final = dict(level)
    return sc


def _seen_day(store: str, date: dt.date) -> dt.date:
    """The day a change made on `date` is observed (the next sync of the store: after s1's gap, day 43)."""
    while store == "s1" and (date - START).days in GAP:
        date += dt.timedelta(days=1)
    return date


def _push(sc: Scenario, key: tuple, at: dt.datetime, before: int, after: int) -> None:
    store, location, sku = key
    sc.pushes.append({"run_id": _sk("run", at), "plan_id": _sk("plan", at), "plan_row_id": _sk(key, at),
                      "channel": "shopify", "store_id": store, "location_id": location, "sku": sku.lower(),
                      "from_quantity": before, "to_quantity": after, "method": "set", "result": "applied",
                      "dry_run": False, "at": at})


def _version(sc: Scenario, last: dict, key: tuple, at: dt.datetime, available: int) -> None:
    store, location, sku = key
    if key in last:
        last[key]["dbt_valid_to"] = at
    row = {"inventory_level_sk": _sk("shopify", store, location, sku), "location_sk": _sk("shopify", store, location),
           "inventory_item_sk": _sk("shopify", store, sku), "channel": "shopify", "store_id": store,
           "location_id": location, "inventory_item_id": f"item-{sku}", "sku": sku, "available": available,
           "on_hand": available, "incoming": 0, "synced_at": at, "dbt_valid_from": at, "dbt_valid_to": None,
           "dbt_scd_id": _sk(store, location, sku, at), "dbt_updated_at": at}
    sc.versions.append(row)
    last[key] = row


TABLES = {
    "analytics.snap_inventory_levels": ((
        "inventory_level_sk varchar, location_sk varchar, inventory_item_sk varchar, channel varchar, "
        "store_id varchar, location_id varchar, inventory_item_id varchar, sku varchar, available integer, "
        "on_hand integer, incoming integer, synced_at timestamp, dbt_valid_from timestamp, dbt_valid_to timestamp, "
        "dbt_scd_id varchar, dbt_updated_at timestamp"), "versions"),
    "raw_shopify.sync_runs": ((
        "store_id varchar, stream_name varchar, is_full_snapshot boolean, run_started_at timestamp, "
        "finished_at timestamp, _sdc_extracted_at timestamp, _sdc_batched_at timestamp"), "sync_runs"),
    "push.push_log": ((
        "run_id varchar, plan_id varchar, plan_row_id varchar, channel varchar, store_id varchar, "
        "location_id varchar, sku varchar, from_quantity integer, to_quantity integer, method varchar, "
        "result varchar, dry_run boolean, at timestamp"), "pushes"),
}


def load(sc: Scenario, execute, executemany, placeholder: str = "?") -> None:
    """Create and fill the three tables through a DB-API-like `execute(sql)` / `executemany(sql, rows)`."""
    for table, (ddl, attr) in TABLES.items():
        execute(f"create schema if not exists {table.split('.')[0]}")
        execute(f"create table {table} ({ddl})")
        columns = [c.split()[0] for c in ddl.split(", ")]
        rows = [tuple(r.get(c) for c in columns) for r in getattr(sc, attr)]
        executemany(f"insert into {table} ({', '.join(columns)}) values ({', '.join([placeholder] * len(columns))})",
                    rows)


def expected_history(sc: Scenario) -> dict:
    """(store, location, sku, day) -> units demanded, for every observed day of every series (from its first
    version to the day before AS_OF); None for the days of s1's gap."""
    first = {}
    for v in sc.versions:
        key = (v["store_id"], v["location_id"], v["sku"])
        first[key] = min(first.get(key, v["synced_at"].date()), v["synced_at"].date())
    out = {}
    for key, start in first.items():
        day = start
        while day < AS_OF:
            out[(*key, day)] = sc.sales[(*key, day)] if (key[0], day) in sc.observed else None
            day += dt.timedelta(days=1)
    return out
