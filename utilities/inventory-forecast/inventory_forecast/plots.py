"""Plots: the demand history with the forecast and its intervals, and the stock against the reorder point
(the backtest's PNGs, and `plot_sku` for a report)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .settings import Settings


def plot_example(example: dict, path: Path, settings: Settings, history_days: int = 56) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    forecast = example["forecast"]
    as_of = pd.Timestamp(forecast["as_of_date"].iloc[0])
    history = example["history"]
    recent = history[(history["demand_date"] > as_of - pd.Timedelta(days=history_days))
                     & (history["demand_date"] <= as_of) & history["is_observed"]]
    later = history[(history["demand_date"] > as_of) & (history["demand_date"] <= forecast["forecast_date"].max())]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), constrained_layout=True)
    top.bar(recent["demand_date"], recent["units_demanded"], color="#9aa5b1", label="demand (history)")
    top.scatter(later["demand_date"], later["units_demanded"], s=10, color="#333333", label="demand (after)", zorder=3)
    top.fill_between(forecast["forecast_date"], forecast["units_lo_95"], forecast["units_hi_95"], color="#c6dbef",
                     step="mid", label="95 % interval")
    top.fill_between(forecast["forecast_date"], forecast["units_lo_80"], forecast["units_hi_80"], color="#6baed6",
                     step="mid", label="80 % interval")
    top.plot(forecast["forecast_date"], forecast["units_forecast"], color="#08519c", label="forecast")
    first = forecast.iloc[0]
    top.set_title(f"{example['label']}: {first['demand_class']}, {first['model']} (from {as_of:%Y-%m-%d})")
    top.set_ylabel("units per day")
    top.legend(loc="upper left", fontsize=8, ncols=3)
    trace = pd.DataFrame(example["trace"], columns=["day", "net", "reorder_point", "order_up_to"])
    bottom.step(trace["day"], trace["net"], where="post", color="#333333", label="net stock (simulated)")
    bottom.step(trace["day"], trace["reorder_point"], where="post", color="#d94801", label="reorder point")
    bottom.step(trace["day"], trace["order_up_to"], where="post", color="#41ab5d", linestyle="--",
                label="order-up-to level")
    bottom.axhline(0, color="#999999", linewidth=0.8)
    bottom.set_title(f"(s, S) simulation: service level {settings.service_level:.0%}, "
                     f"lead time {settings.lead_time_days} d")
    bottom.set_ylabel("units")
    bottom.legend(loc="upper left", fontsize=8, ncols=3)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_sku(history: pd.DataFrame, forecast: pd.DataFrame, suggestion: Mapping[str, object], out: object,
             fmt: str = "png", history_days: int = 56) -> None:
    """One series for a report: demand history, forecast and intervals (top); the position less the mean
    forecast against the reorder point, with the reorder date (bottom). `history`: the series' rows of the
    history contract; `forecast`: its FORECAST rows; `suggestion`: its REORDER row; `out`: a path or a
    binary file object; `fmt`: png or svg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    forecast = forecast.sort_values("horizon_day")
    as_of = pd.Timestamp(forecast["as_of_date"].iloc[0])
    days = pd.to_datetime(forecast["forecast_date"])
    seen = history[history["is_observed"].astype(bool)].copy()
    seen["demand_date"] = pd.to_datetime(seen["demand_date"])
    seen = seen[seen["demand_date"] > as_of - pd.Timedelta(days=history_days)]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), constrained_layout=True, sharex=True)
    top.bar(seen["demand_date"], seen["units_demanded"], color="#9aa5b1", label="demand")
    top.fill_between(days, forecast["units_lo_95"], forecast["units_hi_95"], color="#c6dbef", step="mid",
                     label="95 % interval")
    top.fill_between(days, forecast["units_lo_80"], forecast["units_hi_80"], color="#6baed6", step="mid",
                     label="80 % interval")
    top.plot(days, forecast["units_forecast"], color="#08519c", label="forecast")
    top.set_ylabel("units per day")
    top.set_title(f"{suggestion.get('demand_class')}, {suggestion.get('model')}")
    top.legend(loc="upper left", fontsize=8, ncols=4)
    position = suggestion.get("inventory_position")
    if position is not None and not pd.isna(position):
        projected = float(position) - forecast["cumulative_units_forecast"].to_numpy(dtype=float)
        bottom.step([as_of, *days], [float(position), *projected], where="post", color="#333333",
                    label="position less forecast")
    bottom.axhline(float(suggestion["reorder_point"]), color="#d94801", label="reorder point")
    reorder_date = suggestion.get("reorder_date")
    if reorder_date is not None and not pd.isna(reorder_date):
        bottom.axvline(pd.Timestamp(reorder_date), color="#d94801", linestyle=":", label="reorder date")
    bottom.axhline(0, color="#999999", linewidth=0.8)
    bottom.set_ylabel("units")
    bottom.legend(loc="upper right", fontsize=8, ncols=3)
    fig.savefig(out, format=fmt, dpi=90)
    plt.close(fig)
