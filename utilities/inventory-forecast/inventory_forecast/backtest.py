"""Backtest on demand of known processes: rolling-origin forecasts and an inventory simulation.

Input is a demand history in the forecast's own contract (keys + demand_date, units_demanded, is_observed)
and a label per series (the process that made it). `synthetic_history` makes one from the PROCESSES below;
the daily demand the pipeline observed from the sandbox's sales simulator is a frame of the same shape.

For each origin (every `refit_every` days of the test period) `demand_forecast` sees the history up to that
day only, exactly as in production, and `reorder_suggestions` turns it into a reorder point s and an
order-up-to level S. Scored per label:

- MASE: mean absolute error over the next `horizon_days` days divided by the mean absolute error of the
  one-step naive forecast (yesterday's demand) inside the series' training history (Hyndman & Koehler 2006),
  averaged over series and origins; below 1 beats that naive. `MAE/naive` is the plain ratio of absolute
  errors to those of the naive forecast that repeats the last observed day over the same horizon.
- bias: (sum of forecasts - sum of actuals) / sum of actuals.
- coverage: the share of actual days inside the 80 % and 95 % intervals (bounds included).
- achieved CSL: an (s, S) simulation with backorders over the test period. At the end of every review day
  (every `review_period_days`), when stock on hand + on order - backorders is at or below s, order up to S;
  an order placed at the end of day t arrives at the start of day t + lead time + 1. A cycle runs from one
  arrival to the next; it has a stock-out when some demand in it could not be served from stock on hand.
  Achieved CSL = cycles without a stock-out / cycles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .forecast import demand_forecast
from .reorder import reorder_suggestions
from .settings import Settings

WEEKDAY_FACTORS = (0.6, 0.8, 0.9, 1.0, 1.2, 1.6, 1.9)   # Monday .. Sunday, seasonal_weekly


@dataclass(frozen=True)
class Process:
    """Daily demand: on each day a demand occurs with probability `occurrence`; its size is drawn from
    `size` ('poisson': Poisson(mean), '1+poisson': 1 + Poisson(mean - 1), 'lognormal': ceil(LogNormal) with
    that mean and log-sd `sigma`). `trend_per_day` adds to the mean each day; `weekly` multiplies it by the
    weekday factors."""

    occurrence: float
    size: str
    mean: float
    sigma: float = 0.0
    trend_per_day: float = 0.0
    weekly: bool = False

    def describe(self) -> str:
        parts = [f"P(demand) {self.occurrence:g}", f"size {self.size} mean {self.mean:g}"]
        if self.sigma:
            parts.append(f"log-sd {self.sigma:g}")
        if self.trend_per_day:
            parts.append(f"mean + {self.trend_per_day:g}/day")
        if self.weekly:
            parts.append("x weekday " + "/".join(f"{f:g}" for f in WEEKDAY_FACTORS))
        return ", ".join(parts)

    def sample(self, days: int, start: pd.Timestamp, rng: np.random.Generator) -> np.ndarray:
        mean = self.mean + self.trend_per_day * np.arange(days)
        if self.weekly:
            weekdays = (start.dayofweek + np.arange(days)) % 7
            mean = mean * np.asarray(WEEKDAY_FACTORS)[weekdays]
        if self.size == "poisson":
            size = rng.poisson(mean)
        elif self.size == "1+poisson":
            size = 1 + rng.poisson(np.maximum(mean - 1, 0))
        else:                                        # lognormal with the given mean
            mu = np.log(mean) - self.sigma ** 2 / 2
            size = np.ceil(rng.lognormal(mu, self.sigma))
        occurs = rng.random(days) < self.occurrence
        return np.where(occurs, size, 0).astype(float)


PROCESSES: dict[str, Process] = {
    "smooth": Process(occurrence=1.0, size="poisson", mean=6.0),
    "erratic": Process(occurrence=0.95, size="lognormal", mean=6.0, sigma=1.0),
    "intermittent": Process(occurrence=0.25, size="1+poisson", mean=2.5),
    "lumpy": Process(occurrence=0.15, size="lognormal", mean=6.0, sigma=1.0),
    "trending": Process(occurrence=1.0, size="poisson", mean=4.0, trend_per_day=0.02),
    "seasonal_weekly": Process(occurrence=1.0, size="poisson", mean=6.0, weekly=True),
}


@dataclass(frozen=True)
class BacktestConfig:
    series_per_process: int = 30
    history_days: int = 182        # days before the first origin
    test_days: int = 364
    refit_every: int = 7           # days between origins
    seed: int = 21


def synthetic_history(config: BacktestConfig, processes: Mapping[str, Process] = PROCESSES,
                      start: str = "2025-01-06") -> tuple[pd.DataFrame, dict[str, str]]:
    """(history frame, label per sku): every day observed, seeded per process and series."""
    start_day = pd.Timestamp(start)
    days = config.history_days + config.test_days
    dates = pd.date_range(start_day, periods=days, freq="D")
    frames, labels = [], {}
    for p_index, (label, process) in enumerate(processes.items()):
        for i in range(config.series_per_process):
            rng = np.random.default_rng([config.seed, p_index, i])
            sku = f"{label}-{i:03d}"
            labels[sku] = label
            frames.append(pd.DataFrame({"sku": sku, "location_id": "sim", "demand_date": dates,
                                        "units_demanded": process.sample(days, start_day, rng),
                                        "is_observed": True}))
    return pd.concat(frames, ignore_index=True), labels


@dataclass
class _Stock:
    reorder_point: int
    order_up_to: int
    net: float
    arrivals: dict
    cycles: int = 0
    cycles_short: int = 0
    in_cycle: bool = False
    short: bool = False


def run_backtest(history: pd.DataFrame, labels: Mapping[str, str], config: BacktestConfig,
                 settings: Settings | None = None, keep: int = 1, truth: pd.DataFrame | None = None) -> dict:
    """Scores per label (a DataFrame) and, for `keep` series per label, what the plots need. `truth`: the demand
    the forecasts are scored and the stock simulated against (same columns; default: `history` itself), e.g. the
    simulated demand when `history` is what a pipeline recorded of it."""
    settings = replace(settings or Settings(), series_keys=("sku", "location_id"))
    history = history.copy()
    history["demand_date"] = pd.to_datetime(history["demand_date"]).dt.normalize()
    truth = history if truth is None else truth.assign(demand_date=pd.to_datetime(truth["demand_date"]).dt.normalize())
    first_day = truth["demand_date"].min()
    test_start = first_day + pd.Timedelta(days=config.history_days)
    test_end = test_start + pd.Timedelta(days=config.test_days - 1)
    actual = truth.pivot(index="demand_date", columns="sku", values="units_demanded")
    observed = truth.pivot(index="demand_date", columns="sku", values="is_observed").fillna(False).astype(bool)
    skus = [s for s in actual.columns if s in labels]
    errors: list[dict] = []
    stocks: dict[str, _Stock] = {}
    traces: dict[str, list] = {sku: [] for sku in skus}
    kept = {sku for label in set(labels.values()) for sku in sorted(s for s in skus if labels[s] == label)[:keep]}
    last_forecast: dict[str, pd.DataFrame] = {}
    days = pd.date_range(test_start, test_end, freq="D")
    for day_index, day in enumerate(days):
        if day_index % config.refit_every == 0:
            origin = day - pd.Timedelta(days=1)
            seen = history[history["demand_date"] <= origin]
            forecast = demand_forecast(seen, settings, as_of=origin)
            suggestions = reorder_suggestions(forecast, settings=settings)
            scale_from = seen if truth is history else truth[truth["demand_date"] <= origin]  # MASE's in-sample naive
            errors += _score(forecast, scale_from, actual, observed, settings.horizon_days, labels)
            for row in suggestions.itertuples():
                if row.sku not in stocks:
                    stocks[row.sku] = _Stock(row.reorder_point, row.order_up_to_level, float(row.order_up_to_level), {})
                stocks[row.sku].reorder_point, stocks[row.sku].order_up_to = row.reorder_point, row.order_up_to_level
            for sku in kept:
                last_forecast[sku] = forecast[forecast["sku"] == sku]
        review = day_index % int(settings.review_period_days) == 0
        for sku, stock in stocks.items():
            demand = actual.at[day, sku] if observed.at[day, sku] else 0.0
            _simulate_day(stock, day_index, demand, review, int(settings.lead_time_days))
            if sku in kept:
                traces[sku].append((day, stock.net, stock.reorder_point, stock.order_up_to))
    table = _table(pd.DataFrame(errors), stocks, labels, settings)
    examples = {sku: {"label": labels[sku], "forecast": last_forecast.get(sku), "trace": traces[sku],
                      "history": history[history["sku"] == sku]} for sku in sorted(kept)}
    return {"table": table, "examples": examples, "config": config, "settings": settings}


def _simulate_day(stock: _Stock, day: int, demand: float, review: bool, lead_time: int) -> None:
    arriving = stock.arrivals.pop(day, 0.0)
    if arriving:
        stock.net += arriving
        if stock.in_cycle:
            stock.cycles += 1
            stock.cycles_short += stock.short
        stock.in_cycle, stock.short = True, False
    if demand > 0 and stock.net < demand:
        stock.short = True
    stock.net -= demand
    if review:
        position = stock.net + sum(stock.arrivals.values())
        if position <= stock.reorder_point:
            stock.arrivals[day + lead_time + 1] = stock.arrivals.get(day + lead_time + 1, 0.0) + \
                max(stock.order_up_to - position, 0.0)


def _score(forecast: pd.DataFrame, seen: pd.DataFrame, actual: pd.DataFrame, observed: pd.DataFrame,
           horizon: int, labels: Mapping[str, str]) -> list[dict]:
    out = []
    for sku, rows in forecast[forecast["horizon_day"] <= horizon].groupby("sku"):
        if sku not in labels:
            continue
        rows = rows[rows["forecast_date"] <= actual.index.max()]
        mask = observed.loc[rows["forecast_date"], sku].to_numpy()
        y = actual.loc[rows["forecast_date"], sku].to_numpy(dtype=float)[mask]
        if not len(y):
            continue
        train = seen.loc[(seen["sku"] == sku) & seen["is_observed"], "units_demanded"].to_numpy(dtype=float)
        scale = np.mean(np.abs(np.diff(train))) if len(train) > 1 else 0.0
        f = rows["units_forecast"].to_numpy(dtype=float)[mask]
        lo80, hi80 = rows["units_lo_80"].to_numpy(float)[mask], rows["units_hi_80"].to_numpy(float)[mask]
        lo95, hi95 = rows["units_lo_95"].to_numpy(float)[mask], rows["units_hi_95"].to_numpy(float)[mask]
        out.append({
            "label": labels[sku], "sku": sku, "class": rows["demand_class"].iloc[0], "model": rows["model"].iloc[0],
            "mase": np.mean(np.abs(y - f)) / scale if scale > 0 else np.nan,
            "abs_error": np.abs(y - f).sum(), "naive_abs_error": np.abs(y - train[-1]).sum() if len(train) else np.nan,
            "forecast_sum": f.sum(), "actual_sum": y.sum(), "days": len(y),
            "in_80": ((y >= lo80 - 1e-9) & (y <= hi80 + 1e-9)).sum(),
            "in_95": ((y >= lo95 - 1e-9) & (y <= hi95 + 1e-9)).sum(),
        })
    return out


def _table(errors: pd.DataFrame, stocks: Mapping[str, _Stock], labels: Mapping[str, str],
           settings: Settings) -> pd.DataFrame:
    rows = []
    for label in dict.fromkeys(labels.values()):
        e = errors[errors["label"] == label]
        if e.empty:
            continue
        cycles = sum(stocks[s].cycles for s in stocks if labels.get(s) == label)
        short = sum(stocks[s].cycles_short for s in stocks if labels.get(s) == label)
        classes = e["class"].value_counts(normalize=True)
        models = e["model"].value_counts(normalize=True)
        rows.append({
            "demand": label,
            "classified as": ", ".join(f"{c} {share:.0%}" for c, share in classes.head(2).items()),
            "model": ", ".join(f"{m} {share:.0%}" for m, share in models.head(2).items()),
            "MASE": e["mase"].mean(),
            "MAE/naive": e["abs_error"].sum() / e["naive_abs_error"].sum(),
            "bias %": 100 * (e["forecast_sum"].sum() - e["actual_sum"].sum()) / e["actual_sum"].sum(),
            "cover 80 %": 100 * e["in_80"].sum() / e["days"].sum(),
            "cover 95 %": 100 * e["in_95"].sum() / e["days"].sum(),
            "cycles": cycles,
            "CSL %": 100 * (cycles - short) / cycles if cycles else math.nan,
            "target CSL %": 100 * settings.service_level,
        })
    return pd.DataFrame(rows)


def verdicts(table: pd.DataFrame, service_level: float) -> pd.DataFrame:
    """The issue's targets per row: MASE < 1 (all but lumpy), coverage within 5 points, CSL within 3."""
    out = table.copy()
    out["MASE < 1"] = np.where(out["demand"] == "lumpy", "n/a", np.where(out["MASE"] < 1, "yes", "no"))
    out["cover ok"] = np.where((abs(out["cover 80 %"] - 80) <= 5) & (abs(out["cover 95 %"] - 95) <= 5), "yes", "no")
    out["CSL ok"] = np.where(abs(out["CSL %"] - 100 * service_level) <= 3, "yes", "no")
    return out


