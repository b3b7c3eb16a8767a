"""The forecast in the pipeline (docs/forecasting.md), on a small seeded shop (tests/support/forecast_scenario.py):
70 days of level versions, sync runs and push writes loaded as the every-minute pass would have left them.

DuckDB: `meltano invoke dbt-duckdb-forecast:build` builds fct_demand_history, the forecast and the reorder
suggestions (dbt Python models) from them; the history must equal the simulated sales day by day (pushes and
restocks excluded, the gap's sales on the day after it), and the suggestions must order for the SKU that ran short
and not for the one just restocked. The every-minute dbt never reaches these models. PostgreSQL: the same history
from dbt, then `inventory-forecast:run` (the utility) writes the same reorder points as DuckDB's Python models.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, needs, run_meltano
from support import forecast_scenario as scenario

DBT_DUCKDB = ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt"
DBT_POSTGRES = ROOT / ".meltano" / "utilities" / "dbt-postgres" / "venv" / "bin" / "dbt"
# what the every-minute build leaves for the forecast to read (the snapshot itself is loaded by the test)
UPSTREAM = "stg_shopify__sync_runs stg_push__push_log int_inventory_level_changes int_inventory_level_moves"
KEYS = ("store_id", "location_id", "sku")


@pytest.fixture(scope="module")
def shop() -> scenario.Scenario:
    return scenario.build()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of transform/ whose seed sets a per-SKU lead time (the repo's seed has no rows)."""
    copy = tmp_path_factory.mktemp("forecast") / "transform"
    shutil.copytree(ROOT / "transform", copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    lines = ["sku,service_level,lead_time_days,review_period_days,order_cover_days"]
    lines += [f"{sku.lower()},,{days},," for sku, days in scenario.LEAD_TIME_OVERRIDE.items()]
    (copy / "seeds" / "forecast_sku_settings.csv").write_text("\n".join(lines) + "\n")
    return copy


def base_env(project: Path, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "INVENTORY_", "DBT_", "PG"))}
    env.update(MELTANO_SEND_ANONYMOUS_USAGE_STATS="false", MELTANO_DATABASE_URI=f"sqlite:///{work / 'meltano.db'}",
               DBT_PROJECT_DIR=str(project), INVENTORY_CHANNELS="shopify",
               # an inherited plugin's settings read <its name>_<setting>, not the parent's custom variable
               DBT_DUCKDB_FORECAST_PROJECT_DIR=str(project), DBT_POSTGRES_FORECAST_PROJECT_DIR=str(project),
               INVENTORY_FORECAST_AS_OF=f"{scenario.AS_OF.isoformat()} 06:00:00",
               DBT_LOG_PATH=str(work / "logs"), DBT_TARGET_PATH=str(work / "target"))
    return env


