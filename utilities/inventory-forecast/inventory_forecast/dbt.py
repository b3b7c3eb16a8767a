"""Entry points for dbt Python models (dbt-duckdb runs them in the dbt process; dbt-snowflake in Snowpark).

    # models/marts/forecast/fct_demand_forecast.py
    from inventory_forecast.dbt import forecast_model

    def model(dbt, session):
        dbt.config(materialized="table")
        return forecast_model(dbt.ref("fct_demand_history"), dbt.config.get("inventory_forecast"))

    # models/marts/forecast/fct_reorder_suggestions.py
    from inventory_forecast.dbt import reorder_model

    def model(dbt, session):
        dbt.config(materialized="table")
        return reorder_model(dbt.ref("fct_demand_forecast"), dbt.ref("int_forecast_stock_positions"),
                             dbt.config.get("inventory_forecast"))

Settings: a mapping of Settings fields (`service_level`, `lead_time_days`, `series_keys`, ...), e.g. under the
model's `config: inventory_forecast: {service_level: 0.95}` in YAML. It has to be read in the model file
itself: dbt passes a Python model only the config keys its own code names in literal `dbt.config.get("...")`
calls, so a library cannot read them. Dates come back as dates (DATE columns, not timestamps); on Snowflake
(Snowpark input) the column names come back upper-case, so they resolve unquoted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .contract import FORECAST, REORDER, Column
from .forecast import demand_forecast
from .reorder import reorder_suggestions
from .settings import Settings, SettingsError


def to_pandas(relation: Any) -> pd.DataFrame:
    """A dbt.ref()/dbt.source() result as pandas with lower-case column names."""
    if isinstance(relation, pd.DataFrame):
        frame = relation
    elif hasattr(relation, "df"):                  # DuckDB relation
        frame = relation.df()
    elif hasattr(relation, "to_pandas"):           # Snowpark DataFrame
        frame = relation.to_pandas()
    else:
        raise TypeError(f"cannot read a {type(relation).__name__} as a pandas frame")
    return frame.rename(columns=lambda c: str(c).lower())


def settings_from(values: Mapping[str, Any] | None) -> Settings:
    """Settings from a mapping of field names (e.g. the model's `inventory_forecast` config); None: defaults."""
    values = dict(values or {})
    unknown = sorted(set(values) - {f.name for f in dataclasses.fields(Settings)})
    if unknown:
        raise SettingsError(f"unknown inventory_forecast setting(s): {', '.join(unknown)}")
    if "series_keys" in values:
        values["series_keys"] = tuple(values["series_keys"])
    settings = Settings(**values)
    settings.validate()
    return settings


def forecast_model(history: Any, settings: Mapping[str, Any] | None = None, series_settings: Any = None) -> pd.DataFrame:
    """The FORECAST frame for a dbt Python model, from a dbt.ref() of the demand history."""
    overrides = to_pandas(series_settings) if series_settings is not None else None
    frame = demand_forecast(to_pandas(history), settings_from(settings), series_settings=overrides)
    return _for_warehouse(frame, FORECAST, history)


def reorder_model(forecast: Any, positions: Any = None, settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The REORDER frame for a dbt Python model, from dbt.ref()s of the forecast and the stock positions."""
    stock = to_pandas(positions) if positions is not None else None
    frame = reorder_suggestions(to_pandas(forecast), stock, settings_from(settings))
    return _for_warehouse(frame, REORDER, forecast)


def _for_warehouse(frame: pd.DataFrame, columns: Sequence[Column], relation: Any) -> pd.DataFrame:
    frame = frame.copy()
    for name, kind, _ in columns:
        if kind == "date":                           # datetime.date objects: the warehouse makes DATE columns
            frame[name] = frame[name].map(lambda v: None if pd.isna(v) else v.date()).astype(object)
    snowpark = not isinstance(relation, pd.DataFrame) and not hasattr(relation, "df") and hasattr(relation, "to_pandas")
    return frame.rename(columns=str.upper) if snowpark else frame
