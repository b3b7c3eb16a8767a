"""Settings: the method's (horizon, service level, lead time, ...) and the CLI's warehouse, from environment
variables named INVENTORY_FORECAST_<SETTING> (Meltano exports a utility's settings under these names)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "INVENTORY_FORECAST_"
GAP_POLICIES = ("carry", "missing")


class SettingsError(ValueError):
    """A setting or an input that cannot be used; the message is the one line to print."""


@dataclass(frozen=True)
class Settings:
    # the method
    series_keys: tuple[str, ...] = ("sku", "location_id")
    horizon_days: int = 28              # days forecast (at least the lead time)
    service_level: float = 0.95         # target cycle-service level (per series: column service_level)
    lead_time_days: int = 7             # per series: column lead_time_days
    review_period_days: int = 1         # per series: column review_period_days
    order_cover_days: int = 14          # per series: column order_cover_days
    history_window_days: int = 365      # only the last N days of each series are used
    min_history_days: int = 28          # fewer observed days: class `new` (mean of the days seen)
    error_windows: int = 180            # rolling origins whose errors shape the intervals and the safety stock
    gap_policy: str = "carry"           # carry | missing (README: "Days without an observation")
    # the CLI's warehouse
    warehouse: str = "duckdb"           # duckdb | postgres (libpq's PG* variables)
    path: str = "output/warehouse.duckdb"
    schema: str = "analytics"           # where the history and positions are read
    history_table: str = "fct_demand_history"
    positions_table: str = ""           # optional: keys, available_quantity[, on_order_quantity]
    series_settings_table: str = ""     # optional: keys + any of service_level, lead_time_days, ...
    output_schema: str = "analytics"
    forecast_table: str = "fct_demand_forecast"
    reorder_table: str = "fct_reorder_suggestions"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then INVENTORY_FORECAST_* variables (and WAREHOUSE_PATH), then `overrides` (CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            raw = env.get(PREFIX + field.name.upper())
            if field.name == "path" and not raw:
                raw = env.get("WAREHOUSE_PATH")
            if raw:
                values[field.name] = _parse(field.name, field.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if not self.series_keys:
            raise SettingsError(f"{PREFIX}SERIES_KEYS names no column")
        if not 0.5 <= self.service_level < 1:
            raise SettingsError(f"{PREFIX}SERVICE_LEVEL must be at least 0.5 and below 1, got {self.service_level}")
        for name in ("horizon_days", "lead_time_days", "review_period_days", "min_history_days", "error_windows"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{PREFIX}{name.upper()} must be at least 1, got {getattr(self, name)}")
        if self.order_cover_days < 0:
            raise SettingsError(f"{PREFIX}ORDER_COVER_DAYS must not be negative, got {self.order_cover_days}")
        if self.history_window_days < self.min_history_days:
            raise SettingsError(f"{PREFIX}HISTORY_WINDOW_DAYS must be at least MIN_HISTORY_DAYS")
        if self.gap_policy not in GAP_POLICIES:
            raise SettingsError(f"{PREFIX}GAP_POLICY must be one of {', '.join(GAP_POLICIES)}, got {self.gap_policy!r}")
        if self.warehouse not in {"duckdb", "postgres"}:
            raise SettingsError(f"{PREFIX}WAREHOUSE must be duckdb or postgres, got {self.warehouse!r}")


def _parse(name: str, kind: object, raw: str) -> object:
    kind = str(kind)
    try:
        if "tuple" in kind:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name.upper()} must be a number, got {raw!r}") from None
    return raw.strip().lower() if name in {"warehouse", "gap_policy"} else raw
