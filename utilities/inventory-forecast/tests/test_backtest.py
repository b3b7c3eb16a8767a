"""The backtest: its inventory simulation on demand worked out by hand, and a small run whose expectations
follow from the generator's parameters."""

from __future__ import annotations

import pandas as pd
import pytest
from inventory_forecast.backtest import (
    PROCESSES,
    BacktestConfig,
    _simulate_day,
    _Stock,
    markdown,
    run_backtest,
    synthetic_history,
    verdicts,
    write_report,
)


def _simulate(demand: list[float], reorder_point: int, order_up_to: int, lead_time: int) -> _Stock:
    stock = _Stock(reorder_point, order_up_to, float(order_up_to), {})
    for day, units in enumerate(demand):
        _simulate_day(stock, day, units, review=True, lead_time=lead_time)
    return stock


def test_simulation_counts_cycles_between_arrivals():
    # 2 a day from 10, s = 4, S = 10, lead time 1: day 2 ends at 4 -> order 6, arrives at the start of day 4
    # (after day 3 left 2); then arrivals on days 7, 10, 13 and one due on day 16: cycles 4-6, 7-9, 10-12 closed
    stock = _simulate([2.0] * 16, reorder_point=4, order_up_to=10, lead_time=1)
    assert stock.cycles == 3 and stock.cycles_short == 0
    assert sorted(stock.arrivals) == [16]            # the last order is still on its way


def test_simulation_counts_a_cycle_with_a_shortage_once():
    # as above until day 6 sells 7 with 4 on hand: the cycle 4-6 is short, the position -3 + 6 orders 7 more
    # (arriving day 8); arrivals on days 7, 8 and 13 close cycles 4-6 (short), 7 and 8-12
    stock = _simulate([2, 2, 2, 2, 2, 2, 7, 0, 0, 2, 2, 2, 2, 2, 2, 2], reorder_point=4, order_up_to=10, lead_time=1)
    assert stock.cycles_short == 1 and stock.cycles == 3


@pytest.fixture(scope="module")
def small_run() -> dict:
    config = BacktestConfig(series_per_process=3, history_days=112, test_days=56, refit_every=14, seed=5)
    processes = {label: PROCESSES[label] for label in ("smooth", "intermittent")}
    history, labels = synthetic_history(config, processes)
    return run_backtest(history, labels, config)


def test_small_backtest_agrees_with_the_generator(small_run):
    table = small_run["table"].set_index("demand")
    assert table.loc["smooth", "classified as"] == "smooth 100%"
    assert table.loc["intermittent", "classified as"].startswith("intermittent")
    # unbiased forecasts of a stationary process: the bias is small
    assert abs(table.loc["smooth", "bias %"]) < 10
    assert abs(table.loc["intermittent", "bias %"]) < 30
    # Poisson(6) with a level forecast: MASE about 0.7 (the naive's error is sqrt(2) times larger)
    assert 0.55 < table.loc["smooth", "MASE"] < 0.9
    assert 85 <= table.loc["smooth", "cover 95 %"] <= 100
    assert table.loc["smooth", "cycles"] > 0


def test_forecast_mean_of_the_smooth_process_is_its_known_mean(small_run):
    for example in small_run["examples"].values():
        if example["label"] == "smooth":
            assert example["forecast"]["units_forecast"].mean() == pytest.approx(PROCESSES["smooth"].mean, rel=0.15)


def test_report_writes_a_table_and_plots(small_run, tmp_path):
    path = write_report(small_run, tmp_path / "out")
    text = path.read_text()
    assert "| smooth |" in text and "| intermittent |" in text and "MASE" in text
    pngs = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert pngs == ["backtest-intermittent.png", "backtest-smooth.png"]
    assert all((tmp_path / "out" / p).stat().st_size > 10_000 for p in pngs)
    assert "CSL ok" in markdown(verdicts(small_run["table"], 0.95))


def test_the_history_contract_is_what_the_backtest_reads():
    config = BacktestConfig(series_per_process=1, history_days=10, test_days=5)
    history, labels = synthetic_history(config)
    assert list(history.columns) == ["sku", "location_id", "demand_date", "units_demanded", "is_observed"]
    assert set(labels.values()) == set(PROCESSES)
    assert history["demand_date"].nunique() == 15 and pd.api.types.is_bool_dtype(history["is_observed"])


def test_the_forecasts_are_scored_against_the_truth_when_it_is_given():
    # a pipeline that recorded every sale twice: forecast from that record, scored against what was sold
    config = BacktestConfig(series_per_process=2, history_days=84, test_days=28, refit_every=14, seed=3)
    truth, labels = synthetic_history(config, {"smooth": PROCESSES["smooth"]})
    recorded = truth.assign(units_demanded=truth["units_demanded"] * 2)
    against_truth = run_backtest(recorded, labels, config, truth=truth, keep=0)["table"].set_index("demand")
    against_itself = run_backtest(recorded, labels, config, keep=0)["table"].set_index("demand")
    assert 70 < against_truth.loc["smooth", "bias %"] < 130     # twice the demand: about +100 %
    assert abs(against_itself.loc["smooth", "bias %"]) < 10
