"""The reconciliation marts on PostgreSQL (a real server): the shared-catalog stores, one sync with the
user's pass `inventory-sync --warehouse postgres`, and the marts flag exactly the seeded cases with the accuracy from
ground truth, as on DuckDB (test_mart_reconciliation.py). Skips locally without a server, fails under CI.
"""

from __future__ import annotations

from conftest import needs_module, run_sync
from support.shared_catalog import assert_marts_flag_seeded_cases, shared_catalog, tap_env

needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

ITEMS = 48


def test_postgres_marts_flag_exactly_the_seeded_cases(meltano_env, database) -> None:
    with shared_catalog(ITEMS, seed=7) as servers:
        env = {**tap_env(servers, meltano_env), **database.env()}
        run_sync(env, "--warehouse", "postgres")
        assert_marts_flag_seeded_cases(database.rows, servers)
        # the history marts build too (one sync: no moves yet, so no forecast)
        assert database.rows("select count(*) as n from analytics.fct_stockout_forecast "
                             "where projected_stockout_date is not null")[0]["n"] == 0
        assert database.rows("select count(*) as n from analytics.fct_inventory_daily")[0]["n"] > 0
