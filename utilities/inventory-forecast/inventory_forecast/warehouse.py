"""Read a table into pandas and replace a table with a frame, on DuckDB or PostgreSQL (libpq's PG* variables),
the connection conventions of the inventory-alerts utility."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .contract import SQL_TYPES, Column
from .settings import Settings, SettingsError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _name(*parts: str) -> str:
    for part in parts:
        if not _NAME.match(part):
            raise SettingsError(f"{part!r} is not a plain table or schema name")
    return ".".join(parts)


class Warehouse:
    def __init__(self, settings: Settings) -> None:
        self.kind = settings.warehouse
        if self.kind == "duckdb":
            import duckdb

            if not Path(settings.path).exists():
                raise SettingsError(f"no DuckDB warehouse at {settings.path} (set WAREHOUSE_PATH; run the sync first)")
            self.name = settings.path
            self._con = duckdb.connect(settings.path)
        else:
            try:
                import psycopg
            except ImportError:
                raise SettingsError("PostgreSQL needs psycopg: pip install 'inventory-forecast[postgres]'") from None
            try:
                self._con = psycopg.connect("", connect_timeout=15)
            except psycopg.OperationalError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise SettingsError(f"cannot reach PostgreSQL (PG* variables): {first}") from None
            info = self._con.info
            self.name = f"postgresql://{info.host}:{info.port}/{info.dbname}"

    def has_table(self, schema: str, table: str) -> bool:
        sql = ("select count(*) from information_schema.tables where lower(table_schema) = lower(?) "
               "and lower(table_name) = lower(?)")
        cursor = self._con.cursor()
        cursor.execute(sql if self.kind == "duckdb" else sql.replace("?", "%s"), (schema, table))
        found = cursor.fetchone()[0] > 0
        if self.kind == "postgres":
            self._con.rollback()
        return found

    def read(self, schema: str, table: str) -> pd.DataFrame:
        if not self.has_table(schema, table):
            raise SettingsError(f"no table {schema}.{table} in {self.name}")
        sql = f"select * from {_name(schema, table)}"
        if self.kind == "duckdb":
            frame = self._con.execute(sql).df()
        else:
            with self._con.cursor() as cursor:
                cursor.execute(sql)
                frame = pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])
            self._con.rollback()
        frame.columns = [str(c).lower() for c in frame.columns]
        return frame

    def replace(self, schema: str, table: str, frame: pd.DataFrame, keys: Sequence[str],
                columns: Sequence[Column]) -> None:
        """Drop and re-create schema.table with the contract's types and the frame's rows, in one transaction."""
        target = _name(schema, table)
        typed = [(k, "text") for k in keys] + [(name, kind) for name, kind, _ in columns]
        ddl = ", ".join(f"{_name(name)} {SQL_TYPES[kind]}" for name, kind in typed)
        if self.kind == "duckdb":
            self._con.execute("begin")
            try:
                self._con.execute(f"create schema if not exists {_name(schema)}")
                self._con.execute(f"drop table if exists {target}")
                self._con.execute(f"create table {target} ({ddl})")
                self._con.register("forecast_frame", frame)
                self._con.execute(f"insert into {target} select {', '.join(n for n, _ in typed)} from forecast_frame")
                self._con.unregister("forecast_frame")
                self._con.execute("commit")
            except Exception:
                self._con.execute("rollback")
                raise
            return
        with self._con.transaction(), self._con.cursor() as cursor:
            cursor.execute(f"create schema if not exists {_name(schema)}")
            cursor.execute(f"drop table if exists {target}")
            cursor.execute(f"create table {target} ({ddl})")
            names = [n for n, _ in typed]
            with cursor.copy(f"copy {target} ({', '.join(names)}) from stdin") as copy:
                for row in frame[names].itertuples(index=False):
                    copy.write_row([_plain(v) for v in row])

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _plain(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value
