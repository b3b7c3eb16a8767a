"""Snowflake end to end on the emulator: sandbox store -> tap -> target-snowflake -> dbt-snowflake.

The loader and dbt are the ones a user installs (`meltano install`), running the user's jobs
(`inventory-sync --warehouse snowflake`). Only the server is not Snowflake:
fakesnow in server mode plus tests/support/snowflake/server.py, which emulates the user stage load path
target-snowflake uses (PUT to `@~`, JSON file format, COPY/MERGE from the stage, REMOVE). Connections reach it
through tests/support/snowflake/sitecustomize (host/port/protocol only). docs/warehouses.md lists exactly
what is emulated.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, STORE_ITEMS, needs_module, needs, run_dbt_unit_tests, run_sync
from support.mart import offline_tap_env, sandboxes, tap_env
from support.scenario import sync_then_reconcile
from support.snowflake import emulator as snowflake_emulator

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

WAREHOUSE = ("--warehouse", "snowflake")  # environment snowflake


@pytest.fixture(scope="module")
def emulator():
    reason = snowflake_emulator.missing_plugins() or snowflake_emulator.ensure_venv()
    needs(reason or "", available=reason is None)
    with snowflake_emulator.emulator(database="INVENTORY") as running:
        yield running


def test_sync_then_reconcile_equals_ground_truth(meltano_env, emulator) -> None:
    with sandboxes(items=STORE_ITEMS, seed=13) as stores:
        env = {**tap_env(stores, meltano_env), **emulator.env()}

        def run(*args: str) -> None:
            run_sync(env, *WAREHOUSE, *args)
            # every batch went PUT -> MERGE -> REMOVE: nothing left in the stage, one raw row per key
            assert emulator.rows("list @FAKESNOW_SHIM.PUBLIC.USER_STAGE") == [], "staged files were not removed"
            raw = emulator.rows("select count(*) as n, count(distinct store_id || '|' || location_id || '|' || "
                                "inventory_item_id) as k from raw_shopify.inventory_levels")
            assert raw[0]["n"] == raw[0]["k"], "MERGE left duplicate keys in the raw table"

        sync_then_reconcile(run, emulator.rows, stores, STORE_ITEMS, warehouse_only=True,
                            fold_moves_into_reconcile=True)
        run_dbt_unit_tests(env, "snowflake")  # our SQL on this adapter (every build leaves them out)


# ------------------------------------------------------------------------------- incremental strategies
# The mart is tables and views today (incremental only once a build is slow). When a model turns
# incremental, these are the dbt-snowflake strategies proven to re-run correctly on the emulator too. `merge`
# (dbt-snowflake's default) works on Snowflake but not on fakesnow 0.12.1 ("Ambiguous reference to column
# name" in dbt's MERGE ... UPDATE SET), so models here use `delete+insert` (docs/warehouses.md).
STRATEGIES = {
    "delete+insert": "unique_key='id'",
    "append": "",
    "insert_overwrite": "",
}


def _dbt_snowflake(env: dict[str, str], project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    dbt = ROOT / ".meltano/utilities/dbt-snowflake/venv/bin/dbt"
    return subprocess.run(
        [str(dbt), *args, "--project-dir", str(project), "--profiles-dir", str(ROOT / "transform/profiles/snowflake")],
        cwd=project, env={**env, "DBT_TARGET": "snowflake", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, check=False,
    )


def test_incremental_strategies_rerun(meltano_env, emulator, tmp_path) -> None:
    project = tmp_path / "incremental_probe"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: incremental_probe\nversion: '1.0.0'\nprofile: inventory\n")
    for strategy, key in STRATEGIES.items():
        name = "inc_" + strategy.replace("+", "_")
        options = f"materialized='incremental', incremental_strategy='{strategy}'" + (f", {key}" if key else "")
        (project / "models" / f"{name}.sql").write_text(
            f"{{{{ config({options}) }}}}\n"
            "select id, val, updated_at from probe.source_rows\n"
            "{% if is_incremental() and config.get('incremental_strategy') != 'insert_overwrite' %}\n"
            "where updated_at > (select max(updated_at) from {{ this }})\n{% endif %}\n")
    emulator.rows("create schema if not exists probe")
    emulator.rows("create or replace table probe.source_rows (id integer, val varchar, updated_at integer)")
    emulator.rows("insert into probe.source_rows values (1, 'a', 1), (2, 'b', 1), (3, 'c', 1)")
    env = {**meltano_env, **emulator.env()}
    with snowflake_emulator.redirect_installed():
        first = _dbt_snowflake(env, project, "build")
        assert first.returncode == 0, first.stdout[-4000:]
        emulator.rows("update probe.source_rows set val = 'B', updated_at = 2 where id = 2")
        emulator.rows("insert into probe.source_rows values (4, 'd', 2)")
        second = _dbt_snowflake(env, project, "build")
        assert second.returncode == 0, second.stdout[-4000:]

    source = sorted((r["id"], r["val"]) for r in emulator.rows("select id, val from probe.source_rows"))
    for strategy in STRATEGIES:
        rows = sorted((r["id"], r["val"]) for r in emulator.rows(
            f"select id, val from analytics.inc_{strategy.replace('+', '_')}"))
        if strategy == "append":  # appends the changed row again: the old version stays
            assert rows == sorted([*source, (2, "b")]), (strategy, rows)
        else:
            assert rows == source, (strategy, rows)


def test_unreachable_snowflake_is_one_line(meltano_env, emulator) -> None:
    """warehouse-check:snowflake, the jobs' first task, on an account that does not answer."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    env = {**offline_tap_env(meltano_env), **emulator.env(), "INVENTORY_SNOWFLAKE_EMULATOR_URL": f"http://127.0.0.1:{closed}",
           "WAREHOUSE_CHECK_TIMEOUT": "5"}
    with snowflake_emulator.redirect_installed():
        proc = run_sync(env, *WAREHOUSE, timeout=180, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output[-3000:]
    last = output.strip().splitlines()[-1]
    assert "the snowflake warehouse is not usable, nothing was loaded: warehouse-check: cannot reach Snowflake account" \
        in last, output[-3000:]
    assert "Running catalog discovery" not in output
