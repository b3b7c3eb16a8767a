"""The demand forecast per channel store x location x SKU and day, with prediction intervals and the lead-time
demand at the service level (inventory_forecast: the rule picks TSB or an ETS per series; docs/forecasting.md).
Built daily by `inventory-sync --forecast` (tag forecast), never by the every-minute build."""

from inventory_forecast.dbt import forecast_model


def model(dbt, session):
    dbt.config(materialized="table")
    return forecast_model(dbt.ref("fct_demand_history"), dbt.config.get("inventory_forecast"),
                          dbt.ref("int_forecast_series_settings"))
