"""One small interface over DuckDB and PostgreSQL: `rows(sql, params)`, `execute(sql, params)`, `has_table`.

SQL is written once with `?` placeholders; PostgreSQL gets them as `%s`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .settings import Settings, SettingsError


class Warehouse:
    def __init__(self, settings: Settings, read_only: bool = False) -> None:
        self.kind = settings.warehouse
        if self.kind == "duckdb":
            import duckdb

            if not Path(settings.path).exists():
                raise SettingsError(f"no DuckDB warehouse at {settings.path} (set WAREHOUSE_PATH; run the sync first)")
            self.name = settings.path
            self.label = "DuckDB warehouse"
            self._con = duckdb.connect(settings.path, read_only=read_only)
        else:
            try:
                import psycopg
            except ImportError:
                raise SettingsError("PostgreSQL needs psycopg: pip install 'inventory-alerts[postgres]'") from None
            try:
                self._con = psycopg.connect("", autocommit=True, connect_timeout=int(settings.timeout_seconds))
            except psycopg.OperationalError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise SettingsError(f"cannot reach PostgreSQL (PG* variables): {first}") from None
            info = self._con.info
            self.name = f"postgresql://{info.host}:{info.port}/{info.dbname}"
            self.label = f"PostgreSQL database {info.dbname}"

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.kind == "postgres" else sql

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cursor = self._con.cursor()
        cursor.execute(self._sql(sql), params)
        names = [d[0].lower() for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._con.cursor().execute(self._sql(sql), params)

    def executemany(self, sql: str, params: list[tuple[Any, ...]]) -> None:
        if params:
            self._con.cursor().executemany(self._sql(sql), params)

    def has_table(self, schema: str, table: str) -> bool:
        found = self.rows(
            "select count(*) as n from information_schema.tables where lower(table_schema) = ? and lower(table_name) = ?",
            (schema.lower(), table.lower()),
        )
        return found[0]["n"] > 0

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
