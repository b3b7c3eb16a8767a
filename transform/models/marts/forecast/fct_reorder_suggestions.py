"""One row per forecast series: safety stock, reorder point, order-up-to level, the stock position now and, at or
below the reorder point, the quantity to order ((s, S) policy; docs/forecasting.md)."""

from inventory_forecast.dbt import reorder_model


def model(dbt, session):
    dbt.config(materialized="table")
    return reorder_model(dbt.ref("fct_demand_forecast"), dbt.ref("int_forecast_stock_positions"),
                         dbt.config.get("inventory_forecast"))
