"""What is wrong right now, read from the mart, dbt's source-freshness results and inventory-sync's status.

A condition has a stable `key` (what it is about) and a `fingerprint` (its state): a new key is a new alert,
a known key with another fingerprint a changed one, a key that is gone a resolved one. Quantities are in the
fingerprint; timestamps are not, so the same condition seen by the next run is not news.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings
from .warehouse import Warehouse

log = logging.getLogger("inventory_alerts")

KINDS = {
    "source_down": "Source down",
    "record": "System of record",
    "discrepancy": "Channels disagree",
    "oversell": "Oversell risk",
    "anomaly": "Stock anomaly",
    "freshness": "Stale source",
    "push": "Push refused",
    "reorder": "Reorder point reached",
}
MARTS = {"record": "mart_system_of_record", "discrepancy": "fct_inventory_discrepancies",
         "oversell": "fct_oversell_risk", "anomaly": "fct_inventory_anomalies"}


@dataclass(frozen=True)
class Condition:
    kind: str
    key: str
    fingerprint: str
    summary: str


def _n(value: object) -> str:
    if value is None:
        return "none"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def system_of_record(wh: Warehouse, settings: Settings) -> list[Condition]:
    """One condition when nothing can be compared with the system of record: none is set while several channel
    stores are synced, or the one set has no SKUs in the mart (a store id that names no store)."""
    (record,) = wh.rows(f"select record_channel, record_store_id, status from {settings.schema}.mart_system_of_record")
    stores = [f"{r['channel']}/{r['store_id']}" for r in wh.rows(
        f"select distinct channel, store_id from {settings.schema}.fct_sku_channel_availability order by channel, store_id")]
    if record["status"] == "not_set" and len(stores) > 1:
        return [Condition("record", "record|not_set", "not_set",
                          f"no system of record is set, so no channel is compared with it: set "
                          f"INVENTORY_RECORD_CHANNEL and INVENTORY_RECORD_STORE_ID to one of {', '.join(stores)}")]
    if record["status"] == "no_rows":
        where = f"{record['record_channel']}/{record['record_store_id']}"
        return [Condition("record", f"record|{where}", "no_rows",
                          f"the system of record {where} has no SKUs in the mart, so nothing is compared and no "
                          f"discrepancy is alerted: check INVENTORY_RECORD_STORE_ID (the mart holds "
                          f"{', '.join(stores) or 'no channel store yet'})")]
    return []


def discrepancies(wh: Warehouse, settings: Settings) -> list[Condition]:
    rows = wh.rows(
        f"select sku, channel, store_id, sellable_quantity, record_channel, record_store_id, record_quantity, difference "
        f"from {settings.schema}.fct_inventory_discrepancies "
        f"where is_discrepancy and abs(coalesce(difference, 0)) >= ? order by sku, channel, store_id",
        (settings.min_discrepancy_units,),
    )
    return [
        Condition(
            "discrepancy",
            f"discrepancy|{r['channel']}|{r['store_id']}|{r['sku']}",
            f"{_n(r['sellable_quantity'])}/{_n(r['record_quantity'])}",
            f"{r['sku']} on {r['channel']}/{r['store_id']}: sells {_n(r['sellable_quantity'])}, system of record "
            f"{r['record_channel']}/{r['record_store_id']} has {_n(r['record_quantity'])} "
            f"(difference {float(r['difference'] or 0):+g})",
        )
        for r in rows
    ]


REASONS = {
    "above_system_of_record": "sells more than the system of record holds",
    "continue_with_nothing_available": "keeps selling (oversell policy 'continue') with nothing available",
}


def oversell(wh: Warehouse, settings: Settings) -> list[Condition]:
    rows = wh.rows(
        f"select sku, channel, store_id, risk_reason, sellable_quantity, record_quantity, excess_units "
        f"from {settings.schema}.fct_oversell_risk "
        f"where coalesce(excess_units, 0) >= ? or risk_reason = 'continue_with_nothing_available' "
        f"order by sku, channel, store_id",
        (settings.min_excess_units,),
    )
    return [
        Condition(
            "oversell",
            f"oversell|{r['channel']}|{r['store_id']}|{r['sku']}|{r['risk_reason']}",
            f"{_n(r['sellable_quantity'])}/{_n(r['record_quantity'])}/{_n(r['excess_units'])}",
            f"{r['sku']} on {r['channel']}/{r['store_id']} {REASONS.get(r['risk_reason'], r['risk_reason'])}: "
            f"sellable {_n(r['sellable_quantity'])}, system of record {_n(r['record_quantity'])}, "
            f"{_n(r['excess_units'])} units at risk",
        )
        for r in rows
    ]


def anomalies(wh: Warehouse, settings: Settings) -> list[Condition]:
    if not settings.anomaly_types:
        return []
    marks = ", ".join("?" for _ in settings.anomaly_types)
    rows = wh.rows(
        f"select channel, store_id, location_id, inventory_item_id, sku, anomaly_type, quantity, previous_quantity, detail "
        f"from {settings.schema}.fct_inventory_anomalies where anomaly_type in ({marks}) "
        f"order by anomaly_type, channel, store_id, sku, location_id",
        tuple(settings.anomaly_types),
    )
    found: dict[str, Condition] = {}
    for r in rows:
        where = f"{r['channel']}/{r['store_id']}" + (f" location {r['location_id']}" if r["location_id"] else "")
        if r["anomaly_type"] == "abnormal_change":
            what = f"moved from {_n(r['previous_quantity'])} to {_n(r['quantity'])}"
        elif r["anomaly_type"] == "negative_stock":
            what = f"negative stock {_n(r['quantity'])}"
        else:
            what = "tracked but stocked at no location"
        detail = f" ({r['detail']})" if r.get("detail") and r["anomaly_type"] != "tracked_without_levels" else ""
        key = f"anomaly|{r['anomaly_type']}|{r['channel']}|{r['store_id']}|{r['location_id'] or ''}|{r['inventory_item_id']}"
        # The mart may list one level's abnormal changes over several runs: the latest one counts.
        found[key] = Condition(
            "anomaly", key, f"{_n(r['quantity'])}/{_n(r['previous_quantity'])}",
            f"{r['sku'] or r['inventory_item_id']} at {where}: {what}{detail}",
        )
    return list(found.values())


def push_refused(wh: Warehouse, settings: Settings) -> list[Condition] | None:
    """One condition while inventory-push's latest run was refused by a guard (nothing was written to any
    channel), with the guard's line; None when the push has never run here (no push_runs to read)."""
    if not wh.has_table(settings.push_schema, "push_runs"):
        return None
    latest = wh.rows(f"select status, message, started_at from {settings.push_schema}.push_runs "
                     "where status != 'running' order by started_at desc limit 1")
    if not latest or latest[0]["status"] != "refused":
        return []
    message = latest[0]["message"] or "a guard refused the run"
    guard = re.sub(r"\d+", "#", message)[:200]  # the same guard with other numbers next run is not news
    return [Condition("push", "push|refused", guard,
                      f"the push was refused, nothing was written to any channel: {message}")]


