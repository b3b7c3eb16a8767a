"""The demand class of a series and the model it gets: the rule, in one place.

On the clean days of the series (observed and not the end of a gap):

1. fewer than `min_history_days` clean days: `new`; no demand at all: `no_demand`.
2. Syntetos-Boylan: ADI = clean days / days with demand, CV2 = squared coefficient of variation of the
   non-zero demands. ADI >= 1.32 is intermittent demand: `intermittent` when CV2 < 0.49, else `lumpy`.
3. Demand on most days (ADI < 1.32): `seasonal_weekly` when the weekday explains the demand (Kruskal-Wallis
   across weekdays p < 0.001 and the weekday means spread by at least 10 % of the mean), else `trending`
   when a straight line through the weekly sums has a slope with p < 0.001 that moves the level by at least
   20 % over the history, else `smooth` (CV2 < 0.49) or `erratic`.

Models (statsforecast): smooth and erratic ETS(A,N,N); trending AutoETS over (A,A,N) and (A,Ad,N);
seasonal_weekly AutoETS over (A,N,A), (A,A,A) and (A,Ad,A) with a season of 7 days; intermittent and lumpy
TSB (see MODELS); new the mean of the days seen; no_demand zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
SEASON_P, SEASON_SPREAD = 0.001, 0.10
TREND_P, TREND_CHANGE = 0.001, 0.20


@dataclass(frozen=True)
class Profile:
    demand_class: str
    observed_days: int
    adi: float | None
    cv2: float | None


def profile(clean: np.ndarray, clean_weekdays: np.ndarray, min_history_days: int) -> Profile:
    n = len(clean)
    demands = clean[clean > 0]
    adi = n / len(demands) if len(demands) else None
    cv2 = float(demands.var() / demands.mean() ** 2) if len(demands) >= 2 else None
    if not len(demands):
        return Profile("no_demand", n, adi, cv2)
    if n < min_history_days:
        return Profile("new", n, adi, cv2)
    cv2_value = cv2 or 0.0
    if adi >= ADI_CUTOFF:
        return Profile("intermittent" if cv2_value < CV2_CUTOFF else "lumpy", n, adi, cv2)
    if has_weekly_season(clean, clean_weekdays):
        return Profile("seasonal_weekly", n, adi, cv2)
    if has_trend(clean):
        return Profile("trending", n, adi, cv2)
    return Profile("smooth" if cv2_value < CV2_CUTOFF else "erratic", n, adi, cv2)


def has_weekly_season(values: np.ndarray, weekdays: np.ndarray) -> bool:
    groups = [values[weekdays == day] for day in range(7)]
    if min(len(g) for g in groups) < 3 or np.ptp(values) == 0:
        return False
    p = stats.kruskal(*groups).pvalue
    spread = np.std([g.mean() for g in groups]) / values.mean()
    return bool(p < SEASON_P and spread >= SEASON_SPREAD)


def has_trend(values: np.ndarray) -> bool:
    weeks = len(values) // 7
    if weeks < 4 or values.mean() <= 0:
        return False
    sums = values[len(values) - weeks * 7:].reshape(weeks, 7).sum(axis=1)
    fit = stats.linregress(np.arange(weeks), sums)
    change = abs(fit.slope) * weeks / sums.mean()
    return bool(fit.pvalue < TREND_P and change >= TREND_CHANGE)
