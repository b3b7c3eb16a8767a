"""The inventory health report: one self-contained HTML file (inline SVG charts, inline CSS, no scripts).

Every number comes from the mart (and dbt's source-freshness results) at the time of writing; a part whose
mart is missing says so instead of guessing.
"""

from __future__ import annotations

import io
import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.ticker import MaxNLocator

from .conditions import REASONS
from .settings import Settings
from .warehouse import Warehouse

log = logging.getLogger("inventory_alerts")

plt.rcParams.update({
    "svg.fonttype": "none",          # text stays text: searchable, sharp, small
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "inventory-report",  # stable ids: the same data gives the same file
})
COLORS = {"shopify": "#5e8e3e", "bigcommerce": "#34313f", "magento": "#ee672f"}
FALLBACK = "#4c72b0"


@dataclass
class Panel:
    title: str
    figure: str = ""                       # inline SVG
    note: str = ""                         # one line under the title
    missing: str = ""                      # why there is nothing to show
    table: list[dict[str, Any]] = field(default_factory=list)
    table_more: int = 0


@dataclass
class Kpi:
    key: str
    label: str
    value: str
    status: str = "ok"                     # ok | bad


def _svg(fig: plt.Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _num(value: object) -> str:
    if value is None:
        return ""
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,.1f}"