def markdown(table: pd.DataFrame) -> str:
    columns = list(table.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in table.itertuples(index=False):
        cells = [f"{v:.2f}" if isinstance(v, float) and c in {"MASE", "MAE/naive"} else
                 f"{v:.1f}" if isinstance(v, float) else str(v) for c, v in zip(columns, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(result: dict, folder: Path, processes: Mapping[str, Process] = PROCESSES) -> Path:
    """backtest.md (the table, the processes, the settings) and one PNG per kept series, in `folder`."""
    from .plots import plot_example

    folder.mkdir(parents=True, exist_ok=True)
    config, settings = result["config"], result["settings"]
    table = verdicts(result["table"], settings.service_level)
    images = []
    for example in result["examples"].values():
        if example["forecast"] is None or example["forecast"].empty:
            continue
        name = f"backtest-{example['label']}.png"
        plot_example(example, folder / name, settings)
        images.append((example["label"], name))
    lines = [
        "# Backtest: forecasts and reorder points on demand of known processes",
        "",
        (f"Generated by `inventory-forecast backtest --output {folder}`: {config.series_per_process} series per "
        f"process, {config.history_days} days of history before the first origin, {config.test_days} test days, "
        f"a new forecast every {config.refit_every} days, seed {config.seed}. Service level "
        f"{settings.service_level:.0%}, lead time {settings.lead_time_days} days, review every "
        f"{settings.review_period_days} day(s), order cover {settings.order_cover_days} days, horizon "
        f"{settings.horizon_days} days."),
        "",
        markdown(table),
        "",
        ("Targets (issue): MASE < 1 on every class but lumpy; coverage within 5 points of nominal; achieved "
        "cycle-service level within 3 points of the target."),
        "",
        ("How to read it. MASE: mean absolute error over the horizon divided by the in-sample mean absolute "
        "error of the one-step naive forecast (yesterday's demand), averaged over series and origins (Hyndman "
        "& Koehler 2006). MAE/naive: absolute errors against those of the naive forecast that repeats the "
        "last observed day over the same horizon. Bias: (forecast - actual) / actual, summed. Cover: share of "
        "days inside the interval, bounds included. CSL: an (s, S) simulation with backorders, reviewed every "
        "day, s and S from the latest forecast; an order placed at the end of day t arrives at the start of "
        "day t + lead time + 1; a cycle runs from one arrival to the next and is short when some demand in it "
        "could not be served from stock on hand."),
        "",
        ("Limits. An interval that holds 0 covers at least the share of days without demand, so for lumpy "
        "demand (85 % of days sell nothing) the 80 % interval covers 85 %: a discrete distribution allows no "
        "less. Demand here is what was asked for; a pipeline sees sales, which a stock-out cuts short "
        "(censored demand is not corrected). s and S are refreshed with each forecast (weekly here), not daily."),
        "",
        "| process | parameters |",
        "|---|---|",
        *[f"| {label} | {process.describe()} |" for label, process in processes.items()],
        "",
        *[f"![{label}]({name})" for label, name in images],
        "",
    ]
    path = folder / "backtest.md"
    path.write_text("\n".join(lines))
    return path
