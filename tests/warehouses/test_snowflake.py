"""Snowflake end to end on the emulator: sandbox store -> tap -> target-snowflake -> dbt-snowflake.

The loader and dbt are the ones a user installs (`meltano install`), running the user's jobs
(`meltano --environment=snowflake run inventory-sync--snowflake`). Only the server is not Snowflake:
fakesnow in server mode plus tests/support/snowflake/server.py, which emulates the user stage load path
target-snowflake uses (PUT to `@~`, JSON file format, COPY/MERGE from the stage, REMOVE). Connections reach it
through tests/support/snowflake/sitecustomize (host/port/protocol only). docs/warehouses.md lists exactly
what is emulated.
"""

from __future__ import annotations

import pytest

from conftest import STORE_ITEMS, require, run_meltano
from support.mart import STORE, assert_mart_equals_truth, control, mart_levels, tap_env
from support.snowflake import emulator as snowflake_emulator

inventory_sandbox = pytest.importorskip("inventory_sandbox", reason="the sandbox package is not installed")

ENVIRONMENT = "--environment=snowflake"


@pytest.fixture(scope="module")
def emulator():
    reason = snowflake_emulator.missing_plugins() or snowflake_emulator.ensure_venv()
    require(reason is None, reason or "")
    with snowflake_emulator.emulator(database="INVENTORY") as running:
        yield running


def test_sync_then_reconcile_equals_ground_truth(meltano_env, emulator) -> None:
    with inventory_sandbox.ShopifySandbox(stores=[STORE], locations=4, items=STORE_ITEMS, seed=13) as sandbox:
        env = {**tap_env(sandbox, meltano_env), **emulator.env()}

        # 1. First sync: PUT to the user stage, MERGE from it, then the whole dbt build.
        run_meltano(env, ENVIRONMENT, "run", "inventory-sync--snowflake")
        levels = assert_mart_equals_truth(emulator.rows, sandbox)
        assert levels > STORE_ITEMS
        items = emulator.rows("select count(*) as n from analytics.stg_shopify__inventory_items")
        assert items[0]["n"] == len(sandbox.truth(STORE)["inventory_items"])
        assert emulator.rows("list @FAKESNOW_SHIM.PUBLIC.USER_STAGE") == [], "staged files were not removed"

        # 2. Stock moves: the incremental run MERGEs the changed levels; dbt rebuilds; equal again.
        assert len(control(sandbox, "stock", changes=25, seed=3)["changed"]) == 25
        run_meltano(env, ENVIRONMENT, "run", "inventory-sync--snowflake")
        assert_mart_equals_truth(emulator.rows, sandbox)
        raw = emulator.rows("select count(*) as n, count(distinct store_id || location_id || inventory_item_id) as k "
                            "from raw_shopify.inventory_levels")
        assert raw[0]["n"] == raw[0]["k"], "MERGE left duplicate keys in the raw table"

        # 3. Deletions: removed by the reconcile job's full snapshot.
        truth = sandbox.truth(STORE)
        gone_level = truth["inventory_levels"][0]
        control(sandbox, "disconnect", inventory_item_id=gone_level["inventory_item_id"],
                location_id=gone_level["location_id"])
        gone_item = truth["inventory_items"][-1]["inventory_item_id"]
        control(sandbox, "delete_item", inventory_item_id=gone_item)
        run_meltano(env, ENVIRONMENT, "run", "inventory-reconcile--snowflake")
        after = mart_levels(emulator.rows)
        assert (STORE, gone_level["location_id"], gone_level["inventory_item_id"]) not in after
        assert not [k for k in after if k[2] == gone_item]
        assert_mart_equals_truth(emulator.rows, sandbox)