def reorder_points(wh: Warehouse, settings: Settings) -> list[Condition] | None:
    """One condition per series (channel store x location x SKU) whose stock position is at or below its
    reorder point, with the quantity to order (the daily forecast's fct_reorder_suggestions, docs/forecasting.md).
    The position is read live (int_forecast_stock_positions, a view on the snapshot) where that view exists, so a
    restock resolves the alert at the next run, not the next day. None when no forecast has been built here."""
    if not wh.has_table(settings.schema, "fct_reorder_suggestions"):
        return None
    live = wh.has_table(settings.schema, "int_forecast_stock_positions")
    position = ("coalesce(p.available_quantity + coalesce(p.on_order_quantity, 0), r.inventory_position)"
                if live else "r.inventory_position")
    join = (f"left join {settings.schema}.int_forecast_stock_positions p on p.channel = r.channel "
            "and p.store_id = r.store_id and p.location_id = r.location_id and p.sku = r.sku" if live else "")
    rows = wh.rows(
        f"select * from (select r.channel, r.store_id, r.location_id, r.sku, r.reorder_point, r.order_up_to_level, "
        f"r.safety_stock, r.lead_time_days, r.demand_class, {position} as position "
        f"from {settings.schema}.fct_reorder_suggestions r {join}) s "
        f"where position is not null and position <= reorder_point order by sku, channel, store_id, location_id")
    found = []
    for r in rows:
        order = max(0.0, float(r["order_up_to_level"]) - float(r["position"]))
        found.append(Condition(
            "reorder", f"reorder|{r['channel']}|{r['store_id']}|{r['location_id']}|{r['sku']}", "at_or_below",
            f"{r['sku']} at {r['channel']}/{r['store_id']} location {r['location_id']}: position "
            f"{_n(r['position'])} is at or below the reorder point {_n(r['reorder_point'])} (safety stock "
            f"{float(r['safety_stock']):.1f}, lead time {_n(r['lead_time_days'])} d, {r['demand_class']}): "
            f"order {_n(order)} to reach {_n(r['order_up_to_level'])}"))
    return found


