"""PostgreSQL end to end: sandbox store -> tap -> target-postgres -> dbt-postgres, against ground truth.

Runs the jobs a user runs (`meltano --environment=postgres run inventory-sync--postgres`, then the reconcile
job) with only environment variables set, in a database created for the test. Meltano's state lives in that
same database. Without a PostgreSQL server these tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import pytest

from conftest import STORE_ITEMS, require, run_meltano
from support import postgres
from support.mart import STORE, assert_mart_equals_truth, control, mart_levels, tap_env

inventory_sandbox = pytest.importorskip("inventory_sandbox", reason="the sandbox package is not installed")

ENVIRONMENT = "--environment=postgres"


@pytest.fixture
def database():
    reason = postgres.unavailable_reason()
    require(reason is None, reason or "")
    with postgres.fresh_database() as db:
        yield db


def test_sync_then_reconcile_equals_ground_truth(meltano_env, database) -> None:
    with inventory_sandbox.ShopifySandbox(stores=[STORE], locations=4, items=STORE_ITEMS, seed=11) as sandbox:
        env = {**tap_env(sandbox, meltano_env), **database.env()}

        # 1. First sync: everything arrives, and the state is kept in PostgreSQL, not on this machine.
        run_meltano(env, ENVIRONMENT, "run", "inventory-sync--postgres")
        levels = assert_mart_equals_truth(database.rows, sandbox)
        assert levels > STORE_ITEMS
        items = database.rows("select count(*) as n from analytics.stg_shopify__inventory_items")
        assert items[0]["n"] == len(sandbox.truth(STORE)["inventory_items"])
        states = {r["state_id"] for r in database.rows("select state_id from public.state")}
        assert "postgres:tap-shopify-inventory-to-target-postgres" in states

        # 2. Stock moves: the incremental run converges again.
        assert len(control(sandbox, "stock", changes=25, seed=3)["changed"]) == 25
        run_meltano(env, ENVIRONMENT, "run", "inventory-sync--postgres")
        assert_mart_equals_truth(database.rows, sandbox)

        # 3. Deletions: invisible to the incremental run, removed by the reconcile job's full snapshot.
        truth = sandbox.truth(STORE)
        gone_level = truth["inventory_levels"][0]
        control(sandbox, "disconnect", inventory_item_id=gone_level["inventory_item_id"],
                location_id=gone_level["location_id"])
        gone_item = truth["inventory_items"][-1]["inventory_item_id"]
        control(sandbox, "delete_item", inventory_item_id=gone_item)
        run_meltano(env, ENVIRONMENT, "run", "inventory-sync--postgres")
        key = (STORE, gone_level["location_id"], gone_level["inventory_item_id"])
        assert key in mart_levels(database.rows)

        run_meltano(env, ENVIRONMENT, "run", "inventory-reconcile--postgres")
        after = mart_levels(database.rows)
        assert key not in after
        assert not [k for k in after if k[2] == gone_item]
        assert_mart_equals_truth(database.rows, sandbox)
