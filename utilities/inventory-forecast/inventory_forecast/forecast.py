"""The forecast: per series a class, a statsforecast model, a daily mean, prediction intervals and the
demand a reorder point must cover at the series' service level. Same code on every warehouse.

The uncertainty comes from the series' own forecast errors (split-conformal style): the model forecasts from
each of the last `error_windows` days of the history as if it were today (rolling origin: Croston-type
models are refitted at each origin; ETS is run forward from each origin with a fit on the days before the
first origin, so no parameter has seen what it is scored on), and what happened after each origin is
compared with what was forecast:

- the daily interval at level L: the forecast combined with the daily errors of the origins that reach the
  whole horizon, pooled over its days, cut at zero. For Croston-type models the errors are ratios (actual /
  forecast), so a day without demand stays exactly zero; for ETS they are differences divided by the square
  root of the forecast (units are counts: their spread grows with the square root of the level), rescaled
  to the forecast's level. When the chance of zero demand is already more than the lower tail (1 - L) / 2
  (most days of an intermittent series), the interval is [0, the L quantile] instead of the central one.
- `lead_time_demand_at_service_level` for day h: the service-level quantile of (the cumulative forecast to h
  + the cumulative error over h days from the same origins, scaled the same way, with the model's bias and
  the level's uncertainty in it) + the undershoot: at the review that orders, the position is already below
  the reorder point by part of the last review period's demand. The undershoot is drawn as in renewal
  theory: a review period's demand picked with probability proportional to its size (a big day is more
  likely to be the one that crosses), times a uniform share of it. Without it, series with big single days
  (erratic, lumpy) fall short of their service level.

With fewer than MIN_WINDOWS origins (a `new` series, or a lead time almost as long as the history) the
days are bootstrapped from the clean history instead (drawn independently, scaled to the forecast).
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .classify import profile
from .contract import FORECAST, SERIES_SETTINGS, conform, names
from .history import Series, build_series, check_history
from .settings import Settings, SettingsError

LEVELS = (80, 95)
MIN_TRAIN = 14              # days before the first rolling origin (Croston-type models)
MIN_CALIBRATION_FIT = 56    # ... for ETS, whose origins run forward from a fit on the days before them
MIN_WINDOWS = 10            # origins needed to use the errors rather than the bootstrap
BOOTSTRAP_PATHS = 2000


def _ets(model: str, season_length: int = 1) -> Callable[[], object]:
    def make() -> object:
        from statsforecast.models import AutoETS
        return AutoETS(model=model, season_length=season_length)
    return make


def _same_form(model: object) -> object:
    """An AutoETS restricted to the form (error, trend, season, damped) a fitted AutoETS chose."""
    from statsforecast.models import AutoETS

    components = model.model_["components"]
    return AutoETS(model=components[:3], damped=components[3] != "N", season_length=model.season_length)


def _tsb() -> object:
    from statsforecast.models import TSB
    return TSB(alpha_d=0.1, alpha_p=0.1)


# demand class -> model factory. ETS runs forward from a single fit; the others are refitted per origin.
MODELS: dict[str, Callable[[], object]] = {
    "smooth": _ets("ANN"),
    "erratic": _ets("ANN"),
    "trending": _ets("AAN"),               # damped or not, by AICc
    "seasonal_weekly": _ets("AZA", 7),     # trend none, additive or damped, by AICc
    "intermittent": _tsb,
    "lumpy": _tsb,
}


def demand_forecast(history: pd.DataFrame, settings: Settings | None = None,
                    series_settings: pd.DataFrame | None = None, as_of: object = None,
                    models: Mapping[str, Callable[[], object]] | None = None) -> pd.DataFrame:
    """The FORECAST frame (contract.FORECAST) for every series with an observed day in the window.

    history: keys + contract.HISTORY columns. series_settings: optional keys + any of service_level,
    lead_time_days, review_period_days, order_cover_days (null: the setting). as_of: the forecast origin
    (default: the last observed day in the history).
    """
    settings = settings or Settings()
    keys = list(settings.series_keys)
    models = {**MODELS, **(models or {})}
    frame = check_history(history, keys)
    if as_of is None:
        observed = frame.loc[frame["is_observed"], "demand_date"]
        if observed.empty:
            return conform(pd.DataFrame(columns=[*keys, *names(FORECAST)]), keys, FORECAST)
        as_of = observed.max()
    as_of = pd.Timestamp(as_of).normalize()
    series = build_series(frame, keys, settings.gap_policy, settings.history_window_days, as_of)
    per_series = _series_settings(series_settings, keys, settings)
    frames = []
    for s in series:
        own = per_series.get(s.key, {})
        frames.append(_forecast_one(s, as_of, settings, {**_defaults(settings), **own}, models))
    if not frames:
        return conform(pd.DataFrame(columns=[*keys, *names(FORECAST)]), keys, FORECAST)
    out = pd.concat(frames, ignore_index=True)
    return conform(out, keys, FORECAST)


def _defaults(settings: Settings) -> dict[str, float]:
    return {name: getattr(settings, name) for name in names(SERIES_SETTINGS)}


def _series_settings(frame: pd.DataFrame | None, keys: Sequence[str], settings: Settings) -> dict:
    if frame is None or frame.empty:
        return {}
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise SettingsError(f"the series settings lack key column(s) {', '.join(missing)}")
    out: dict[tuple[str, ...], dict] = {}
    for row in frame.to_dict("records"):
        values = {n: row[n] for n in names(SERIES_SETTINGS) if n in row and pd.notna(row[n])}
        checked = Settings(**{**_defaults(settings), **values})  # same limits as the settings
        checked.validate()
        out[tuple(str(row[k]) for k in keys)] = values
    return out


def _forecast_one(s: Series, as_of: pd.Timestamp, settings: Settings, own: dict,
                  models: Mapping[str, Callable[[], object]]) -> pd.DataFrame:
    clean_weekdays = s.weekdays[~s.is_filled]
    prof = profile(s.clean, clean_weekdays, settings.min_history_days)
    lead_time = int(own["lead_time_days"])
    horizon = max(settings.horizon_days, lead_time)
    offset = (as_of - s.end).days                  # days between the last observation and as_of
    fit = _fit(s, prof.demand_class, offset + horizon, settings.error_windows, lead_time, models)
    mean = np.maximum(fit.mean[offset:], 0.0)
    rng = np.random.default_rng(zlib.crc32("|".join(s.key).encode()))   # seeded by the key: runs repeat
    samples, demand_paths = _uncertainty(s, fit, offset, mean, rng)
    undershoot = _undershoot(s, int(own["review_period_days"]), mean, rng, demand_paths.shape[0])
    lead_time_demand = np.quantile(demand_paths + undershoot[:, None], float(own["service_level"]), axis=0)
    frame = pd.DataFrame({
        "as_of_date": as_of,
        "forecast_date": as_of + pd.to_timedelta(np.arange(1, horizon + 1), unit="D"),
        "horizon_day": np.arange(1, horizon + 1),
        "demand_class": prof.demand_class,
        "model": fit.name,
        "units_forecast": mean,
        **_intervals(samples),
        "cumulative_units_forecast": np.cumsum(mean),
        # never falls from one day to the next: demand is never negative
        "lead_time_demand_at_service_level": np.maximum.accumulate(np.maximum(lead_time_demand, 0.0)),
        **{name: own[name] for name in names(SERIES_SETTINGS)},
        "history_days": len(s.y),
        "observed_days": prof.observed_days,
        "adi": np.nan if prof.adi is None else prof.adi,
        "cv2": np.nan if prof.cv2 is None else prof.cv2,
    })
    for key_name, key_value in zip(settings.series_keys, s.key):
        frame[key_name] = key_value
    return frame


@dataclass
class _Fit:
    mean: np.ndarray                     # the forecast for each day after the series' last day
    name: str
    actual: np.ndarray | None = None     # rolling origins x days ahead: what happened (NaN past the history)
    predicted: np.ndarray | None = None  # ... and what the model forecast from that origin
    relative: bool = True                # errors as actual / forecast (Croston family) or actual - forecast (ETS)


def _fit(s: Series, demand_class: str, steps: int, windows: int, lead_time: int,
         models: Mapping[str, Callable[[], object]]) -> _Fit:
    y = s.y
    n = len(y)
    if demand_class == "no_demand":
        return _Fit(np.zeros(steps), "Zero")
    if demand_class == "new":
        return _Fit(np.full(steps, s.clean.mean()), "HistoricAverage")
    model = models[demand_class]()
    ets = hasattr(model, "forward")
    origins = range(max(MIN_CALIBRATION_FIT if ets else MIN_TRAIN, n - windows - steps), n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if ets:                                             # one fit, run forward from each origin
            model.fit(y)
            fit = _Fit(np.asarray(model.predict(steps)["mean"], dtype=float), str(model.model_["method"]),
                       relative=False)
            # the origins' forecasts come from the same ETS form fitted on the days before the first origin,
            # so no parameter has seen what it is scored on (statsforecast's cross_validation, refit=False)
            calibration = _same_form(model).fit(y[:origins.start]) if len(origins) else model
            paths = [calibration.forward(y[:o], steps)["mean"] for o in origins]
        else:                                               # Croston family: cheap, refitted per origin
            fit = _Fit(np.asarray(model.forecast(y, steps)["mean"], dtype=float),
                       getattr(model, "alias", type(model).__name__))
            paths = [model.forecast(y[:o], steps)["mean"] for o in origins]
    if len(origins) >= MIN_WINDOWS:
        fit.actual = np.full((len(origins), steps), np.nan)
        fit.predicted = np.full((len(origins), steps), np.nan)
        for i, (o, path) in enumerate(zip(origins, paths)):
            actual = y[o:o + steps]
            fit.actual[i, :len(actual)] = actual
            fit.predicted[i, :len(actual)] = np.maximum(path[:len(actual)], 0.0)
    return fit


def _uncertainty(s: Series, fit: _Fit, offset: int, mean: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(samples of each day's demand: horizon x k, paths of cumulative demand: paths x horizon)."""
    horizon = len(mean)
    if fit.actual is not None and fit.predicted is not None:
        actual = fit.actual[:, offset:offset + horizon]
        predicted = fit.predicted[:, offset:offset + horizon]
        with np.errstate(divide="ignore", invalid="ignore"):
            daily = np.where(predicted > 0, actual / predicted, np.nan) if fit.relative else \
                (actual - predicted) / _spread(predicted)
        filled = _target_filled(s, actual.shape[0], offset, horizon)
        # origins that reach the whole horizon, so that near days do not outweigh far ones in the pool
        whole = ~np.isnan(actual[:, -1])
        keep = (~np.isnan(daily) & ~filled) & (whole[:, None] if whole.sum() >= MIN_WINDOWS else True)
        pool = daily[keep]
        # NaN once an origin runs out of history
        cumulative = np.cumsum(actual - predicted, axis=1) / _spread(np.cumsum(predicted, axis=1))
        counts = (~np.isnan(cumulative)).sum(axis=0)          # origins that reach h days ahead
        if pool.size >= 2 * MIN_WINDOWS and counts[0] >= MIN_WINDOWS:
            samples = mean[:, None] * pool[None, :] if fit.relative else \
                mean[:, None] + pool[None, :] * _spread(mean)[:, None]
            # each path: the cumulative error of a random origin that reaches that far
            cumulative_mean = np.cumsum(mean)
            paths = cumulative_mean[None, :] + _draw_columns(cumulative, counts, rng) * _spread(cumulative_mean)[None, :]
            short = counts < MIN_WINDOWS
            if short.any():                                  # days beyond what enough origins reach
                paths[:, short] = _bootstrap(s, mean, rng)[1][:, short]
            return np.maximum(samples, 0.0), np.maximum(paths, 0.0)
    return _bootstrap(s, mean, rng)


