"""The forecast frame: its contract, its intervals, and means that match the processes behind them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_helpers import START, history_frame

from inventory_forecast import Settings, demand_forecast
from inventory_forecast.backtest import PROCESSES
from inventory_forecast.contract import FORECAST, names

DAYS = 182


@pytest.fixture(scope="module")
def forecast() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    series = {label: process.sample(DAYS, START, rng) for label, process in PROCESSES.items()}
    series["new"] = rng.poisson(2.0, 20).astype(float)
    series["none"] = np.zeros(60)
    return demand_forecast(history_frame(series), Settings())


def test_contract_columns_and_types(forecast):
    assert list(forecast.columns) == ["sku", "location_id", *names(FORECAST)]
    assert str(forecast["forecast_date"].dtype) == "datetime64[ns]"
    assert str(forecast["horizon_day"].dtype) == "Int64"
    assert str(forecast["sku"].dtype) == "string"
    assert not forecast[["units_forecast", "units_lo_80", "units_hi_95", "lead_time_demand_at_service_level"]] \
        .isna().any().any()
    one = forecast[forecast["sku"] == "smooth"]
    assert one["horizon_day"].tolist() == list(range(1, 29))
    assert (one["forecast_date"] - one["as_of_date"]).dt.days.tolist() == list(range(1, 29))
    assert one["as_of_date"].iloc[0] == START + pd.Timedelta(days=DAYS - 1)


def test_every_series_gets_its_class_and_model(forecast):
    by_sku = forecast.groupby("sku").first()
    for label in PROCESSES:
        assert by_sku.at[label, "demand_class"] == label
    assert by_sku.loc[["intermittent", "lumpy"], "model"].tolist() == ["TSB", "TSB"]
    assert by_sku.at["seasonal_weekly", "model"].startswith("ETS(A,") and by_sku.at["seasonal_weekly", "model"].endswith(",A)")
    assert (by_sku.at["new", "demand_class"], by_sku.at["new", "model"]) == ("new", "HistoricAverage")
    assert (by_sku.at["none", "demand_class"], by_sku.at["none", "units_hi_95"]) == ("no_demand", 0.0)


def test_intervals_nest_and_are_never_negative(forecast):
    f = forecast
    assert (f["units_lo_95"] >= 0).all()
    assert (f["units_lo_95"] <= f["units_lo_80"] + 1e-9).all()
    assert (f["units_lo_80"] <= f["units_hi_80"] + 1e-9).all()
    assert (f["units_hi_80"] <= f["units_hi_95"] + 1e-9).all()
    assert (f.groupby("sku")["lead_time_demand_at_service_level"].diff().dropna() >= -1e-9).all()


def test_intermittent_intervals_start_at_zero(forecast):
    # three days in four sell nothing: both intervals must include a day without demand, and the 95 % one
    # a day with demand
    one = forecast[forecast["sku"] == "intermittent"]
    assert (one["units_lo_80"] == 0).all() and (one["units_lo_95"] == 0).all()
    assert (one["units_hi_95"] >= 1).all()


@pytest.mark.parametrize("label", ["smooth", "intermittent", "lumpy"])
def test_mean_forecast_is_near_the_known_mean(forecast, label):
    process = PROCESSES[label]
    expected = process.occurrence * process.mean        # mean daily demand of the process
    got = forecast.loc[forecast["sku"] == label, "units_forecast"].mean()
    assert got == pytest.approx(expected, rel=0.35)


def test_trend_and_weekly_season_are_followed(forecast):
    trending = forecast[forecast["sku"] == "trending"]
    level_now = PROCESSES["trending"].mean + PROCESSES["trending"].trend_per_day * DAYS
    assert trending["units_forecast"].iloc[:7].mean() == pytest.approx(level_now, rel=0.25)
    assert trending["units_forecast"].iloc[-1] > trending["units_forecast"].iloc[0]
    seasonal = forecast[forecast["sku"] == "seasonal_weekly"]
    by_weekday = seasonal.groupby(seasonal["forecast_date"].dt.dayofweek)["units_forecast"].mean()
    assert by_weekday.idxmax() in (5, 6) and by_weekday.idxmin() in (0, 1)


def test_the_horizon_covers_a_long_lead_time_and_overrides_apply():
    rng = np.random.default_rng(3)
    frame = history_frame({"a": rng.poisson(5, 120).astype(float), "b": rng.poisson(5, 120).astype(float)})
    overrides = pd.DataFrame({"sku": ["b"], "location_id": ["L1"], "lead_time_days": [40], "service_level": [0.99]})
    f = demand_forecast(frame, Settings(horizon_days=14), series_settings=overrides)
    assert f[f["sku"] == "a"]["horizon_day"].max() == 14
    b = f[f["sku"] == "b"]
    assert b["horizon_day"].max() == 40 and (b["lead_time_days"] == 40).all() and (b["service_level"] == 0.99).all()


def test_a_later_as_of_starts_the_forecast_after_it():
    frame = history_frame({"a": np.random.default_rng(4).poisson(5, 100).astype(float)})
    as_of = START + pd.Timedelta(days=104)              # four days after the last observation
    f = demand_forecast(frame, Settings(), as_of=as_of)
    assert f["forecast_date"].min() == as_of + pd.Timedelta(days=1)
    assert len(f) == 28
