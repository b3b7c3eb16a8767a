"""`inventory-sync --push`: a pass builds only the push plan and what it is built from, and pushes it in the
build's `meltano run` (no start-up between the plan and its write); the rest of the mart is built once, after the
last pass, before the alerts; a plan the build did not refresh is never pushed; a guard's refusal is not a failed
pass (the alerts raise it). The stand-in meltano of test_runner.py plays the
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
         "tap-magento-inventory", "target-duckdb", "dbt-duckdb:build-push-plan", "inventory-push"],
        ["dbt-duckdb:build-after-push", "dbt-duckdb:freshness", "inventory-alerts"]]
    lines = proc.stderr.splitlines()
    rebuilt = next(i for i, line in enumerate(lines) if line.endswith(" inventory-sync: push plan rebuilt"))
    pushing = next(i for i, line in enumerate(lines) if " inventory-push " in line)
    assert rebuilt < pushing, "the build's line waited for the push"
    assert " inventory-sync: pushed" in proc.stderr
    assert proc.stderr.splitlines()[-1].endswith(
        "dbt build ok; push ok; dbt build after push ok; freshness ok; alerts ok")
    plain = tmp_path / "without-push"
    plain.mkdir()
    assert sync(plain, fake).returncode == 0
    assert [blocks_of(c)[-1:] for c in calls(plain)] == [["dbt-duckdb:build"], ["inventory-alerts"]]


def test_passes_with_the_push_build_the_rest_of_the_mart_once_and_its_failure_is_heard(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, "--push", "--for", "3")
    assert proc.returncode == 0, proc.stderr
    made = [blocks_of(c) for c in calls(tmp_path)]
    assert len(made) >= 3  # two passes or more, then the checks
    assert all(blocks[-2:] == ["dbt-duckdb:build-push-plan", "inventory-push"] for blocks in made[:-1])
    assert made[-1] == ["dbt-duckdb:build-after-push", "dbt-duckdb:freshness", "inventory-alerts"]
    (tmp_path / "calls.jsonl").unlink()
    failed = sync(tmp_path, fake, "--push", fail={"dbt-duckdb:build-after-push": "Failure in model fct_oversell_risk"})
    assert failed.returncode == 1
    # freshness and the alerts still run, in a new meltano run, and the status file they read names the failure
    assert [blocks_of(c) for c in calls(tmp_path)][1:] == [["dbt-duckdb:build-after-push", "dbt-duckdb:freshness",
                                                            "inventory-alerts"],
                                                           ["dbt-duckdb:freshness", "inventory-alerts"]]
    steps = {s["name"]: s for s in json.loads((tmp_path / "status.json").read_text())["steps"]}
    assert steps["dbt build after push"] == {**steps["dbt build after push"], "status": "failed",
                                             "error": "Failure in model fct_oversell_risk"}
    assert [steps[n]["status"] for n in ("dbt build", "push", "freshness", "alerts")] == ["ok"] * 4
    assert "dbt build after push FAILED: Failure in model fct_oversell_risk" in failed.stderr.splitlines()[-1]


def test_a_refused_push_is_recorded_and_the_alerts_still_run(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, "--push", fail={"inventory-push": REFUSAL})
    assert proc.returncode == 0, proc.stderr  # a guard doing its job: the alert tells a person, the pass goes on
    assert blocks_of(calls(tmp_path)[-1]) == ["dbt-duckdb:build-after-push", "dbt-duckdb:freshness",
                                              "inventory-alerts"]
    steps = {s["name"]: s for s in json.loads((tmp_path / "status.json").read_text())["steps"]}
    assert steps["push"]["status"] == "refused"
    assert steps["push"]["error"] == "612 changes planned, more than 500 (INVENTORY_PUSH_MAX_CHANGES)"
    assert "push REFUSED: 612 changes planned" in proc.stderr.splitlines()[-1]


def test_a_failed_push_fails_the_pass_and_a_failed_build_is_never_pushed(tmp_path, fake) -> None:
    failed = sync(tmp_path, fake, "--push", fail={"inventory-push": "inventory-push: 2 rows ended error"})
    assert failed.returncode == 1
    assert "push FAILED: inventory-push: 2 rows ended error" in failed.stderr.splitlines()[-1]
    (tmp_path / "calls.jsonl").unlink()
    broken = sync(tmp_path, fake, "--push",
                  fail={"dbt-duckdb:build-push-plan": "Failure in model fct_inventory_push_plan"})
    assert broken.returncode == 1
    # the run stopped at the build, no new run tried the push on its own, and the rest of the mart was not built
    assert [blocks_of(c)[-2:] for c in calls(tmp_path)] == [["dbt-duckdb:build-push-plan", "inventory-push"],
                                                          ["dbt-duckdb:freshness", "inventory-alerts"]]
    assert " inventory-push " not in broken.stderr
    assert "push not run: the plan was not rebuilt" in broken.stderr.splitlines()[-1]
