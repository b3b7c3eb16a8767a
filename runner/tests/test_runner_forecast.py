"""`inventory-sync --forecast`: the daily step builds only the forecast's dbt models (tag forecast) through the
forecast plugin of the warehouse, on PostgreSQL then runs the inventory-forecast utility, then the alerts; the
every-minute pass never names them; a failed history build does not run the utility. The stand-in meltano of
test_runner.py plays the blocks."""

from __future__ import annotations

import json

from test_runner import blocks_of, calls, sync


def test_the_forecast_step_on_duckdb_builds_the_tagged_models_then_the_alerts(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, "--forecast")
    assert proc.returncode == 0, proc.stderr
    assert [blocks_of(c) for c in calls(tmp_path)] == [["dbt-duckdb-forecast:build"], ["inventory-alerts"]]
    assert " inventory-sync: forecast rebuilt" in proc.stderr
    assert proc.stderr.splitlines()[-1].endswith("all ok: forecast build ok; alerts ok")
    status = json.loads((tmp_path / "status.json").read_text())
    assert [s["name"] for s in status["steps"]] == ["forecast build", "alerts"]
    assert status["sources"] == []  # no extractor runs in this step


def test_the_forecast_step_on_postgres_runs_the_utility_after_the_history(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, "--forecast", "--warehouse", "postgres")
    assert proc.returncode == 0, proc.stderr
    assert [blocks_of(c) for c in calls(tmp_path)] == [
        ["warehouse-check:postgres", "dbt-postgres-forecast:build", "inventory-forecast:run"], ["inventory-alerts"]]
    assert "--environment=postgres" in calls(tmp_path)[0]["args"]


def test_a_failed_history_build_does_not_run_the_utility_and_fails_the_step(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, "--forecast", "--warehouse", "postgres",
                fail={"dbt-postgres-forecast:build": "Failure in model fct_demand_history"})
    assert proc.returncode == 1
    last = proc.stderr.splitlines()[-1]
    assert "forecast build FAILED: Failure in model fct_demand_history" in last
    assert "forecast not run: the demand history was not rebuilt" in last
    assert blocks_of(calls(tmp_path)[-1]) == ["inventory-alerts"]  # the alerts still run
    assert "forecast rebuilt" not in proc.stderr


def test_the_every_minute_pass_never_builds_the_forecast_and_the_flags_do_not_mix(tmp_path, fake) -> None:
    assert sync(tmp_path, fake).returncode == 0
    assert not [w for c in calls(tmp_path) for w in blocks_of(c) if "forecast" in w]
    mixed = sync(tmp_path, fake, "--forecast", "--push")
    assert mixed.returncode == 2 and "--forecast is a step of its own" in mixed.stderr