class Report:
    def __init__(self, wh: Warehouse, settings: Settings, today: date | None = None) -> None:
        self.wh = wh
        self.s = settings
        self.today = today or datetime.now(UTC).date()
        self.kpis: list[Kpi] = []
        self.panels: list[Panel] = []

    def _rows(self, table: str, sql: str) -> list[dict[str, Any]] | None:
        if not self.wh.has_table(self.s.schema, table):
            return None
        return self.wh.rows(sql.format(schema=self.s.schema))

    def _missing(self, title: str, table: str) -> Panel:
        return Panel(title, missing=f"{self.s.schema}.{table} is not in the warehouse (run dbt build)")

    def accuracy(self) -> Panel:
        title = "Inventory accuracy over time"
        rows = self._rows("mart_inventory_accuracy",
                          "select grain, period_start, skus_compared, skus_accurate, accuracy "
                          "from {schema}.mart_inventory_accuracy order by period_start")
        if rows is None:
            self.kpis.append(Kpi("accuracy", "Accuracy (latest)", "n/a", "bad"))
            return self._missing(title, "mart_inventory_accuracy")
        by_grain = {g: [r for r in rows if r["grain"] == g] for g in ("run", "day")}
        grain = "run" if len(by_grain["run"]) >= len(by_grain["day"]) else "day"
        points = [r for r in by_grain[grain] if r["accuracy"] is not None]
        if not points:
            self.kpis.append(Kpi("accuracy", "Accuracy (latest)", "n/a", "bad"))
            return Panel(title, missing="no accuracy measured yet")
        latest = points[-1]
        value = float(latest["accuracy"])
        self.kpis.append(Kpi("accuracy", "Accuracy (latest)", f"{value:.1%}",
                             "ok" if value >= self.s.accuracy_target else "bad"))
        fig, ax = plt.subplots(figsize=(6.2, 3.0))
        times = [r["period_start"] for r in points]
        ax.plot(times, [float(r["accuracy"]) * 100 for r in points], marker="o", color=FALLBACK)
        target = self.s.accuracy_target * 100
        ax.axhline(target, color="#c62828", linewidth=1, linestyle="--", label=f"{target:g} % target")
        ax.legend(frameon=False, loc="lower left")
        ax.set_ylabel("SKUs accurate (%)")
        ax.set_ylim(min(90.0, target - 2, min(float(r["accuracy"]) * 100 for r in points) - 2), 100.5)
        if len(times) == 1:  # one measurement: an hour either side, not the default years
            ax.set_xlim(times[0] - timedelta(hours=1), times[0] + timedelta(hours=1))
        locator = mdates.AutoDateLocator(maxticks=7)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        note = (f"per {grain}: {latest['skus_accurate']:,} of {latest['skus_compared']:,} SKUs agree with the "
                f"system of record in the latest {grain}")
        return Panel(title, _svg(fig), note)

    def discrepancies(self) -> Panel:
        title = "Discrepancies by channel"
        rows = self._rows("fct_inventory_discrepancies",
                          "select channel, store_id, count(*) as compared, "
                          "sum(case when is_discrepancy then 1 else 0 end) as discrepancies "
                          "from {schema}.fct_inventory_discrepancies group by channel, store_id order by channel, store_id")
        if rows is None:
            self.kpis.append(Kpi("discrepancies", "Discrepancies", "n/a", "bad"))
            return self._missing(title, "fct_inventory_discrepancies")
        total = sum(int(r["discrepancies"] or 0) for r in rows)
        self.kpis.append(Kpi("discrepancies", "Discrepancies", f"{total:,}", "bad" if total else "ok"))
        if not rows:
            return Panel(title, missing="no channel is compared with a system of record")
        fig, ax = plt.subplots(figsize=(6.2, 3.0))
        labels = [f"{r['channel']}\n{r['store_id']}" for r in rows]
        values = [int(r["discrepancies"] or 0) for r in rows]
        bars = ax.bar(labels, values, color=[COLORS.get(r["channel"], FALLBACK) for r in rows])
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=2)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("SKUs that disagree")
        note = "SKUs whose sellable quantity differs from the system of record, of " + ", ".join(
            f"{int(r['compared']):,} compared on {r['channel']}/{r['store_id']}" for r in rows)
        return Panel(title, _svg(fig), note)

    def oversell(self) -> Panel:
        title = "SKUs at oversell risk"
        rows = self._rows("fct_oversell_risk",
                          "select sku, channel, store_id, risk_reason, sellable_quantity, record_quantity, excess_units "
                          "from {schema}.fct_oversell_risk order by excess_units desc, sku, channel, store_id")
        if rows is None:
            self.kpis.append(Kpi("oversell_skus", "SKUs at oversell risk", "n/a", "bad"))
            return self._missing(title, "fct_oversell_risk")
        skus = len({r["sku"] for r in rows})
        self.kpis.append(Kpi("oversell_skus", "SKUs at oversell risk", f"{skus:,}", "bad" if skus else "ok"))
        if not rows:
            return Panel(title, note="no SKU can oversell")
        counts = Counter((r["channel"], r["store_id"], r["risk_reason"]) for r in rows)
        fig, ax = plt.subplots(figsize=(6.2, 0.8 + 0.55 * len(counts)))
        keys = sorted(counts)
        bars = ax.barh([f"{c}/{s}:\n{reason.replace('_', ' ')}" for c, s, reason in keys], [counts[k] for k in keys],
                       color=[COLORS.get(k[0], FALLBACK) for k in keys])
        ax.bar_label(bars, padding=2)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("SKUs")
        table = [{"SKU": r["sku"], "channel": f"{r['channel']}/{r['store_id']}",
                  "why": REASONS.get(r["risk_reason"], r["risk_reason"]), "sellable": _num(r["sellable_quantity"]),
                  "system of record": _num(r["record_quantity"]), "units at risk": _num(r["excess_units"])}
                 for r in rows[:15]]
        return Panel(title, _svg(fig), f"{len(rows):,} SKU-channel pairs, {skus:,} distinct SKUs; largest first",
                     table=table, table_more=max(0, len(rows) - 15))

    def stockouts(self) -> Panel:
        days = self.s.stockout_days
        title = f"Projected stock-outs, next {days} days"
        rows = self._rows("fct_stockout_forecast",
                          "select sku, channel, store_id, sellable_quantity, units_per_day, days_of_cover, "
                          "projected_stockout_date from {schema}.fct_stockout_forecast "
                          "where projected_stockout_date is not null order by projected_stockout_date, sku")
        if rows is None:
            self.kpis.append(Kpi("stockouts", f"Stock-outs in {days} days", "n/a", "bad"))
            return self._missing(title, "fct_stockout_forecast")
        horizon = self.today + timedelta(days=days)
        soon = [r for r in rows if _as_date(r["projected_stockout_date"]) <= horizon]
        self.kpis.append(Kpi("stockouts", f"Stock-outs in {days} days", f"{len(soon):,}", "bad" if soon else "ok"))
        if not soon:
            return Panel(title, note=f"nothing is projected to run out before {horizon.isoformat()}")
        per_day: dict[date, Counter] = defaultdict(Counter)
        for r in soon:
            per_day[max(_as_date(r["projected_stockout_date"]), self.today)][r["channel"]] += 1
        span = [self.today + timedelta(days=i) for i in range(days + 1)]
        fig, ax = plt.subplots(figsize=(6.2, 3.0))
        bottom = [0] * len(span)
        for channel in sorted({r["channel"] for r in soon}):
            heights = [per_day[d][channel] for d in span]
            ax.bar(range(len(span)), heights, bottom=bottom, label=channel, color=COLORS.get(channel, FALLBACK))
            bottom = [b + h for b, h in zip(bottom, heights)]
        ax.set_xticks(range(len(span)), [d.strftime("%b %d") for d in span], rotation=60)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("SKU-channel pairs running out")
        ax.legend(frameon=False)
        table = [{"SKU": r["sku"], "channel": f"{r['channel']}/{r['store_id']}", "sellable": _num(r["sellable_quantity"]),
                  "units/day": _num(r["units_per_day"]), "days of cover": _num(r["days_of_cover"]),
                  "runs out": _as_date(r["projected_stockout_date"]).isoformat()} for r in soon[:15]]
        return Panel(title, _svg(fig), f"{len(soon):,} SKU-channel pairs at the current rate of sale (earliest first)",
                     table=table, table_more=max(0, len(soon) - 15))

    def reorder(self, top: int = 3, history_days: int = 56) -> Panel:
        """The daily forecast's reorder suggestions (docs/forecasting.md): the series at or nearest their reorder
        point, each with its recent demand, the forecast and its 80 % interval (left) and the stock position less
        the mean forecast against the reorder point and the safety stock (right)."""
        title = "Reorder points (demand forecast)"
        rows = self._rows("fct_reorder_suggestions",
                          "select channel, store_id, location_id, sku, as_of_date, demand_class, model, "
                          "reorder_point, safety_stock, order_up_to_level, inventory_position, "
                          "is_at_or_below_reorder_point, suggested_order_quantity, reorder_date, days_until_reorder "
                          "from {schema}.fct_reorder_suggestions")
        if rows is None:  # the forecast is optional (a daily step): no KPI, a line saying how to get it
            return Panel(title, note=f"no demand forecast in {self.s.schema} yet: inventory-sync --forecast builds "
                                     "it once a day")
        due = [r for r in rows if r["is_at_or_below_reorder_point"]]
        self.kpis.append(Kpi("reorder", "SKUs to reorder", f"{len(due):,}", "bad" if due else "ok"))
        risk = sorted((r for r in rows if r["inventory_position"] is not None),
                      key=lambda r: (not r["is_at_or_below_reorder_point"],
                                     r["days_until_reorder"] if r["days_until_reorder"] is not None else 10**6,
                                     r["sku"]))[:top]
        if not risk:
            return Panel(title, note="no series has a stock position to compare with its reorder point")
        fig, axes = plt.subplots(len(risk), 2, figsize=(8.4, 2.3 * len(risk)), squeeze=False)
        for (left, right), r in zip(axes, risk):
            where = "channel = ? and store_id = ? and location_id = ? and sku = ?"
            key = (r["channel"], r["store_id"], r["location_id"], r["sku"])
            as_of = _as_date(r["as_of_date"])
            seen = self.wh.rows(f"select demand_date, units_demanded from {self.s.schema}.fct_demand_history "
                                f"where {where} and is_observed and demand_date > ? order by demand_date",
                                (*key, as_of - timedelta(days=history_days)))
            days = self.wh.rows(f"select forecast_date, units_forecast, units_lo_80, units_hi_80, "
                                f"cumulative_units_forecast from {self.s.schema}.fct_demand_forecast "
                                f"where {where} order by horizon_day", key)
            dates = [_as_date(d["forecast_date"]) for d in days]
            left.bar([_as_date(s["demand_date"]) for s in seen], [float(s["units_demanded"]) for s in seen],
                     color="#9aa5b1", label="demand")
            left.fill_between(dates, [float(d["units_lo_80"]) for d in days], [float(d["units_hi_80"]) for d in days],
                              color="#9ecae1", step="mid", label="80 % interval")
            left.plot(dates, [float(d["units_forecast"]) for d in days], color="#08519c", label="forecast")
            left.set_title(f"{r['sku']} {r['channel']}/{r['store_id']} {r['location_id']}: {r['demand_class']}",
                           fontsize=9)
            left.set_ylabel("units/day")
            position = float(r["inventory_position"])
            right.step([as_of, *dates], [position, *(position - float(d["cumulative_units_forecast"]) for d in days)],
                       where="post", color="#333333", label="position less forecast")
            right.axhline(float(r["reorder_point"]), color="#d94801", label="reorder point")
            right.axhline(float(r["safety_stock"]), color="#d94801", linestyle=":", label="safety stock")
            right.axhline(0, color="#999999", linewidth=0.8)
            right.set_ylabel("units")
            for ax in (left, right):
                ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
                ax.tick_params(axis="x", labelsize=8, rotation=30)
        axes[0][0].legend(frameon=False, fontsize=7)
        axes[0][1].legend(frameon=False, fontsize=7)
        fig.tight_layout()
        table = [{"SKU": r["sku"], "where": f"{r['channel']}/{r['store_id']} {r['location_id']}",
                  "position": _num(r["inventory_position"]), "reorder point": _num(r["reorder_point"]),
                  "order": _num(r["suggested_order_quantity"]),
                  "reorder on": _as_date(r["reorder_date"]).isoformat() if r["reorder_date"] else ""}
                 for r in sorted(due, key=lambda r: r["sku"])[:15]]
        return Panel(title, _svg(fig), f"{len(due):,} of {len(rows):,} series at or below their reorder point "
                                       f"(forecast of {_as_date(rows[0]['as_of_date']).isoformat()}); the "
                                       f"{len(risk)} nearest shown", table=table, table_more=max(0, len(due) - 15))

    def stock_by_location(self) -> Panel:
        title = "Stock by location"
        rows = self._rows("fct_inventory_levels",
                          "select channel, store_id, location_id, max(location_name) as location_name, "
                          "sum(available) as available, count(*) as levels from {schema}.fct_inventory_levels "
                          "group by channel, store_id, location_id order by channel, store_id, location_id")
        if rows is None:
            self.kpis.append(Kpi("available_units", "Units available", "n/a", "bad"))
            return self._missing(title, "fct_inventory_levels")
        # Each channel store shows the same physical stock: adding them up would count it once per channel. The
        # KPI counts it once, at the system of record; without one, per channel store.
        per_store: dict[str, float] = defaultdict(float)
        for r in rows:
            per_store[f"{r['channel']}/{r['store_id']}"] += float(r["available"] or 0)
        record = self._record()
        if record in per_store:
            self.kpis.append(Kpi("available_units", f"Units available at the system of record ({record})",
                                 _num(per_store[record]) or "0"))
        elif per_store:
            self.kpis.append(Kpi("available_units", "Units available per channel store (no system of record set)",
                                 " / ".join(_num(v) or "0" for v in per_store.values())))
        else:
            self.kpis.append(Kpi("available_units", "Units available", "0"))
        if not rows:
            return Panel(title, missing="no inventory levels yet")
        fig, ax = plt.subplots(figsize=(6.2, 0.6 + 0.32 * len(rows)))
        labels = [f"{r['channel']}/{r['store_id']}: {r['location_name'] or r['location_id']}" for r in rows]
        values = [float(r["available"] or 0) for r in rows]
        bars = ax.barh(labels, values, color=[COLORS.get(r["channel"], FALLBACK) for r in rows])
        ax.bar_label(bars, labels=[_num(v) for v in values], padding=2, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("units available")
        locations = Counter(f"{r['channel']}/{r['store_id']}" for r in rows)
        note = "; ".join(f"{store}: {_num(total) or '0'} units at {locations[store]} locations"
                         for store, total in per_store.items())
        return Panel(title, _svg(fig), note + (" (each channel store shows the same shared stock, so the totals "
                                               "are not added up)" if len(per_store) > 1 else ""))

    def _record(self) -> str | None:
        """The system of record as `channel/store_id`, when one is set."""
        rows = self._rows("mart_system_of_record",
                          "select record_channel, record_store_id from {schema}.mart_system_of_record where is_set")
        return f"{rows[0]['record_channel']}/{rows[0]['record_store_id']}" if rows else None

    def freshness(self) -> Panel:
        title = "Source freshness"
        path = Path(self.s.freshness_results)
        if not path.exists():
            self.kpis.append(Kpi("stale_sources", "Stale sources", "n/a", "bad"))
            return Panel(title, missing="no source-freshness results yet (run dbt source freshness)")
        data = json.loads(path.read_text())
        results = sorted(data.get("results", []), key=lambda r: r["unique_id"])
        stale = [r for r in results if r.get("status") in self.s.freshness_statuses]
        self.kpis.append(Kpi("stale_sources", "Stale sources", f"{len(stale):,}", "bad" if stale else "ok"))
        table = []
        for r in results:
            age = r.get("max_loaded_at_time_ago_in_s")
            source = r["unique_id"].removeprefix("source.").split(".", 1)[-1]
            table.append({"source": source.removesuffix(".sync_runs"),
                          "status": r.get("status"), "hours since a sync": "" if age is None else f"{age / 3600:.1f}",
                          "last completed": str(r.get("max_loaded_at") or "")[:19].replace("T", " ")})
        checked = str(data.get("metadata", {}).get("generated_at", ""))[:19].replace("T", " ")
        aged = [r for r in results if r.get("max_loaded_at_time_ago_in_s") is not None]
        figure = ""
        if aged:
            fig, ax = plt.subplots(figsize=(6.2, 0.6 + 0.3 * len(aged)))
            colors = {"pass": "#2e7d32", "warn": "#f9a825", "error": "#c62828"}
            ages = [r["max_loaded_at_time_ago_in_s"] for r in aged]
            unit, scale = ("hours", 3600) if max(ages) >= 7200 else ("minutes", 60)
            ax.barh([t["source"] for t, r in zip(table, results) if r in aged], [a / scale for a in ages],
                    color=[colors.get(r.get("status"), FALLBACK) for r in aged])
            ax.invert_yaxis()
            ax.set_xlabel(f"{unit} since the last completed sync (green: fresh, amber: warn, red: error)")
            figure = _svg(fig)
        return Panel(title, figure, f"dbt source freshness checked at {checked} UTC; {len(stale)} of {len(results)} stale",
                     table=table)

    def build(self) -> dict[str, Any]:
        panels = [self.accuracy(), self.discrepancies(), self.oversell(), self.stockouts(), self.reorder(),
                  self.stock_by_location(), self.freshness()]
        return {"kpis": self.kpis, "panels": panels, "source": f"{self.wh.label}, schema {self.s.schema}",
                "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def write(settings: Settings, output: str | None = None, today: date | None = None) -> Path:
    path = Path(output or settings.report_path)
    with Warehouse(settings, read_only=True) as wh:
        context = Report(wh, settings, today).build()
    env = Environment(loader=PackageLoader("inventory_alerts"), autoescape=select_autoescape(["html"]))
    html = env.get_template("report.html").render(**context)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
