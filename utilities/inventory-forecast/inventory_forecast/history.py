"""From the history frame to one regular daily series per SKU x location, with the gaps filled as documented.

A day without an observation is not a day without demand. Each series' calendar runs from its first to its
last observed day (within the window); days inside it that were not observed are filled by the gap policy:

- `carry` (default, for demand derived from stock movements, as the pipeline's is): the stock that went out
  while nobody looked shows up as the decrease seen at the next observation, so the units of the first
  observed day after a gap are the demand of the whole gap. They are spread evenly over the gap days and
  that day. Totals are kept; the day-to-day pattern inside a gap is lost.
- `missing` (for a feed whose unobserved days are simply lost, such as an order export with holes): the
  gap days get the mean of the series' observed days on the same weekday (all observed days when a weekday
  has none). The observed days keep their units.

Filled days (and, under `carry`, the observed day that closed the gap) are flagged `is_filled`: the
classification and the daily prediction intervals use only the other days, the clean ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .contract import HISTORY, names
from .settings import SettingsError


@dataclass
class Series:
    key: tuple[str, ...]
    start: pd.Timestamp          # the first day of y
    y: np.ndarray                # daily demand, gaps filled
    is_filled: np.ndarray        # True where y was filled (or spread) rather than observed as is

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.Timedelta(days=len(self.y) - 1)

    @property
    def clean(self) -> np.ndarray:
        return self.y[~self.is_filled]

    @property
    def weekdays(self) -> np.ndarray:
        return (self.start.dayofweek + np.arange(len(self.y))) % 7


def check_history(history: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The history with the contract's columns and types, or SettingsError naming what is wrong."""
    missing = [c for c in (*keys, *names(HISTORY)) if c not in history.columns]
    if missing:
        raise SettingsError(f"the demand history lacks column(s) {', '.join(missing)}")
    frame = history.loc[:, [*keys, *names(HISTORY)]].copy()
    frame["demand_date"] = pd.to_datetime(frame["demand_date"]).dt.normalize()
    frame["is_observed"] = frame["is_observed"].fillna(False).astype(bool)
    frame["units_demanded"] = pd.to_numeric(frame["units_demanded"], errors="coerce").astype(float)
    observed = frame["is_observed"]
    if frame.loc[observed, "units_demanded"].isna().any():
        raise SettingsError("the demand history has observed days with no units_demanded")
    if (frame.loc[observed, "units_demanded"] < 0).any():
        raise SettingsError("the demand history has negative units_demanded (a restock or a push is not demand)")
    if frame.duplicated([*keys, "demand_date"]).any():
        raise SettingsError("the demand history has more than one row for a series and day")
    for key in keys:
        frame[key] = frame[key].astype(str)
    return frame


def build_series(history: pd.DataFrame, keys: Sequence[str], gap_policy: str, window_days: int,
                 as_of: pd.Timestamp) -> list[Series]:
    """One Series per key with at least one observed day in the window ending at as_of (history: checked)."""
    frame = history
    first_day = as_of - pd.Timedelta(days=window_days - 1)
    frame = frame[frame["is_observed"] & (frame["demand_date"] >= first_day) & (frame["demand_date"] <= as_of)]
    out = []
    for key, rows in frame.groupby(list(keys), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        out.append(_fill(tuple(str(k) for k in key), rows, gap_policy))
    return out


def _fill(key: tuple[str, ...], rows: pd.DataFrame, gap_policy: str) -> Series:
    start, end = rows["demand_date"].min(), rows["demand_date"].max()
    n = (end - start).days + 1
    index = (rows["demand_date"] - start).dt.days.to_numpy()
    y = np.full(n, np.nan)
    y[index] = rows["units_demanded"].to_numpy(dtype=float)
    observed = ~np.isnan(y)
    is_filled = ~observed
    if gap_policy == "carry":
        previous = -1
        for i in np.flatnonzero(observed):
            if i - previous > 1:                     # days previous+1 .. i-1 were not observed
                span = slice(previous + 1, i + 1)
                y[span] = y[i] / (i - previous)
                is_filled[span] = True
            previous = i
    else:
        weekdays = (start.dayofweek + np.arange(n)) % 7
        overall = y[observed].mean()
        for day in range(7):
            seen = observed & (weekdays == day)
            y[~observed & (weekdays == day)] = y[seen].mean() if seen.any() else overall
    return Series(key=key, start=start, y=y, is_filled=is_filled)
