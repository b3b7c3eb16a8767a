#!/usr/bin/env bash
# The forecast's backtest through the pipeline (docs/forecasting.md, "Accuracy"): known demand processes observed as
# the pipeline observes a store, fct_demand_history built by dbt on DuckDB, the forecasts scored against the
# simulated demand. Writes docs/forecasting-backtest/backtest.md and its plots. Needs scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python benchmarks/forecast_backtest.py "$@"
