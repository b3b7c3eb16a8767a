"""`inventory-forecast run` on DuckDB and PostgreSQL: reads the history, writes both tables; refuses bad input
with one line and writes nothing."""

from __future__ import annotations

import os
import uuid

import duckdb
import numpy as np
import pandas as pd
import pytest
from singer_inventory_kit.testing import needs, needs_module
from forecast_helpers import history_frame

from inventory_forecast.cli import main
from inventory_forecast.contract import FORECAST, REORDER, names


def _inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(1)
    history = history_frame({"A-1": rng.poisson(4, 90).astype(float),
                             "B-2": ((rng.random(90) < 0.3) * rng.integers(1, 4, 90)).astype(float)})
    positions = pd.DataFrame({"sku": ["A-1", "B-2"], "location_id": ["L1", "L1"], "available_quantity": [20.0, 40.0]})
    return history, positions


def _env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in [n for n in os.environ if n.startswith("INVENTORY_FORECAST_")]:
        monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_run_on_duckdb(tmp_path, monkeypatch, capsys):
    path = tmp_path / "warehouse.duckdb"
    history, positions = _inputs()
    with duckdb.connect(str(path)) as con:
        con.execute("create schema analytics")
        con.execute("create table analytics.fct_demand_history as select * from history")
        con.execute("create table analytics.stock_positions as select * from positions")
    _env(monkeypatch, WAREHOUSE_PATH=str(path))
    assert main(["run", "--positions-table", "stock_positions"]) == 0
    with duckdb.connect(str(path), read_only=True) as con:
        forecast = con.execute("select * from analytics.fct_demand_forecast").df()
        reorder = con.execute("select * from analytics.fct_reorder_suggestions order by sku").df()
        types = dict(con.execute("select column_name, data_type from information_schema.columns "
                                 "where table_name = 'fct_reorder_suggestions'").fetchall())
    assert list(forecast.columns) == ["sku", "location_id", *names(FORECAST)]
    assert list(reorder.columns) == ["sku", "location_id", *names(REORDER)]
    assert len(forecast) == 2 * 28 and reorder["sku"].tolist() == ["A-1", "B-2"]
    assert types["reorder_date"] == "DATE" and types["reorder_point"] == "BIGINT"
    assert reorder.loc[0, "available_quantity"] == 20.0 and reorder.loc[0, "is_at_or_below_reorder_point"]
    assert "forecast: 2 series" in capsys.readouterr().err


def test_bad_input_is_refused_with_one_line_and_nothing_written(tmp_path, monkeypatch, capsys):
    path = tmp_path / "warehouse.duckdb"
    history, _ = _inputs()
    history.loc[3, "units_demanded"] = -5.0
    with duckdb.connect(str(path)) as con:
        con.execute("create schema analytics")
        con.execute("create table analytics.fct_demand_history as select * from history")
    _env(monkeypatch, WAREHOUSE_PATH=str(path))
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["run: the demand history has negative units_demanded (a restock or a push is not demand)"]
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
    assert tables == {"fct_demand_history"}
    _env(monkeypatch, WAREHOUSE_PATH=str(tmp_path / "absent.duckdb"))
    assert main(["run"]) == 2
    _env(monkeypatch, WAREHOUSE_PATH=str(path), INVENTORY_FORECAST_SERVICE_LEVEL="1.5")
    assert main(["run"]) == 2
    assert "SERVICE_LEVEL must be" in capsys.readouterr().err


def _postgres():
    psycopg = needs_module("psycopg", "the PostgreSQL path needs it (inventory-forecast[postgres])")
    try:
        return psycopg.connect("", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        needs(f"a PostgreSQL server (PG* variables): {str(exc).strip()}")


def test_run_on_postgres(monkeypatch):
    monkeypatch.setenv("PGHOST", os.environ.get("PGHOST", "127.0.0.1"))
    monkeypatch.setenv("PGUSER", os.environ.get("PGUSER", "postgres"))
    monkeypatch.setenv("PGDATABASE", os.environ.get("PGDATABASE", "postgres"))
    con = _postgres()
    schema = f"forecast_test_{uuid.uuid4().hex[:8]}"
    history, positions = _inputs()
    try:
        with con.cursor() as cur:
            cur.execute(f"create schema {schema}")
            cur.execute(f"create table {schema}.fct_demand_history (sku text, location_id text, demand_date date, "
                        "units_demanded double precision, is_observed boolean)")
            with cur.copy(f"copy {schema}.fct_demand_history from stdin") as copy:
                for row in history.itertuples(index=False):
                    copy.write_row([row.sku, row.location_id, row.demand_date.date(),
                                    None if pd.isna(row.units_demanded) else row.units_demanded, row.is_observed])
            cur.execute(f"create table {schema}.positions (sku text, location_id text, available_quantity numeric)")
            cur.executemany(f"insert into {schema}.positions values (%s, %s, %s)",
                            list(positions.itertuples(index=False, name=None)))
        _env(monkeypatch, INVENTORY_FORECAST_WAREHOUSE="postgres", INVENTORY_FORECAST_SCHEMA=schema,
             INVENTORY_FORECAST_OUTPUT_SCHEMA=schema, INVENTORY_FORECAST_POSITIONS_TABLE="positions")
        assert main(["run"]) == 0
        with con.cursor() as cur:
            cur.execute(f"select sku, reorder_point, suggested_order_quantity, reorder_date "
                        f"from {schema}.fct_reorder_suggestions order by sku")
            rows = cur.fetchall()
            cur.execute(f"select count(*), min(forecast_date), max(horizon_day) from {schema}.fct_demand_forecast")
            count, first_day, last = cur.fetchone()
        assert [r[0] for r in rows] == ["A-1", "B-2"] and all(isinstance(r[1], int) and r[1] > 0 for r in rows)
        assert count == 56 and last == 28 and first_day == history["demand_date"].max().date() + pd.Timedelta(days=1)
    finally:
        with con.cursor() as cur:
            cur.execute(f"drop schema if exists {schema} cascade")
        con.close()
