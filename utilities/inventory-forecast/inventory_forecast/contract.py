"""The column contracts: what goes in and what comes out, one place.

Each contract is a tuple of (name, type, description). The type is one of `text`, `date`, `integer`, `double`,
`boolean` and maps to a pandas dtype here and to a SQL type when the CLI writes a table. The series keys (by
default `sku`, `location_id`; setting `series_keys`) come first in every frame and are text.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

Column = tuple[str, str, str]

HISTORY: tuple[Column, ...] = (
    ("demand_date", "date", "The UTC day."),
    ("units_demanded", "double",
     "Units sold (stock decreases that are demand) that day; ignored, and may be null, when is_observed is false."),
    ("is_observed", "boolean",
     "True when the pipeline observed the series that day (a sync saw it); false when nothing was observed. "
     "Days missing from the frame count as not observed."),
)

SERIES_SETTINGS: tuple[Column, ...] = (
    ("service_level", "double", "Target cycle-service level, the probability a replenishment cycle has no stock-out."),
    ("lead_time_days", "integer", "Days from placing an order to the goods being available."),
    ("review_period_days", "integer", "Days between two looks at the stock (1: every day)."),
    ("order_cover_days", "integer", "Days of expected demand an order should cover beyond the reorder point."),
)

POSITIONS: tuple[Column, ...] = (
    ("available_quantity", "double", "Units available to sell now (as of the forecast's as_of_date)."),
    ("on_order_quantity", "double", "Units ordered and not yet received (optional column, 0 when absent)."),
)

FORECAST: tuple[Column, ...] = (
    ("as_of_date", "date", "The last day of history the forecast starts from."),
    ("forecast_date", "date", "The day forecast (as_of_date + horizon_day)."),
    ("horizon_day", "integer", "1 for the day after as_of_date, 2 for the next, ..."),
    ("demand_class", "text",
     "smooth, erratic, intermittent, lumpy, trending, seasonal_weekly, new or no_demand (the rule in the README)."),
    ("model", "text", "The model used: TSB, an ETS such as ETS(A,N,A) (statsforecast), HistoricAverage or Zero."),
    ("units_forecast", "double", "Mean demand forecast for the day."),
    ("units_lo_80", "double", "Lower bound of the 80 % prediction interval for the day's demand."),
    ("units_hi_80", "double", "Upper bound of the 80 % prediction interval."),
    ("units_lo_95", "double", "Lower bound of the 95 % prediction interval."),
    ("units_hi_95", "double", "Upper bound of the 95 % prediction interval."),
    ("cumulative_units_forecast", "double", "Mean demand from day 1 to this day."),
    ("lead_time_demand_at_service_level", "double",
     "What a reorder point must cover if the lead time were horizon_day days: the service_level quantile of the "
     "demand over days 1..horizon_day plus the undershoot below the reorder point at the review that orders. "
     "The reorder point is this at horizon_day = lead_time_days, rounded up."),
    ("service_level", "double", "The series' target cycle-service level (setting or override)."),
    ("lead_time_days", "integer", "The series' lead time (setting or override)."),
    ("review_period_days", "integer", "The series' review period (setting or override)."),
    ("order_cover_days", "integer", "The series' order cover (setting or override)."),
    ("history_days", "integer", "Days in the series' calendar, first to last observed day (within the window)."),
    ("observed_days", "integer", "Days of that calendar that were observed."),
    ("adi", "double", "Average demand interval: observed days per day with demand (null without demand)."),
    ("cv2", "double", "Squared coefficient of variation of the non-zero demands (null with fewer than 2)."),
)

REORDER: tuple[Column, ...] = (
    ("as_of_date", "date", "The day the stock position and the forecast refer to."),
    ("demand_class", "text", "As in the forecast."),
    ("model", "text", "As in the forecast."),
    ("service_level", "double", "Target cycle-service level."),
    ("lead_time_days", "integer", "Lead time."),
    ("review_period_days", "integer", "Review period."),
    ("order_cover_days", "integer", "Order cover."),
    ("mean_daily_demand", "double", "Mean forecast demand per day over the lead time."),
    ("lead_time_demand", "double", "Mean forecast demand over the lead time."),
    ("safety_stock", "double", "reorder_point - lead_time_demand (it covers the undershoot at review too)."),
    ("reorder_point", "integer",
     "Order when the inventory position is at or below this: lead_time_demand_at_service_level at the lead "
     "time, rounded up."),
    ("order_up_to_level", "integer", "reorder_point + mean demand over the order cover days, rounded up."),
    ("available_quantity", "double", "Units available now (null, like the columns after it, when the series has "
                                     "no stock position)."),
    ("on_order_quantity", "double", "Units on order."),
    ("inventory_position", "double", "available_quantity + on_order_quantity."),
    ("is_at_or_below_reorder_point", "boolean", "inventory_position <= reorder_point: order now."),
    ("suggested_order_quantity", "integer", "order_up_to_level - inventory_position when ordering now, else 0."),
    ("reorder_date", "date",
     "First day the position less the mean forecast reaches the reorder point (as_of_date when it already has); "
     "null when not within the forecast horizon."),
    ("days_until_reorder", "integer", "reorder_date - as_of_date."),
    ("projected_stockout_date", "date",
     "First day the available quantity less the mean forecast falls below zero; null when not within the horizon."),
)

_PANDAS = {"text": "string", "date": "datetime64[ns]", "integer": "Int64", "double": "float64", "boolean": "boolean"}
SQL_TYPES = {"text": "varchar", "date": "date", "integer": "bigint", "double": "double precision", "boolean": "boolean"}


def names(columns: Sequence[Column]) -> list[str]:
    return [name for name, _, _ in columns]


def conform(frame: pd.DataFrame, keys: Sequence[str], columns: Sequence[Column]) -> pd.DataFrame:
    """The frame with exactly the keys and the contract's columns, in order, with the contract's dtypes."""
    out = frame.loc[:, [*keys, *names(columns)]].copy()
    for key in keys:
        out[key] = out[key].astype("string")
    for name, kind, _ in columns:
        if kind == "date":
            out[name] = pd.to_datetime(out[name]).astype("datetime64[ns]")
        elif kind == "integer":
            out[name] = pd.to_numeric(out[name]).round().astype("Int64")
        else:
            out[name] = out[name].astype(_PANDAS[kind])
    return out.reset_index(drop=True)


def markdown_table(columns: Sequence[Column]) -> str:
    """The contract as a markdown table (the README's tables are this output)."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | {kind} | {text} |" for name, kind, text in columns]
    return "\n".join(lines)
