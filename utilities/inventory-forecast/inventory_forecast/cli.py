"""`inventory-forecast run`: read the demand history from the warehouse, forecast, write the forecast and the
reorder suggestions back (the path for warehouses without dbt Python models: PostgreSQL).
`inventory-forecast backtest --output DIR`: the backtest table and plots.

Exit 2 with one line when the run cannot start or its input looks wrong (nothing is written then).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from .settings import Settings, SettingsError

log = logging.getLogger("inventory_forecast")


def _run(args: argparse.Namespace) -> int:
    from .contract import FORECAST, REORDER
    from .forecast import demand_forecast
    from .reorder import reorder_suggestions
    from .warehouse import Warehouse

    settings = Settings.from_env(warehouse=args.warehouse, path=args.path, schema=args.schema,
                                 history_table=args.history_table, positions_table=args.positions_table,
                                 output_schema=args.output_schema)
    keys = list(settings.series_keys)
    started = time.perf_counter()
    with Warehouse(settings) as warehouse:
        history = warehouse.read(settings.schema, settings.history_table)
        positions = warehouse.read(settings.schema, settings.positions_table) if settings.positions_table else None
        overrides = (warehouse.read(settings.schema, settings.series_settings_table)
                     if settings.series_settings_table else None)
        forecast = demand_forecast(history, settings, series_settings=overrides, as_of=args.as_of)
        suggestions = reorder_suggestions(forecast, positions, settings)
        warehouse.replace(settings.output_schema, settings.forecast_table, forecast, keys, FORECAST)
        warehouse.replace(settings.output_schema, settings.reorder_table, suggestions, keys, REORDER)
        classes = suggestions["demand_class"].value_counts().to_dict()
        ordering = int(suggestions["is_at_or_below_reorder_point"].fillna(False).sum())
        log.info("forecast: %d series (%s), %d at or below the reorder point; wrote %s.%s (%d rows) and %s.%s "
                 "in %s in %.1f s", len(suggestions), ", ".join(f"{k} {v}" for k, v in classes.items()), ordering,
                 settings.output_schema, settings.forecast_table, len(forecast), settings.output_schema,
                 settings.reorder_table, warehouse.name, time.perf_counter() - started)
    return 0


def _backtest(args: argparse.Namespace) -> int:
    import pandas as pd

    from .backtest import BacktestConfig, run_backtest, synthetic_history, write_report

    config = BacktestConfig(series_per_process=args.series, history_days=args.history_days,
                            test_days=args.test_days, refit_every=args.refit_every, seed=args.seed)
    settings = Settings.from_env()
    if args.history_csv:
        history = pd.read_csv(args.history_csv, dtype={"sku": str, "location_id": str})
        if "label" not in history.columns:
            raise SettingsError(f"{args.history_csv} needs a label column (the process behind each series)")
        labels = dict(history.groupby("sku")["label"].first())
        history["location_id"] = history["location_id"].fillna("")
    else:
        history, labels = synthetic_history(config)
    started = time.perf_counter()
    result = run_backtest(history, labels, config, settings)
    path = write_report(result, Path(args.output))
    log.info("backtest: %d series in %.0f s; wrote %s", len(labels), time.perf_counter() - started, path)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inventory-forecast", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="forecast from the warehouse's demand history and write the results back")
    run.add_argument("--warehouse", choices=["duckdb", "postgres"], help="default: setting warehouse (duckdb)")
    run.add_argument("--path", help="DuckDB file (default: WAREHOUSE_PATH or output/warehouse.duckdb)")
    run.add_argument("--schema", help="schema of the input tables (default: analytics)")
    run.add_argument("--history-table", help="the demand history (default: fct_demand_history)")
    run.add_argument("--positions-table", help="stock positions: keys, available_quantity[, on_order_quantity]")
    run.add_argument("--output-schema", help="where fct_demand_forecast and fct_reorder_suggestions go")
    run.add_argument("--as-of", help="forecast origin, YYYY-MM-DD (default: the last observed day)")
    back = commands.add_parser("backtest", help="forecast and simulate on demand of known processes")
    back.add_argument("--output", required=True, help="folder for backtest.md and the PNG plots")
    back.add_argument("--series", type=int, default=30, help="series per process (default 30)")
    back.add_argument("--history-days", type=int, default=182, help="history before the first origin (default 182)")
    back.add_argument("--test-days", type=int, default=364, help="days simulated (default 364)")
    back.add_argument("--refit-every", type=int, default=7, help="days between forecasts (default 7)")
    back.add_argument("--seed", type=int, default=21)
    back.add_argument("--history-csv", help="observed demand (history contract + label column) instead of "
                                            "the synthetic processes")
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)                 # the stderr of this call (tests capture it)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        return _run(args) if args.command == "run" else _backtest(args)
    except SettingsError as exc:
        log.error("%s: %s", args.command, exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
