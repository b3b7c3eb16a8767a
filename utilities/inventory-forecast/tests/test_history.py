"""Days without an observation are not days without demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory_forecast import Settings, SettingsError, demand_forecast
from inventory_forecast.history import build_series, check_history

from forecast_helpers import START, history_frame

KEYS = ("sku", "location_id")


def _series(frame, policy="carry", as_of=None):
    as_of = as_of or frame.loc[frame["is_observed"], "demand_date"].max()
    return build_series(check_history(frame, KEYS), KEYS, policy, 365, pd.Timestamp(as_of))


def test_carry_spreads_the_units_seen_after_a_gap_over_the_gap():
    # 2 units a day; days 3-5 not observed, so day 6 (the next observation) saw the 8 units of days 3-6
    demand = np.array([2, 2, 2, 0, 0, 0, 8, 2, 2], float)
    seen = np.array([1, 1, 1, 0, 0, 0, 1, 1, 1], bool)
    (s,) = _series(history_frame({"a": demand}, {"a": seen}))
    assert s.y.tolist() == [2.0] * 9
    assert s.is_filled.tolist() == [False] * 3 + [True] * 4 + [False] * 2
    assert s.y.sum() == demand.sum()                 # carry keeps the total


def test_missing_fills_a_gap_with_the_weekday_mean_and_keeps_observed_days():
    weeks = 6
    demand = np.tile([1, 1, 1, 1, 1, 5, 5], weeks).astype(float)   # weekends sell more
    seen = np.ones(len(demand), bool)
    seen[[12, 13, 19]] = False                       # a Saturday, a Sunday and a Saturday unseen
    (s,) = _series(history_frame({"a": demand}, {"a": seen}), policy="missing")
    assert s.y[12] == 5.0 and s.y[13] == 5.0 and s.y[19] == 5.0
    assert s.y[seen].tolist() == demand[seen].tolist()
    assert s.is_filled.sum() == 3


def test_missing_days_and_rows_outside_the_observed_span_are_trimmed():
    demand = np.array([0, 0, 3, 3, 3, 0, 0], float)
    seen = np.array([0, 0, 1, 1, 1, 0, 0], bool)
    frame = history_frame({"a": demand}, {"a": seen})
    frame = frame.drop(index=3)                       # a day absent from the frame: not observed either
    (s,) = _series(frame, as_of=START + pd.Timedelta(days=6))
    assert s.start == START + pd.Timedelta(days=2)
    assert s.end == START + pd.Timedelta(days=4)
    assert s.y.tolist() == [3.0, 1.5, 1.5]            # day 3 (absent) carried by day 4
    assert s.is_filled.tolist() == [False, True, True]


def test_gaps_do_not_lower_the_forecast(rng):
    # 3 units a day for 20 weeks, observed only on weekdays (no sync at weekends): under carry, Monday's
    # decrease holds the weekend's demand, so the level stays 3 a day, not 3 x 5/7
    days = 140
    demand = rng.poisson(3.0, days).astype(float)
    weekday = (START.dayofweek + np.arange(days)) % 7
    seen = weekday < 5
    carried = demand.copy()
    for i in np.flatnonzero(seen):
        j = i - 1
        while j >= 0 and not seen[j]:
            carried[i] += demand[j]
            j -= 1
    forecast = demand_forecast(history_frame({"a": carried}, {"a": seen}), Settings())
    assert forecast["units_forecast"].mean() == pytest.approx(3.0, abs=0.5)
    # "missing": the weekend is unknown, not carried; the observed weekdays give the level
    forecast = demand_forecast(history_frame({"a": demand}, {"a": seen}), Settings(gap_policy="missing"))
    assert forecast["units_forecast"].mean() == pytest.approx(3.0, abs=0.5)


def test_the_history_is_refused_with_one_line_when_it_looks_wrong():
    frame = history_frame({"a": np.ones(40)})
    with pytest.raises(SettingsError, match="lacks column"):
        demand_forecast(frame.drop(columns="is_observed"))
    bad = frame.copy()
    bad.loc[5, "units_demanded"] = -2
    with pytest.raises(SettingsError, match="negative"):
        demand_forecast(bad)
    with pytest.raises(SettingsError, match="more than one row"):
        demand_forecast(pd.concat([frame, frame.iloc[[3]]]))
    unknown = frame.copy()
    unknown.loc[5, "units_demanded"] = np.nan
    with pytest.raises(SettingsError, match="no units_demanded"):
        demand_forecast(unknown)
