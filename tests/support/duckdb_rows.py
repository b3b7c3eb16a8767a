"""Read the DuckDB warehouse the way tests/support/mart.py expects: `rows(sql) -> list[dict]`."""

from __future__ import annotations

import duckdb

from .mart import Rows


def duckdb_rows(warehouse: str) -> Rows:
    """A `rows(sql)` function over the DuckDB file, opened read-only for each query."""

    def rows(sql: str) -> list[dict]:
        with duckdb.connect(warehouse, read_only=True) as con:
            cursor = con.execute(sql)
            names = [d[0].lower() for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    return rows
