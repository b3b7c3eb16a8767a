"""PostgreSQL end to end: sandbox store -> tap -> target-postgres -> dbt-postgres, against ground truth.

Runs the jobs a user runs (`meltano --environment=postgres run inventory-sync--postgres`, then the reconcile
job) with only environment variables set, in a database created for the test. Meltano's state lives in that
same database. Without a PostgreSQL server these tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, STORE_ITEMS, meltano_bin, needs_module, run_meltano
from support import postgres
from support.mart import offline_tap_env, sandboxes, tap_env
from support.scenario import sync_then_reconcile

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

ENVIRONMENT = "--environment=postgres"


def test_sync_then_reconcile_equals_ground_truth(meltano_env, database) -> None:
    with sandboxes(items=STORE_ITEMS, seed=11) as stores:
        env = {**tap_env(stores, meltano_env), **database.env()}

        def state_is_in_postgres() -> None:  # so it survives a lost machine
            states = {r["state_id"] for r in database.rows("select state_id from public.state")}
            assert "postgres:tap-shopify-inventory-to-target-postgres" in states, states
            local = Path(meltano_env["MELTANO_DATABASE_URI"].removeprefix("sqlite:///"))
            assert not local.exists(), "Meltano wrote a local system database although the state is in PostgreSQL"

        sync_then_reconcile(lambda job: run_meltano(env, ENVIRONMENT, "run", f"{job}--postgres"),
                            database.rows, stores, STORE_ITEMS, after_first_sync=state_is_in_postgres)


# ---------------------------------------------------------------------------------------------- clear errors
# The first task of every postgres job is `warehouse-check:postgres` (utilities/warehouse-check): before the
# tap reads anything it must say in one line what is wrong, and the job must exit non-zero. Meltano's own state
# database stays reachable here (MELTANO_DATABASE_URI); when that one is down, Meltano itself fails first.

def _failing_job(env: dict[str, str]) -> str:
    proc = subprocess.run(
        [str(meltano_bin()), ENVIRONMENT, "run", "inventory-sync--postgres"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"the job succeeded:\n{output[-3000:]}"
    lines = [line.split("warehouse-check: ", 1)[1] for line in output.splitlines() if "warehouse-check: " in line]
    assert len(lines) == 1, f"expected one warehouse-check line, got {lines}:\n{output[-3000:]}"
    assert "Traceback" not in output, output[-3000:]
    assert "Running catalog discovery" not in output, "the tap ran although the warehouse is unusable"
    return lines[0]



def test_unreachable_server_is_one_line(meltano_env, database) -> None:
    port = postgres.closed_port()
    env = {**offline_tap_env(meltano_env), **database.env(), "PGPORT": str(port)}
    line = _failing_job(env)
    assert line.startswith(f"cannot reach PostgreSQL at {postgres.HOST}:{port} (connection refused)"), line


def test_wrong_user_is_one_line(meltano_env, database) -> None:
    env = {**offline_tap_env(meltano_env), **database.env(), "PGUSER": "no_such_inventory_role"}
    line = _failing_job(env)
    assert 'refused user "no_such_inventory_role"' in line and "does not exist" in line, line
    assert "PGUSER" in line, line


def test_role_without_create_is_one_line(meltano_env, database) -> None:
    role = f"inventory_reader_{database.name.rsplit('_', 1)[-1]}"
    postgres.execute("postgres", f"create role \"{role}\" login password 'reader'")
    try:
        # PostgreSQL 15: a new role may connect, but neither create schemas nor write to `public`.
        env = {**offline_tap_env(meltano_env), **database.env(), "PGUSER": role, "PGPASSWORD": "reader"}
        line = _failing_job(env)
        assert line.startswith(f'user "{role}" may not create schema "raw_shopify" in database "{database.name}"'), line
        assert f'GRANT CREATE ON DATABASE "{database.name}" TO "{role}"' in line, line
    finally:
        postgres.execute("postgres", f'drop role if exists "{role}"')
