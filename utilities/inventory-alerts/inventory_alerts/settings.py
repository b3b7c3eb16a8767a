"""Settings from environment variables (Meltano exports the plugin's settings under these names)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

PREFIX = "INVENTORY_ALERTS_"
ANOMALY_TYPES = ("abnormal_change", "negative_stock", "tracked_without_levels")


class SettingsError(ValueError):
    """A setting that cannot be used; the message is the one line to print."""


def _items(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    warehouse: str = "duckdb"                  # duckdb | postgres (libpq's PG* variables)
    path: str = "output/warehouse.duckdb"      # the DuckDB file (env WAREHOUSE_PATH too)
    schema: str = "analytics"                  # where dbt builds the mart
    memory_schema: str = "alerts"              # where `sent_alerts` remembers what was sent
    push_schema: str = "push"                  # inventory-push's audit (push_runs): a refused push is an alert
    freshness_results: str = "transform/target/sources.json"
    run_status: str = ""                       # inventory-sync's status of its pass: which sources are down
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: str = "starttls"                 # starttls | ssl | none
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_ca_file: str = ""                     # CA bundle to trust for a private mail server's certificate
    email_from: str = "inventory-alerts@localhost"
    email_to: tuple[str, ...] = ()
    webhook_url: str = field(default="", repr=False)
    min_discrepancy_units: int = 1
    min_excess_units: int = 1
    anomaly_types: tuple[str, ...] = ANOMALY_TYPES
    freshness_statuses: tuple[str, ...] = ("warn", "error", "runtime error")
    send_retries: int = 3
    retry_wait_seconds: float = 2.0
    timeout_seconds: float = 15.0
    max_lines: int = 30
    report_path: str = "output/health-report.html"
    stockout_days: int = 14
    accuracy_target: float = 0.99             # the report's target line and KPI colour

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        default = cls()

        def get(name: str, fallback: object) -> str:
            value = env.get(PREFIX + name.upper())
            return str(fallback) if value is None or value == "" else value

        def number(name: str, kind: type) -> int | float:
            raw = get(name, getattr(default, name))
            try:
                return kind(raw)
            except ValueError:
                raise SettingsError(f"{PREFIX}{name.upper()} must be a number, got {raw!r}") from None

        path = env.get(PREFIX + "PATH") or env.get("WAREHOUSE_PATH") or default.path
        settings = cls(
            warehouse=get("warehouse", default.warehouse).lower(),
            path=path,
            schema=get("schema", default.schema),
            memory_schema=get("memory_schema", default.memory_schema),
            push_schema=get("push_schema", env.get("INVENTORY_PUSH_AUDIT_SCHEMA") or default.push_schema),
            freshness_results=get("freshness_results", default.freshness_results),
            run_status=get("run_status", ""),
            smtp_host=get("smtp_host", ""),
            smtp_port=int(number("smtp_port", int)),
            smtp_tls=get("smtp_tls", default.smtp_tls).lower(),
            smtp_user=get("smtp_user", ""),
            smtp_password=get("smtp_password", ""),
            smtp_ca_file=get("smtp_ca_file", ""),
            email_from=get("email_from", default.email_from),
            email_to=_items(get("email_to", "")),
            webhook_url=get("webhook_url", ""),
            min_discrepancy_units=int(number("min_discrepancy_units", int)),
            min_excess_units=int(number("min_excess_units", int)),
            anomaly_types=_items(get("anomaly_types", ",".join(default.anomaly_types))),
            freshness_statuses=_items(get("freshness_statuses", ",".join(default.freshness_statuses))),
            send_retries=int(number("send_retries", int)),
            retry_wait_seconds=float(number("retry_wait_seconds", float)),
            timeout_seconds=float(number("timeout_seconds", float)),
            max_lines=int(number("max_lines", int)),
            report_path=get("report_path", default.report_path),
            stockout_days=int(number("stockout_days", int)),
            accuracy_target=float(number("accuracy_target", float)),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.warehouse not in {"duckdb", "postgres"}:
            raise SettingsError(f"{PREFIX}WAREHOUSE must be duckdb or postgres, got {self.warehouse!r}")
        if self.smtp_tls not in {"starttls", "ssl", "none"}:
            raise SettingsError(f"{PREFIX}SMTP_TLS must be starttls, ssl or none, got {self.smtp_tls!r}")
        unknown = sorted(set(self.anomaly_types) - set(ANOMALY_TYPES))
        if unknown:
            raise SettingsError(f"{PREFIX}ANOMALY_TYPES: unknown {', '.join(unknown)} (known: {', '.join(ANOMALY_TYPES)})")
        if self.smtp_host and not self.email_to:
            raise SettingsError(f"{PREFIX}SMTP_HOST is set but {PREFIX}EMAIL_TO names no recipient")
        if self.send_retries < 1:
            raise SettingsError(f"{PREFIX}SEND_RETRIES must be at least 1")