def sources_down(settings: Settings) -> list[Condition] | None:
    """Sources (and a dbt build) that failed in inventory-sync's last pass, with their error lines; None when
    there is no status to read (alerts run outside inventory-sync)."""
    if not settings.run_status:
        return None
    path = Path(settings.run_status)
    try:
        status = json.loads(path.read_text())
    except FileNotFoundError:
        log.warning("alerts: no inventory-sync status at %s; sources down skipped", path)
        return None
    except ValueError as exc:
        log.warning("alerts: cannot read %s (%s); sources down skipped", path, exc)
        return None
    found = []
    for source in status.get("sources", []):
        if source.get("status") != "failed":
            continue
        where = f"{source.get('channel')}/{source.get('store') or '(no store set)'}"
        found.append(Condition("source_down", f"source_down|{source.get('channel')}|{source.get('store')}", "down",
                               f"{where} did not load ({source['name']}): {source.get('error') or 'failed'}"))
    for step in status.get("steps", []):
        if step.get("name") == "dbt build" and step.get("status") == "failed":
            found.append(Condition("source_down", "source_down|dbt build", "down",
                                   f"the mart was not rebuilt: dbt build failed: {step.get('error') or 'failed'}"))
    return found


def freshness(settings: Settings) -> list[Condition] | None:
    """Stale sources from dbt's `sources.json`; None when there is no such file (nothing known)."""
    path = Path(settings.freshness_results)
    if not path.exists():
        log.warning("alerts: no source-freshness results at %s (run `dbt source freshness`); skipped", path)
        return None
    try:
        results = json.loads(path.read_text())["results"]
    except (ValueError, KeyError) as exc:
        log.warning("alerts: cannot read %s (%s); source freshness skipped", path, exc)
        return None
    found = []
    for r in results:
        status = r.get("status")
        if status not in settings.freshness_statuses:
            continue
        source = r["unique_id"].removeprefix("source.").split(".", 1)[-1]
        channel, _, table = source.partition(".")
        age = r.get("max_loaded_at_time_ago_in_s")
        if age is None:
            what = f"freshness could not be checked: {r.get('error') or r.get('message') or status}"
        else:
            criteria = r.get("criteria") or {}
            limit = criteria.get("error_after" if status == "error" else "warn_after") or {}
            after = f" (limit {limit.get('count')} {limit.get('period')})" if limit.get("count") else ""
            what = (f"no completed sync for {age / 3600:.1f} h{after}" if table == "sync_runs"
                    else f"last loaded {age / 3600:.1f} h ago{after}")
        found.append(Condition("freshness", f"freshness|{r['unique_id']}", str(status), f"source {channel}: {what}"
                               if table == "sync_runs" else f"source {source}: {what}"))
    return found


def current(wh: Warehouse, settings: Settings) -> tuple[list[Condition], set[str]]:
    """Every condition now, and the kinds that could be read (a kind not read resolves nothing)."""
    conditions: list[Condition] = []
    read: set[str] = set()
    down = sources_down(settings)
    if down is not None:
        conditions += down
        read.add("source_down")
    readers = {"record": system_of_record, "discrepancy": discrepancies, "oversell": oversell, "anomaly": anomalies}
    for kind, reader in readers.items():
        if not wh.has_table(settings.schema, MARTS[kind]):
            log.warning("alerts: %s.%s is missing (run dbt build); %s skipped", settings.schema, MARTS[kind], KINDS[kind])
            continue
        conditions += reader(wh, settings)
        read.add(kind)
    stale = freshness(settings)
    if stale is not None:
        conditions += stale
        read.add("freshness")
    refused = push_refused(wh, settings)
    if refused is not None:
        conditions += refused
        read.add("push")
    reorder = reorder_points(wh, settings)
    if reorder is not None:
        conditions += reorder
        read.add("reorder")
    return conditions, read
