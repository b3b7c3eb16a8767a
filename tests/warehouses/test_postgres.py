"""PostgreSQL end to end: sandbox store -> tap -> target-postgres -> dbt-postgres, against ground truth.

Runs the passes a user schedules (`inventory-sync --warehouse postgres`, then the nightly `--reconcile` one)
with only environment variables set, in a database created for the test. Meltano's state lives in that
same database. Without a PostgreSQL server these tests skip locally and fail under CI=true.
"""

from __future__ import annotations

from pathlib import Path

from conftest import STORE_ITEMS, needs_module, run_dbt_unit_tests, run_sync
from support import postgres
from support.mart import offline_tap_env, sandboxes, tap_env
from support.scenario import sync_then_reconcile

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

WAREHOUSE = ("--warehouse", "postgres")  # environment postgres


def test_sync_then_reconcile_equals_ground_truth(meltano_env, database) -> None:
    with sandboxes(items=STORE_ITEMS, seed=11) as stores:
        env = {**tap_env(stores, meltano_env), **database.env()}

        def state_is_in_postgres() -> None:  # so it survives a lost machine
            states = {r["state_id"] for r in database.rows("select state_id from public.state")}
            # one state id per tap, carrying the environment and the stores (postgres:tap-...-to-target-postgres:...)
            assert any(s.startswith("postgres:tap-shopify-inventory-to-target-postgres:") for s in states), states
            local = Path(meltano_env["MELTANO_DATABASE_URI"].removeprefix("sqlite:///"))
            assert not local.exists(), "Meltano wrote a local system database although the state is in PostgreSQL"

        sync_then_reconcile(lambda *args: run_sync(env, *WAREHOUSE, *args),
                            database.rows, stores, STORE_ITEMS, after_first_sync=state_is_in_postgres,
                            warehouse_only=True)
        run_dbt_unit_tests(env, "postgres")  # our SQL on this adapter (every build leaves them out)


# ---------------------------------------------------------------------------------------------- clear errors
# inventory-sync first runs `warehouse-check:postgres` (utilities/warehouse-check): before any tap reads anything
# it must say in one line what is wrong, and the pass must exit 2 (it cannot start). Meltano's own state database
# stays reachable here (MELTANO_DATABASE_URI); when that one is down, Meltano itself fails first.

def _failing_job(env: dict[str, str]) -> str:
    proc = run_sync(env, *WAREHOUSE, timeout=180, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, f"the pass did not stop at the check:\n{output[-3000:]}"
    last = output.strip().splitlines()[-1]
    assert "the postgres warehouse is not usable, nothing was loaded: warehouse-check: " in last, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert "Running catalog discovery" not in output, "the tap ran although the warehouse is unusable"
    return last.split("warehouse-check: ", 1)[1]


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
