"""Prints what the forecast costs here: import time, the first call, and seconds per series by demand class.

    .venv/bin/python utilities/inventory-forecast/bench.py [--series 50]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=50, help="series per class (default 50)")
    args = parser.parse_args()

    started = time.perf_counter()
    import pandas  # noqa: F401

    pandas_s = time.perf_counter() - started
    started = time.perf_counter()
    import statsforecast.models  # noqa: F401

    statsforecast_s = time.perf_counter() - started
    from inventory_forecast import Settings, demand_forecast
    from inventory_forecast.backtest import PROCESSES, BacktestConfig, synthetic_history

    print(f"python {platform.python_version()}, {platform.machine()}, numba loaded: {'numba' in sys.modules}")
    print(f"import pandas {pandas_s:.2f} s, statsforecast models {statsforecast_s:.2f} s")
    config = BacktestConfig(series_per_process=args.series, history_days=365, test_days=0)
    history, labels = synthetic_history(config)
    settings = Settings()
    first = history[history["sku"] == "intermittent-000"]
    started = time.perf_counter()
    demand_forecast(first, settings)
    print(f"first call, one intermittent series: {1000 * (time.perf_counter() - started):.0f} ms")
    print(f"per series, 365 days of history, {settings.error_windows} rolling origins, horizon {settings.horizon_days}:")
    for label in PROCESSES:
        part = history[history["sku"].str.startswith(label + "-")]
        started = time.perf_counter()
        forecast = demand_forecast(part, settings)
        seconds = (time.perf_counter() - started) / args.series
        models = ", ".join(forecast.groupby("sku")["model"].first().value_counts().index[:2])
        print(f"  {label:16s} {1000 * seconds:6.1f} ms  ({models})")


if __name__ == "__main__":
    main()
