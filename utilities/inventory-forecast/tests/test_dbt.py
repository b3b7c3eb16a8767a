"""The entry points dbt Python models call (the whole models ran under dbt-duckdb: see the README)."""

from __future__ import annotations

import datetime

import duckdb
import numpy as np
import pandas as pd
import pytest
from forecast_helpers import history_frame

from inventory_forecast import SettingsError
from inventory_forecast.contract import FORECAST, REORDER, names
from inventory_forecast.dbt import forecast_model, reorder_model, settings_from, to_pandas


def test_a_duckdb_relation_in_dates_and_contract_out():
    con = duckdb.connect()
    history = history_frame({"A": np.random.default_rng(5).poisson(3, 60).astype(float)})
    con.register("history_frame", history)
    relation = con.sql("select upper(sku) as SKU, location_id, demand_date, units_demanded, is_observed "
                       "from history_frame")
    assert list(to_pandas(relation).columns)[0] == "sku"
    forecast = forecast_model(relation, {"lead_time_days": 3, "service_level": 0.9})
    assert list(forecast.columns) == ["sku", "location_id", *names(FORECAST)]
    assert isinstance(forecast["forecast_date"].iloc[0], datetime.date)
    assert (forecast["lead_time_days"] == 3).all() and (forecast["service_level"] == 0.9).all()
    con.register("forecast_frame", forecast)
    assert con.sql("select typeof(forecast_date) from forecast_frame limit 1").fetchone()[0] == "DATE"
    positions = pd.DataFrame({"sku": ["A"], "location_id": ["L1"], "available_quantity": [1.0]})
    reorder = reorder_model(con.sql("select * from forecast_frame"), positions)
    assert list(reorder.columns) == ["sku", "location_id", *names(REORDER)]
    assert bool(reorder.loc[0, "is_at_or_below_reorder_point"]) and reorder.loc[0, "reorder_date"] == \
        forecast["as_of_date"].iloc[0]


def test_settings_from_a_config_mapping():
    assert settings_from(None).service_level == 0.95
    assert settings_from({"series_keys": ["channel", "sku"]}).series_keys == ("channel", "sku")
    with pytest.raises(SettingsError, match="unknown inventory_forecast setting"):
        settings_from({"service_levle": 0.9})
    with pytest.raises(SettingsError, match="SERVICE_LEVEL"):
        settings_from({"service_level": 95})
