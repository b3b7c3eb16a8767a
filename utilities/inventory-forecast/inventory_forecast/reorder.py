"""Reorder suggestions from the forecast and the stock position: arithmetic only, no model.

The policy is (s, S) with a review every `review_period_days`: at a review, when the inventory position
(available + on order) is at or below the reorder point s, order up to S. An order placed at the end of a
day is available at the start of the day after the lead time.

- reorder point s = the forecast's `lead_time_demand_at_service_level` at horizon day = lead time, rounded
  up: the service-level quantile of the demand over the lead time plus the undershoot at the review that
  orders (the forecast module says how). Safety stock = s - the mean demand over the lead time.
- order-up-to level S = s + mean daily demand over the lead time x order_cover_days, rounded up (no EOQ:
  no ordering or holding costs are known); suggested quantity S - position when the position is at or below s.
- reorder date: the first day the position less the cumulative mean forecast is at or below s (as_of_date
  when it already is); projected stock-out date: the first day available less the cumulative mean
  forecast is below zero (orders on the way ignored: their arrival dates are not known).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .contract import POSITIONS, REORDER, conform
from .settings import Settings, SettingsError


def reorder_suggestions(forecast: pd.DataFrame, positions: pd.DataFrame | None = None,
                        settings: Settings | None = None) -> pd.DataFrame:
    """The REORDER frame (contract.REORDER): one row per series of the FORECAST frame.

    positions: keys + available_quantity (+ on_order_quantity); a series without a row gets null position
    columns, no suggestion and no dates.
    """
    settings = settings or Settings()
    keys = list(settings.series_keys)
    stock = _positions(positions, keys)
    rows = []
    for key, days in forecast.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        rows.append(_one(tuple(str(k) for k in key), days.sort_values("horizon_day"), stock, keys))
    frame = pd.DataFrame(rows, columns=[*keys, *(name for name, _, _ in REORDER)])
    return conform(frame, keys, REORDER)


def _positions(positions: pd.DataFrame | None, keys: list[str]) -> dict[tuple[str, ...], tuple[float, float]]:
    if positions is None:
        return {}
    if "available_quantity" not in positions.columns or any(k not in positions.columns for k in keys):
        raise SettingsError(f"the stock positions need columns {', '.join(keys)}, available_quantity")
    on_order = positions["on_order_quantity"] if "on_order_quantity" in positions.columns else 0.0
    frame = positions.assign(on_order_quantity=on_order)
    if frame.duplicated(keys).any():
        raise SettingsError("the stock positions have more than one row for a series")
    return {tuple(str(row[k]) for k in keys): (float(row[POSITIONS[0][0]]), float(row[POSITIONS[1][0]] or 0.0))
            for row in frame.to_dict("records")}


def _one(key: tuple[str, ...], days: pd.DataFrame, stock: dict, keys: list[str]) -> dict:
    first = days.iloc[0]
    lead, review, cover = int(first["lead_time_days"]), int(first["review_period_days"]), int(first["order_cover_days"])
    at = days[days["horizon_day"] == lead].iloc[0]
    lead_time_demand = float(at["cumulative_units_forecast"])
    reorder_point = math.ceil(round(float(at["lead_time_demand_at_service_level"]), 9))
    mean_daily = lead_time_demand / lead
    order_up_to = math.ceil(round(reorder_point + mean_daily * cover, 9))
    as_of = pd.Timestamp(first["as_of_date"])
    row = dict(zip(keys, key))
    row.update({
        "as_of_date": as_of, "demand_class": first["demand_class"], "model": first["model"],
        "service_level": first["service_level"], "lead_time_days": lead, "review_period_days": review,
        "order_cover_days": cover, "mean_daily_demand": mean_daily,
        "lead_time_demand": lead_time_demand,
        "safety_stock": reorder_point - lead_time_demand, "reorder_point": reorder_point,
        "order_up_to_level": order_up_to,
        "available_quantity": None, "on_order_quantity": None, "inventory_position": None,
        "is_at_or_below_reorder_point": None, "suggested_order_quantity": None,
        "reorder_date": None, "days_until_reorder": None, "projected_stockout_date": None,
    })
    if key not in stock:
        return row
    available, on_order = stock[key]
    position = available + on_order
    cumulative = days["cumulative_units_forecast"].to_numpy(dtype=float)
    horizon_days = days["horizon_day"].to_numpy()
    reorder_in = 0 if position <= reorder_point else _first_day(position - cumulative <= reorder_point, horizon_days)
    stockout_in = _first_day(available - cumulative < 0, horizon_days)
    row.update({
        "available_quantity": available, "on_order_quantity": on_order, "inventory_position": position,
        "is_at_or_below_reorder_point": position <= reorder_point,
        "suggested_order_quantity": max(0, math.ceil(round(order_up_to - position, 9)))
        if position <= reorder_point else 0,
        "reorder_date": None if reorder_in is None else as_of + pd.Timedelta(days=reorder_in),
        "days_until_reorder": reorder_in,
        "projected_stockout_date": None if stockout_in is None else as_of + pd.Timedelta(days=stockout_in),
    })
    return row


def _first_day(condition: np.ndarray, horizon_days: np.ndarray) -> int | None:
    hits = np.flatnonzero(condition)
    return int(horizon_days[hits[0]]) if hits.size else None
