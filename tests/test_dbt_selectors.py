"""transform/selectors.yml: `inventory-sync --push` builds the mart in two halves, the push plan's in every pass
and the rest once per run. Together they must be exactly what `build` builds, or a model or data test would never
run on the one-minute schedule (or run twice). Read from dbt's own `dbt ls`, not from our YAML."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import ROOT, needs

DBT = ROOT / ".meltano/utilities/dbt-duckdb/venv/bin/dbt"


@pytest.fixture(scope="module")
def listed(tmp_path_factory) -> dict[str, set[str]]:
    needs("dbt-duckdb is not installed: run scripts/setup.sh", available=DBT.exists())
    scratch = tmp_path_factory.mktemp("dbt-ls")
    env = {**os.environ, "DBT_PROFILES_DIR": str(ROOT / "transform/profiles/duckdb"),
           "DBT_DUCKDB_PATH": str(scratch / "unused.duckdb")}
    found = {}
    for name, selection in {"build": [], "push_plan": ["--selector", "push_plan"],
                            "mart_after_push": ["--selector", "mart_after_push"]}.items():
        # the build commands' own resource filter; dbt's artifacts and logs kept out of transform/
        proc = subprocess.run([str(DBT), "ls", "--quiet", "--exclude-resource-type", "unit_test", *selection,
                               "--output", "json", "--output-keys", "unique_id resource_type",
                               "--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")],
                              cwd=ROOT / "transform", env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        found[name] = {json.loads(line)["unique_id"] for line in proc.stdout.splitlines() if line.startswith("{")}
    return found


def test_the_two_halves_are_the_build_with_nothing_twice(listed) -> None:
    plan, rest = listed["push_plan"], listed["mart_after_push"]
    assert plan and rest
    assert not plan & rest, f"in both halves: {sorted(plan & rest)}"
    assert plan | rest == listed["build"], (f"in build only: {sorted(listed['build'] - plan - rest)}; "
                                            f"in a half only: {sorted((plan | rest) - listed['build'])}")


def test_the_plan_half_holds_what_the_push_reads_and_not_the_rest(listed) -> None:
    plan, rest = listed["push_plan"], listed["mart_after_push"]
    for model in ("fct_inventory_push_plan", "int_inventory_push_pool", "fct_inventory_levels"):
        assert f"model.inventory.{model}" in plan
    for model in ("fct_oversell_risk", "mart_inventory_accuracy", "fct_inventory_valuation"):
        assert f"model.inventory.{model}" in rest
    # a test reading both halves runs with the rest, once both sides are rebuilt
    crossing = [t for t in rest if t.startswith("test.inventory.relationships_fct_inventory_valuation_")]
    assert crossing, "the valuation -> levels relationships test is not in the rest of the mart"