def dbt(binary: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    needs(f"{binary} is missing: run scripts/setup.sh", available=binary.exists())
    proc = subprocess.run([str(binary), *args], cwd=env["DBT_PROJECT_DIR"], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc


@pytest.fixture(scope="module")
def duckdb_results(shop, project, tmp_path_factory) -> dict[str, list[dict]]:
    work = tmp_path_factory.mktemp("duckdb")
    path = work / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        scenario.load(shop, con.execute, con.executemany)
    env = base_env(project, work)
    env.update(WAREHOUSE_PATH=str(path), DBT_PROFILES_DIR=str(project / "profiles" / "duckdb"))
    # the every-minute build: the views the history reads; the forecast's models are not enabled there
    minute = dbt(DBT_DUCKDB, env, "run", "--select", *UPSTREAM.split(), "fct_demand_history")
    assert "'fct_demand_history' does not match any enabled nodes" in minute.stdout
    needs("dbt-duckdb-forecast is not installed: run scripts/setup.sh",
          available=(ROOT / ".meltano" / "utilities" / "dbt-duckdb-forecast" / "venv" / "bin" / "dbt").exists())
    run_meltano(env, "invoke", "dbt-duckdb-forecast:build", timeout=600)
    with duckdb.connect(str(path), read_only=True) as con:
        return {"path": path} | {table: [dict(zip([d[0] for d in cur.description], row)) for row in cur.fetchall()]
                for table in ("fct_demand_history", "fct_demand_forecast", "fct_reorder_suggestions")
                for cur in [con.execute(f"select * from analytics.{table}")]}


def check_history(shop: scenario.Scenario, rows: list[dict]) -> None:
    expected = scenario.expected_history(shop)
    got = {(r["store_id"], r["location_id"], r["sku"], _date(r["demand_date"])):
           (None if not r["is_observed"] else float(r["units_demanded"])) for r in rows}
    assert got == expected
    gap_day = scenario.START + dt.timedelta(days=scenario.GAP.start)
    assert got[("s1", "L1", "A", gap_day)] is None and got[("s2", "L9", "A", gap_day)] is not None
    # what our pushes moved and the restocks are there, apart from the demand
    for column, truth in (("units_pushed", shop.pushed), ("units_restocked", shop.restocked)):
        total = sum(float(r[column]) for r in rows)
        assert total == sum(v for k, v in truth.items() if k[3] < scenario.AS_OF) != 0


def check_suggestions(shop: scenario.Scenario, forecast: list[dict], reorder: list[dict]) -> dict[tuple, dict]:
    by_key = {tuple(r[k] for k in KEYS): r for r in reorder}
    assert set(by_key) == set(scenario.RATES)
    horizon = {}
    for r in forecast:
        horizon.setdefault(tuple(r[k] for k in KEYS), []).append(int(r["horizon_day"]))
    assert all(sorted(days) == list(range(1, 29)) for days in horizon.values())
    for key, r in by_key.items():
        rate = scenario.RATES[key]
        lead = scenario.LEAD_TIME_OVERRIDE.get(key[2], 7)
        assert int(r["lead_time_days"]) == lead
        if shop.final[key] > 0:  # a SKU that ran out sold less than its rate at the end (censored demand)
            assert abs(float(r["mean_daily_demand"]) - rate) <= 0.35 * rate, (key, r["mean_daily_demand"])
        assert float(r["safety_stock"]) >= 0 and int(r["reorder_point"]) >= float(r["safety_stock"])
        assert int(r["reorder_point"]) >= math.floor(float(r["lead_time_demand"]))
        assert float(r["available_quantity"]) == shop.final[key]
        if r["is_at_or_below_reorder_point"]:
            assert int(r["suggested_order_quantity"]) == math.ceil(int(r["order_up_to_level"])
                                                                   - float(r["inventory_position"])) > 0
        else:
            assert int(r["suggested_order_quantity"]) == 0
    assert by_key[("s1", "L1", "A")]["is_at_or_below_reorder_point"]      # ran short: order
    assert not by_key[("s1", "L2", "C")]["is_at_or_below_reorder_point"]  # 365 units after the delivery
    # the per-SKU lead time (14 days for C) is in its reorder point: more than a week of its demand
    assert int(by_key[("s1", "L2", "C")]["reorder_point"]) > 7 * scenario.RATES[("s1", "L2", "C")]
    return by_key


def test_duckdb_history_forecast_and_reorder_from_the_observed_movements(shop, duckdb_results) -> None:
    check_history(shop, duckdb_results["fct_demand_history"])
    check_suggestions(shop, duckdb_results["fct_demand_forecast"], duckdb_results["fct_reorder_suggestions"])


def test_postgres_history_by_dbt_and_forecast_by_the_utility(shop, project, duckdb_results, database,
                                                             tmp_path) -> None:
    import psycopg

    with psycopg.connect(**database.params(), autocommit=True) as con:
        scenario.load(shop, con.execute, lambda sql, rows: con.cursor().executemany(sql, rows), placeholder="%s")
    env = base_env(project, tmp_path)
    env.update(database.env(), DBT_PROFILES_DIR=str(project / "profiles" / "postgres"))
    env["MELTANO_DATABASE_URI"] = f"sqlite:///{tmp_path / 'meltano.db'}"
    dbt(DBT_POSTGRES, env, "run", "--select", *UPSTREAM.split())
    run_meltano(env, "--environment=postgres", "run", "dbt-postgres-forecast:build", "inventory-forecast:run",
                timeout=600)
    check_history(shop, database.rows("select * from analytics.fct_demand_history"))
    forecast = database.rows("select * from analytics.fct_demand_forecast")
    reorder = check_suggestions(shop, forecast, database.rows("select * from analytics.fct_reorder_suggestions"))
    # the same code on the same history: the same reorder points as DuckDB's Python models
    on_duckdb = {tuple(r[k] for k in KEYS): r for r in duckdb_results["fct_reorder_suggestions"]}
    for key, r in reorder.items():
        assert (int(r["reorder_point"]), r["model"]) == (int(on_duckdb[key]["reorder_point"]), on_duckdb[key]["model"])


def _date(value: object) -> dt.date:
    if isinstance(value, str):  # the emulator's rows() gives ISO strings
        return dt.date.fromisoformat(value[:10])
    return value.date() if isinstance(value, dt.datetime) else value


def test_the_reorder_alert_and_the_report_panel_read_the_suggestions(duckdb_results, tmp_path) -> None:
    """inventory-alerts raises the series at or below its reorder point (the position read live from the
    positions view) and resolves it once a delivery lifts the position; the health report plots the nearest."""
    from inventory_alerts import conditions
    from inventory_alerts.report import Report
    from inventory_alerts.settings import Settings
    from inventory_alerts.warehouse import Warehouse

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(duckdb_results["path"], path)
    settings = Settings.from_env({"INVENTORY_ALERTS_WAREHOUSE": "duckdb", "INVENTORY_ALERTS_PATH": str(path)})
    due = [tuple(r[k] for k in KEYS) for r in duckdb_results["fct_reorder_suggestions"]
           if r["is_at_or_below_reorder_point"]]
    with Warehouse(settings) as wh:
        found = conditions.reorder_points(wh, settings)
        assert sorted(c.key for c in found) == sorted(f"reorder|shopify|{s}|{loc}|{sku}" for s, loc, sku in due)
        assert "reorder|shopify|s1|L1|A" in {c.key for c in found}
        alert = next(c for c in found if c.key == "reorder|shopify|s1|L1|A")
        assert alert.summary.startswith("A at shopify/s1 location L1: position 0 is at or below the reorder point")
        panel = Report(wh, settings, today=scenario.AS_OF).reorder()
        assert panel.figure.startswith("<svg") and {"SKU": "A"}.items() <= panel.table[0].items()
        # a delivery of 500 units: the live position is above the reorder point, the alert resolves
        wh.execute("update analytics.snap_inventory_levels set available = available + 500 "
                   "where dbt_valid_to is null and store_id = 's1' and sku = 'A'")
        assert "reorder|shopify|s1|L1|A" not in {c.key for c in conditions.reorder_points(wh, settings)}


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def test_snowflake_emulator_builds_the_history_and_not_the_python_models(shop, project, tmp_path) -> None:
    """On the Snowflake emulator (fakesnow) the same SQL makes the same history; the Python models stay disabled
    without a staged package (INVENTORY_FORECAST_SNOWFLAKE_IMPORTS), since the emulator cannot run them."""
    from support.snowflake import emulator as snowflake_emulator

    reason = snowflake_emulator.missing_plugins() or snowflake_emulator.ensure_venv()
    needs(reason or "", available=reason is None)
    with snowflake_emulator.emulator(database="INVENTORY") as emulator:
        for table, (ddl, attr) in scenario.TABLES.items():
            emulator.rows(f"create schema if not exists {table.split('.')[0]}")
            keyword_safe = ddl.replace(" at timestamp", ' "AT" timestamp')
            emulator.rows(f"create table {table} ({keyword_safe})")
            columns = [c.split()[0] for c in ddl.split(", ")]
            values = ", ".join("(" + ", ".join(_literal(r.get(c)) for c in columns) + ")" for r in getattr(shop, attr))
            quoted = ['"AT"' if c == "at" else c for c in columns]  # AT is a keyword there (stg_push__push_log)
            emulator.rows(f"insert into {table} ({', '.join(quoted)}) values {values}")
        env = base_env(project, tmp_path)
        env.update(emulator.env(), DBT_TARGET="snowflake", INVENTORY_BUILD_FORECAST="true",
                   DBT_PROFILES_DIR=str(project / "profiles" / "snowflake"))
        binary = ROOT / ".meltano" / "utilities" / "dbt-snowflake" / "venv" / "bin" / "dbt"
        built = dbt(binary, env, "build", "--exclude-resource-type", "test",  # the data tests run on DuckDB
                    "--select", *UPSTREAM.split(), "tag:forecast")
        assert "fct_demand_forecast" not in built.stdout  # disabled: not selected, not run
        check_history(shop, emulator.rows("select * from analytics.fct_demand_history"))
        positions = emulator.rows("select * from analytics.int_forecast_stock_positions")
        assert {(r["store_id"], r["location_id"], r["sku"]): r["available_quantity"] for r in positions} == shop.final
