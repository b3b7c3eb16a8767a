"""Demand forecasts, prediction intervals, safety stock and reorder suggestions per SKU x location.

    from inventory_forecast import demand_forecast, reorder_suggestions, Settings
    forecast = demand_forecast(history)                 # contract.FORECAST, one row per series and day
    suggestions = reorder_suggestions(forecast, stock)  # contract.REORDER, one row per series
"""

from .forecast import demand_forecast
from .reorder import reorder_suggestions
from .settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "demand_forecast", "reorder_suggestions"]
