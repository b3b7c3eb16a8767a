"""Safety stock, reorder points, order quantities and dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_helpers import START, history_frame

from inventory_forecast import Settings, SettingsError, demand_forecast, reorder_suggestions
from inventory_forecast.contract import REORDER, names

AS_OF = pd.Timestamp("2026-03-01")


def _forecast_frame(daily: float, lead: int = 5, horizon: int = 20, quantile_extra: float = 3.0) -> pd.DataFrame:
    """A hand-made forecast: `daily` units a day, the lead-time quantile `quantile_extra` above the mean."""
    h = np.arange(1, horizon + 1)
    return pd.DataFrame({
        "sku": "a", "location_id": "L1", "as_of_date": AS_OF, "forecast_date": AS_OF + pd.to_timedelta(h, unit="D"),
        "horizon_day": h, "demand_class": "smooth", "model": "ETS(A,N,N)", "units_forecast": daily,
        "cumulative_units_forecast": daily * h, "lead_time_demand_at_service_level": daily * h + quantile_extra,
        "service_level": 0.95, "lead_time_days": lead, "review_period_days": 1, "order_cover_days": 10,
    })


def _position(available: float, on_order: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame({"sku": ["a"], "location_id": ["L1"], "available_quantity": [available],
                         "on_order_quantity": [on_order]})


def test_reorder_arithmetic_on_a_known_forecast():
    (row,) = reorder_suggestions(_forecast_frame(2.0), _position(30.0)).to_dict("records")
    assert row["lead_time_demand"] == 10.0 and row["reorder_point"] == 13 and row["safety_stock"] == 3.0
    assert row["mean_daily_demand"] == 2.0 and row["order_up_to_level"] == 13 + 20
    # 30 - 2h <= 13 first at h = 9 (30 - 18 = 12); stock-out: 30 - 2h < 0 first at h = 16
    assert row["reorder_date"] == AS_OF + pd.Timedelta(days=9) and row["days_until_reorder"] == 9
    assert row["projected_stockout_date"] == AS_OF + pd.Timedelta(days=16)
    assert row["is_at_or_below_reorder_point"] is False or not row["is_at_or_below_reorder_point"]
    assert row["suggested_order_quantity"] == 0


def test_at_the_reorder_point_order_up_to_today():
    (row,) = reorder_suggestions(_forecast_frame(2.0), _position(8.0, on_order=5.0)).to_dict("records")
    assert row["inventory_position"] == 13.0 and row["is_at_or_below_reorder_point"]
    assert row["suggested_order_quantity"] == 33 - 13
    assert row["reorder_date"] == AS_OF and row["days_until_reorder"] == 0
    assert row["projected_stockout_date"] == AS_OF + pd.Timedelta(days=5)   # 8 - 2h < 0 at h = 5


def test_beyond_the_horizon_there_is_no_date_and_no_position_no_suggestion():
    (row,) = reorder_suggestions(_forecast_frame(0.5), _position(500.0)).to_dict("records")
    assert pd.isna(row["reorder_date"]) and pd.isna(row["projected_stockout_date"])
    (row,) = reorder_suggestions(_forecast_frame(2.0)).to_dict("records")
    assert row["reorder_point"] == 13
    assert pd.isna(row["available_quantity"]) and pd.isna(row["suggested_order_quantity"])
    assert pd.isna(row["reorder_date"])


def test_contract_columns():
    frame = reorder_suggestions(_forecast_frame(2.0), _position(30.0))
    assert list(frame.columns) == ["sku", "location_id", *names(REORDER)]
    assert str(frame["reorder_point"].dtype) == "Int64" and str(frame["reorder_date"].dtype) == "datetime64[ns]"
    with pytest.raises(SettingsError, match="available_quantity"):
        reorder_suggestions(_forecast_frame(2.0), _position(1.0).drop(columns="available_quantity"))


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return history_frame({
        "smooth": rng.poisson(5.0, 150).astype(float),
        "intermittent": (rng.random(150) < 0.25) * (1 + rng.poisson(1.5, 150)).astype(float),
    })


def _reorder_points(history: pd.DataFrame, **settings: object) -> pd.Series:
    s = Settings(**settings)
    return reorder_suggestions(demand_forecast(history, s), settings=s).set_index("sku")


def test_safety_stock_grows_with_the_service_level(history):
    points = [_reorder_points(history, service_level=level) for level in (0.8, 0.9, 0.95, 0.99)]
    for sku in ("smooth", "intermittent"):
        stocks = [p.at[sku, "safety_stock"] for p in points]
        assert stocks == sorted(stocks) and stocks[-1] > stocks[0], (sku, stocks)


def test_reorder_point_and_safety_stock_grow_with_the_lead_time(history):
    points = [_reorder_points(history, lead_time_days=days) for days in (2, 7, 14, 28)]
    for sku in ("smooth", "intermittent"):
        rops = [p.at[sku, "reorder_point"] for p in points]
        stocks = [p.at[sku, "safety_stock"] for p in points]
        assert rops == sorted(rops) and rops[-1] > rops[0], (sku, rops)
        assert stocks[-1] > stocks[0], (sku, stocks)


def test_smooth_reorder_point_is_near_the_textbook_one(history):
    # Poisson(5) demand, 7 days' lead time: lead-time demand 35, sd sqrt(35); 95 %: 35 + 1.645 sqrt(35) = 44.7,
    # plus about half a day for the undershoot at review. The estimate must land near that.
    row = _reorder_points(history).loc["smooth"]
    assert row["lead_time_demand"] == pytest.approx(35, rel=0.15)
    assert 40 <= row["reorder_point"] <= 54


def test_date_arithmetic_starts_at_the_forecasts_as_of(history):
    s = Settings()
    forecast = demand_forecast(history, s)
    as_of = START + pd.Timedelta(days=149)
    row = reorder_suggestions(forecast, pd.DataFrame({"sku": ["smooth"], "location_id": ["L1"],
                                                      "available_quantity": [120.0]}), s).set_index("sku").loc["smooth"]
    days = row["days_until_reorder"]
    one = forecast[forecast["sku"] == "smooth"].set_index("horizon_day")
    assert row["as_of_date"] == as_of and row["reorder_date"] == as_of + pd.Timedelta(days=int(days))
    assert 120 - one.at[days, "cumulative_units_forecast"] <= row["reorder_point"]
    assert 120 - one.at[days - 1, "cumulative_units_forecast"] > row["reorder_point"]


def test_a_series_plots_for_a_report(history, tmp_path):
    import io

    from inventory_forecast.plots import plot_sku

    s = Settings()
    forecast = demand_forecast(history, s)
    positions = pd.DataFrame({"sku": ["smooth"], "location_id": ["L1"], "available_quantity": [60.0]})
    row = reorder_suggestions(forecast, positions, s).set_index("sku").loc["smooth"].to_dict()
    buffer = io.BytesIO()
    plot_sku(history[history["sku"] == "smooth"], forecast[forecast["sku"] == "smooth"], row, buffer, fmt="svg")
    svg = buffer.getvalue().decode()
    assert svg.lstrip().startswith("<?xml") and "reorder point" in svg and "80 % interval" in svg
