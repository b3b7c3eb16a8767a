"""`inventory-sync --push`: the push runs on the plan the pass just built, in the build's `meltano run` (no
start-up between the plan and its write) and before the alerts; never on a plan the build did not refresh; a
guard's refusal is not a failed pass (the alerts raise it). The stand-in meltano of test_runner.py plays the
blocks and, as Meltano does, stops at the first that fails."""

from __future__ import annotations

import json

from test_runner import blocks_of, calls, sync

REFUSAL = ("inventory-push: refused, nothing written: 612 changes planned, more than 500 "
           "(INVENTORY_PUSH_MAX_CHANGES)")


def test_the_push_runs_after_the_build_and_before_the_alerts(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, "--push")
    assert proc.returncode == 0, proc.stderr
    assert [blocks_of(c) for c in calls(tmp_path)] == [
        ["tap-shopify-inventory", "target-duckdb", "tap-bigcommerce-inventory", "target-duckdb",
         "tap-magento-inventory", "target-duckdb", "dbt-duckdb:build", "inventory-push"],
        ["dbt-duckdb:freshness", "inventory-alerts"]]
    lines = proc.stderr.splitlines()
    rebuilt = next(i for i, line in enumerate(lines) if line.endswith(" inventory-sync: mart rebuilt"))
    pushing = next(i for i, line in enumerate(lines) if " inventory-push " in line)
    assert rebuilt < pushing, "the build's line waited for the push"
    assert " inventory-sync: pushed" in proc.stderr
    assert proc.stderr.splitlines()[-1].endswith("dbt build ok; push ok; freshness ok; alerts ok")
    plain = tmp_path / "without-push"
    plain.mkdir()
    assert sync(plain, fake).returncode == 0
    assert ["inventory-push"] not in [blocks_of(c) for c in calls(plain)]


def test_a_refused_push_is_recorded_and_the_alerts_still_run(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, "--push", fail={"inventory-push": REFUSAL})
    assert proc.returncode == 0, proc.stderr  # a guard doing its job: the alert tells a person, the pass goes on
    assert blocks_of(calls(tmp_path)[-1]) == ["dbt-duckdb:freshness", "inventory-alerts"]
    steps = {s["name"]: s for s in json.loads((tmp_path / "status.json").read_text())["steps"]}
    assert steps["push"]["status"] == "refused"
    assert steps["push"]["error"] == "612 changes planned, more than 500 (INVENTORY_PUSH_MAX_CHANGES)"
    assert "push REFUSED: 612 changes planned" in proc.stderr.splitlines()[-1]


def test_a_failed_push_fails_the_pass_and_a_failed_build_is_never_pushed(tmp_path, fake) -> None:
    failed = sync(tmp_path, fake, "--push", fail={"inventory-push": "inventory-push: 2 rows ended error"})
    assert failed.returncode == 1
    assert "push FAILED: inventory-push: 2 rows ended error" in failed.stderr.splitlines()[-1]
    (tmp_path / "calls.jsonl").unlink()
    broken = sync(tmp_path, fake, "--push", fail={"dbt-duckdb:build": "Failure in model fct_inventory_push_plan"})
    assert broken.returncode == 1
    # the run stopped at the build, and no new run tried the push on its own
    assert [blocks_of(c)[-2:] for c in calls(tmp_path)] == [["dbt-duckdb:build", "inventory-push"],
                                                          ["dbt-duckdb:freshness", "inventory-alerts"]]
    assert " inventory-push " not in broken.stderr
    assert "push not run: the plan was not rebuilt" in broken.stderr.splitlines()[-1]
