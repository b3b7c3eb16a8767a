"""One small interface over DuckDB, PostgreSQL and Snowflake: ``rows``, ``execute``, ``executemany``, ``has_table``.

SQL is written once with ``?`` placeholders (PostgreSQL gets ``%s``; Snowflake runs with ``qmark``). Connections
follow the loaders': DuckDB the file in ``WAREHOUSE_PATH``, PostgreSQL libpq's ``PG*`` variables, Snowflake the
``SNOWFLAKE_*`` variables. Column names come back in lower case (Snowflake folds unquoted names to upper case).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .settings import Settings, SettingsError


class Warehouse:
    def __init__(self, settings: Settings) -> None:
        self.kind = settings.warehouse
        if self.kind == "duckdb":
            import duckdb

            if not Path(settings.path).exists():
                raise SettingsError(f"no DuckDB warehouse at {settings.path} (set WAREHOUSE_PATH; run the sync first)")
            self.name = settings.path
            self._con = duckdb.connect(settings.path)
        elif self.kind == "postgres":
            try:
                import psycopg
            except ImportError:
                raise SettingsError("PostgreSQL needs psycopg: pip install 'inventory-push[postgres]'") from None
            try:
                self._con = psycopg.connect("", autocommit=True, connect_timeout=int(settings.timeout_seconds))
            except psycopg.OperationalError as exc:
                raise SettingsError(f"cannot reach PostgreSQL (PG* variables): {_first_line(exc)}") from None
            info = self._con.info
            self.name = f"postgresql://{info.host}:{info.port}/{info.dbname}"
        else:
            try:
                import snowflake.connector
            except ImportError:
                raise SettingsError("Snowflake needs its connector: pip install 'inventory-push[snowflake]'") from None
            snowflake.connector.paramstyle = "qmark"
            config = {key: os.environ.get(f"SNOWFLAKE_{key.upper()}") for key in
                      ("account", "user", "password", "database", "warehouse", "role")}
            config = {k: v for k, v in config.items() if v}
            if not config.get("account") or not config.get("database"):
                raise SettingsError("Snowflake needs SNOWFLAKE_ACCOUNT and SNOWFLAKE_DATABASE (the loader's)")
            try:
                self._con = snowflake.connector.connect(**config, login_timeout=int(settings.timeout_seconds),
                                                        autocommit=True)
            except snowflake.connector.errors.Error as exc:
                raise SettingsError(f"cannot reach Snowflake account {config['account']}: {_first_line(exc)}") from None
            self.name = f"snowflake://{config['account']}/{config['database']}"

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.kind == "postgres" else sql

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cursor = self._con.cursor()
        cursor.execute(self._sql(sql), params)
        names = [d[0].lower() for d in cursor.description]
        return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._con.cursor().execute(self._sql(sql), params)

    def executemany(self, sql: str, params: list[tuple[Any, ...]]) -> None:
        if params:
            self._con.cursor().executemany(self._sql(sql), params)

    def columns(self, schema: str, table: str) -> list[str]:
        """The table's column names in lower case (empty: no such table)."""
        found = self.rows("select column_name from information_schema.columns where lower(table_schema) = ? "
                          "and lower(table_name) = ?", (schema.lower(), table.lower()))
        return [r["column_name"].lower() for r in found]

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
