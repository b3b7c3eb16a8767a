"""PNG plots: the demand history with the forecast and its intervals, and the stock against the reorder point."""

from __future__ import annotations

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
