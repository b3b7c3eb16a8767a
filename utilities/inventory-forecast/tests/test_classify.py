"""The class rule on series built to be of one class."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_forecast.backtest import PROCESSES
from inventory_forecast.classify import profile

DAYS = 182


def _profile(values: np.ndarray, start_weekday: int = 0, min_history: int = 28):
    return profile(values.astype(float), (start_weekday + np.arange(len(values))) % 7, min_history)


@pytest.mark.parametrize("label", list(PROCESSES))
def test_each_process_is_classified_as_itself(label, rng):
    import pandas as pd

    for _ in range(3):
        values = PROCESSES[label].sample(DAYS, pd.Timestamp("2026-01-05"), rng)
        assert _profile(values).demand_class == label


def test_syntetos_boylan_cutoffs_on_constructed_series():
    every_day_same = np.full(60, 4.0)
    p = _profile(every_day_same)
    assert (p.demand_class, p.adi, p.cv2) == ("smooth", 1.0, 0.0)
    every_day_varied = np.tile([1.0, 1.0, 1.0, 12.0], 15)          # CV2 = 1.08: erratic
    assert _profile(every_day_varied).demand_class == "erratic"
    every_third_day = np.tile([0.0, 0.0, 3.0], 20)                # ADI 3, CV2 0
    p = _profile(every_third_day)
    assert (p.demand_class, p.adi, p.cv2) == ("intermittent", 3.0, 0.0)
    every_third_day_varied = np.tile([0, 0, 1, 0, 0, 1, 0, 0, 10.0], 7)
    assert _profile(every_third_day_varied).demand_class == "lumpy"


def test_just_below_and_above_the_adi_cutoff():
    # 4 demands in 5 days: ADI 1.25 (< 1.32); 3 in 4 days... 2 in 3 days: ADI 1.5
    assert _profile(np.tile([2.0, 2.0, 2.0, 2.0, 0.0], 12)).demand_class == "smooth"
    assert _profile(np.tile([2.0, 2.0, 0.0], 20)).demand_class == "intermittent"


def test_short_and_empty_series():
    assert _profile(np.full(20, 3.0)).demand_class == "new"
    p = _profile(np.zeros(60))
    assert (p.demand_class, p.adi, p.cv2) == ("no_demand", None, None)


def test_trend_and_weekly_season_need_evidence(rng):
    flat = rng.poisson(6, DAYS)
    assert _profile(flat).demand_class == "smooth"
    rising = rng.poisson(3 + 0.05 * np.arange(DAYS))
    assert _profile(rising).demand_class == "trending"
    weekly = rng.poisson(np.tile([2, 2, 2, 2, 2, 10, 10], DAYS // 7))
    assert _profile(weekly).demand_class == "seasonal_weekly"