def _spread(forecast: np.ndarray) -> np.ndarray:
    """The scale of a difference error: units sold are counts, whose spread grows with the square root of
    their mean, so errors seen at one level are rescaled to the forecast's (at least one unit)."""
    return np.sqrt(np.maximum(forecast, 1.0))


def _draw_columns(values: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """BOOTSTRAP_PATHS draws per column from that column's non-NaN values (the origins reaching it)."""
    order = np.argsort(np.isnan(values), axis=0, kind="stable")    # non-NaN rows first, per column
    packed = np.take_along_axis(values, order, axis=0)
    picks = (rng.random((BOOTSTRAP_PATHS, 1)) * np.maximum(counts, 1)[None, :]).astype(int)
    return np.nan_to_num(np.take_along_axis(packed, picks, axis=0))


def _target_filled(s: Series, n_origins: int, offset: int, horizon: int) -> np.ndarray:
    n = len(s.y)
    index = np.arange(n - n_origins, n)[:, None] + offset + np.arange(horizon)[None, :]
    return np.where(index < n, s.is_filled[np.minimum(index, n - 1)], False)


def _bootstrap(s: Series, mean: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Days drawn independently from the clean history, scaled to the forecast's level (a day without
    demand stays zero). (samples: horizon x paths, cumulative paths: paths x horizon)."""
    clean = s.clean
    level = clean.mean()
    draws = rng.choice(clean, size=(BOOTSTRAP_PATHS, len(mean)))
    paths = mean[None, :] * draws / level if level > 0 else np.zeros((BOOTSTRAP_PATHS, len(mean)))
    return paths.T, np.cumsum(paths, axis=1)


def _undershoot(s: Series, review_period: int, mean: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """How far below the reorder point the position is at the review that orders: a review period's demand
    from the clean history, picked in proportion to its size, times a uniform share (whole units below it),
    scaled to the forecast's level."""
    clean = s.clean
    blocks = np.convolve(clean, np.ones(review_period), mode="valid") if len(clean) >= review_period else clean
    total = blocks.sum()
    if total <= 0:
        return np.zeros(size)
    picked = rng.choice(blocks, size=size, p=blocks / total)
    level = mean[: max(review_period, 7)].mean() / clean.mean()        # a week at least: all weekdays
    return np.floor(picked * rng.random(size)) * level


def _intervals(samples: np.ndarray) -> dict[str, np.ndarray]:
    zero_mass = (samples <= 0).mean(axis=1)
    out = {}
    for level in LEVELS:
        tail = (1 - level / 100) / 2
        central = np.quantile(samples, [tail, 1 - tail], axis=1)
        one_sided = np.quantile(samples, level / 100, axis=1)
        from_zero = zero_mass >= tail
        out[f"units_lo_{level}"] = np.where(from_zero, 0.0, central[0])
        out[f"units_hi_{level}"] = np.where(from_zero, one_sided, central[1])
    return out
