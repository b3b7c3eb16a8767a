"""Frames the tests build."""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2026-01-05")   # a Monday


def history_frame(series: dict[str, np.ndarray], observed: dict[str, np.ndarray] | None = None,
                  start: pd.Timestamp = START) -> pd.DataFrame:
    """A history frame (contract.HISTORY) with one location, from arrays of daily demand."""
    frames = []
    for sku, values in series.items():
        seen = np.ones(len(values), bool) if observed is None or sku not in observed else observed[sku]
        frames.append(pd.DataFrame({
            "sku": sku, "location_id": "L1",
            "demand_date": pd.date_range(start, periods=len(values), freq="D"),
            "units_demanded": np.where(seen, values, np.nan).astype(float), "is_observed": seen,
        }))
    return pd.concat(frames, ignore_index=True)
