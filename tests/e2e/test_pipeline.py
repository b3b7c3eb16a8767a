"""End to end on the default warehouse: three sandbox stores -> taps -> target-duckdb -> dbt.

The proof of a sync is that the mart holds exactly the levels each store holds: the same
(store, location, item) rows with the same quantities, no duplicates, nothing extra — after the
first sync, after stock moves, and after deletions once the nightly reconcile job has run.
The story itself is shared with the PostgreSQL and Snowflake tests (tests/support/scenario.py).
"""

from __future__ import annotations

from conftest import STORE_ITEMS, needs_module, run_sync
from support.duckdb_rows import duckdb_rows
from support.mart import sandboxes, tap_env
from support.scenario import sync_then_reconcile

needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")


def test_scheduled_passes_keep_the_mart_equal_to_every_store(meltano_env) -> None:
    with sandboxes(items=STORE_ITEMS, seed=11) as stores:
        env = tap_env(stores, meltano_env)
        sync_then_reconcile(lambda *args: run_sync(env, *args),
                            duckdb_rows(env["WAREHOUSE_PATH"]), stores, STORE_ITEMS)
