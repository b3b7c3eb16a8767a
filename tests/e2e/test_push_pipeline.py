"""The closed loop, end to end (issue #20): shared-catalog sandbox stores, `inventory-sync --push` on DuckDB, in
both modes of the plan, with real Meltano, dbt and inventory-push.

system_of_record (Magento's demo-store is the record; the stores seed channels that disagree with it):
1. `inventory-sync --push` with apply off: the plan lists the seeded disagreements; nothing is written (dry run).
2. A shopper buys on Shopify between plan and push; `inventory-push apply`: that row's compare-and-set fails, the
   push re-reads the level and sends the plan's change on top of it (the sale stands), the other channels are written.
3. `inventory-sync --push` with apply on: the record never heard of that sale (no order feed here), so the next
   cycle plans Shopify back to the record from a fresh sync and writes it. Every channel now shows what the plan
   says.
   Then an order on Magento leaves the record 1 unit of a SKU that BigCommerce's other selling locations show more
   of: with `INVENTORY_PUSH_OTHER_LOCATIONS=lower` the push lowers them too, and each channel shows 1 in all.
pooled (no central system; the receiving location is Magento's `default` source):
4. The first pooled cycle starts each pool at the least any channel shows; the sync after step 3's push puts the
   accuracy KPI at 100 % and plans nothing.
5. Orders on Shopify and BigCommerce, one on Magento, stock received at the receiving location; the next cycle
   takes every sale off the pool and adds the receipt, and writes every channel to it.
6. A cycle with no new orders: nothing to write, every channel equals the plan, accuracy 100 %.
7. `INVENTORY_PUSH_DEMAND_MINUTES` (dry run): each channel holds back what the SKU sells in that time, counted from
   the level history without our own writes or the receipt (scaled up from the few minutes of history there is).
Then the project's dbt unit tests on this warehouse (every channel's models built): `dbt-duckdb:build` leaves them
out (they test our SQL, not the merchant's data); the PostgreSQL and Snowflake tests run them on their adapters.
"""

from __future__ import annotations

from conftest import needs_module, run_dbt_unit_tests, run_meltano, run_sync
from support.duckdb_rows import duckdb_rows
from support.shared_catalog import STORES, seeded_cases, shared_catalog, tap_env

needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")
from inventory_sandbox import BigCommerceSandbox, MagentoSandbox, ShopifySandbox

ITEMS, SEED = 40, 7
WRITE_TOKENS = {"shopify": ShopifySandbox.write_token, "bigcommerce": BigCommerceSandbox.write_token,
                "magento": MagentoSandbox.write_token}


def writes(servers) -> dict[str, int]:
    return {name: server.get("log")["writes"] for name, server in servers.items()}


def shown(server, location_id: str, inventory_item_id: str) -> int:
    return next(int(r["available"]) for r in server.truth()["inventory_levels"]
                if r["location_id"] == location_id and str(r["inventory_item_id"]) == inventory_item_id)


def assert_channels_equal_the_plan(rows, servers) -> list[dict]:
    """Every planned level shows its planned quantity in the store now; returns the plan."""
    plan = rows("select * from analytics.fct_inventory_push_plan where location_id is not null")
    assert plan
    truth = {name: {(r["location_id"], str(r["inventory_item_id"])): int(r["available"])
                    for r in server.truth()["inventory_levels"]} for name, server in servers.items()}
    shows = [(r, truth[r["channel"]].get((r["location_id"], r["inventory_item_id"]))) for r in plan]
    wrong = [(r["channel"], r["sku"], r["location_id"], r["planned_quantity"], now) for r, now in shows
             if now != r["planned_quantity"]]
    assert not wrong, wrong
    return plan


def last_push(rows) -> dict:
    return rows("select * from push.push_runs order by started_at desc limit 1")[0]


def accuracy(rows) -> float:
    return rows("select accuracy from analytics.mart_inventory_accuracy where grain = 'run' "
                "order by period_start desc limit 1")[0]["accuracy"]


def test_sync_build_push_in_both_modes(meltano_env) -> None:
    with shared_catalog(ITEMS, SEED) as servers:
        env = tap_env(servers, meltano_env)
        env.update({f"INVENTORY_PUSH_{name.upper()}_ACCESS_TOKEN": token(STORES[name])
                    for name, token in WRITE_TOKENS.items()})
        rows = duckdb_rows(env["WAREHOUSE_PATH"])
        cases = {(c["channel"], c["sku"]) for c in seeded_cases(servers)
                 if c["kind"] in ("discrepancy", "above_system_of_record")}

        # 1. dry run: the plan holds the seeded disagreements, the stores are not written
        run_sync(env, "--push")
        actions = rows("select * from analytics.fct_inventory_push_plan where is_action")
        assert {(r["channel"], r["normalized_sku"]) for r in actions} == cases
        assert all(r["hold_reason"] is None and r["mode"] == "system_of_record" for r in actions)
        assert writes(servers) == {"shopify": 0, "bigcommerce": 0, "magento": 0}
        dry = last_push(rows)
        assert dry["dry_run"] and dry["status"] == "ok"

        # 2. a sale on Shopify between plan and push: its compare fails, nothing is written over it; the level is
        # re-read and the plan's change sent on top of what it shows now
        sold = next(r for r in actions if r["channel"] == "shopify" and r["observed_quantity"] > 0
                    and r["planned_quantity"] > 0)
        servers["shopify"].post("order", sku=sold["sku"], quantity=1)
        run_meltano(env, "invoke", "inventory-push:apply")
        logged = rows("select * from push.push_log where not dry_run")
        results = {(r["channel"], r["sku"]): r["result"] for r in logged}
        assert results.pop(("shopify", sold["sku"])) == "applied"
        assert set(results.values()) == {"applied"} and len(results) == len(actions) - 1
        resent = next(r for r in logged if (r["channel"], r["sku"]) == ("shopify", sold["sku"]))
        assert "resent after a re-read" in resent["detail"] and "CHANGE_FROM_QUANTITY_STALE" in resent["detail"]
        left = shown(servers["shopify"], sold["location_id"], sold["inventory_item_id"])
        assert left == sold["planned_quantity"] - 1  # the sale stands, with the plan's change on top

        # 3. the record has not seen that sale: the next cycle plans Shopify back to it from what it shows now (the
        # level was just written; Shopify's reads show a write at once, so by default nothing waits there)
        env.update(INVENTORY_PUSH_APPLY="true")
        run_sync(env, "--push")
        again = rows("select * from analytics.fct_inventory_push_plan where is_action")
        assert [(r["channel"], r["sku"], r["observed_quantity"], r["planned_quantity"]) for r in again] == [
            ("shopify", sold["sku"], sold["planned_quantity"] - 1, sold["planned_quantity"])]
        assert last_push(rows)["applied"] == 1
        assert_channels_equal_the_plan(rows, servers)
        shared = servers["magento"].scenario()["shared_skus"]
        in_cases = {sku for _, sku in cases} | {c["sku"] for c in seeded_cases(servers)}
        quiet = [s for s, p in shared.items()
                 if s not in in_cases and p["record_quantity"] >= 5 and p["listed_as"] == s]
        x, y, z = quiet[:3]

        # 3b. lower: a Magento order leaves the record 1 unit of a SKU whose other BigCommerce locations show more;
        # with INVENTORY_PUSH_OTHER_LOCATIONS=lower those are lowered too, so each channel shows the target in all
        spread = rows("select normalized_sku from analytics.fct_inventory_push_plan where channel = 'bigcommerce' "
                      "and is_push_location and shown_elsewhere_quantity >= 2 order by normalized_sku")
        w = next(r["normalized_sku"] for r in spread if r["normalized_sku"] not in {*in_cases, x, y, z})
        servers["magento"].post("order", sku=w, quantity=shared[w]["record_quantity"] - 1)
        env["INVENTORY_PUSH_OTHER_LOCATIONS"] = "lower"
        run_sync(env, "--push")
        del env["INVENTORY_PUSH_OTHER_LOCATIONS"]
        plan = [r for r in assert_channels_equal_the_plan(rows, servers) if r["normalized_sku"] == w]
        assert any(r["channel"] == "bigcommerce" and r["is_action"] and not r["is_push_location"] for r in plan)
        for channel in ("shopify", "bigcommerce"):
            levels = [r for r in plan if r["channel"] == channel]
            assert sum(r["planned_quantity"] for r in levels) == levels[0]["target_quantity"] == 1

        # 4. pooled: the first cycle starts at the least any channel shows; they all agree, so nothing to do
        env.update(INVENTORY_PUSH_MODE="pooled", INVENTORY_PUSH_RECEIVING_LOCATION="magento:default")
        run_sync(env, "--push")
        assert accuracy(rows) == 1.0  # the sync after the system_of_record push: every channel equals the record
        assert rows("select count(*) as n from analytics.fct_inventory_push_plan where is_action")[0]["n"] == 0
        pools = {r["sku"]: r["pool_quantity"] for r in rows(
            "select distinct sku, pool_quantity from analytics.int_inventory_push_pool")}
        assert [pools[s] for s in (x, y, z)] == [shared[s]["record_quantity"] for s in (x, y, z)]

        # 5. sales on every channel and a delivery at the receiving location
        servers["shopify"].post("order", sku=x, quantity=2)
        servers["bigcommerce"].post("order", sku=x, quantity=1)
        servers["magento"].post("order", sku=y, quantity=1)
        servers["magento"].post("receive", sku=z, quantity=5, location_id="default")
        before = writes(servers)
        run_sync(env, "--push")
        pools = {r["sku"]: r["pool_quantity"] for r in rows(
            "select distinct sku, pool_quantity from analytics.int_inventory_push_pool")}
        expected = (shared[x]["record_quantity"] - 3, shared[y]["record_quantity"] - 1,
                    shared[z]["record_quantity"] + 5)
        assert (pools[x], pools[y], pools[z]) == expected
        pushed = rows("select * from analytics.fct_inventory_push_plan where is_action")
        assert {r["normalized_sku"] for r in pushed} == {x, y, z} and all(r["hold_reason"] is None for r in pushed)
        assert last_push(rows)["applied"] == len(pushed) and writes(servers) != before
        plan = assert_channels_equal_the_plan(rows, servers)
        for sku, pool in zip((x, y, z), expected, strict=True):  # every channel shows the whole pool
            assert {r["channel"]: r["target_quantity"] for r in plan if r["normalized_sku"] == sku} == dict.fromkeys(
                STORES, pool)

        # 6. a cycle with no new orders: nothing to write, every channel equals the plan, accuracy 100 %
        before = writes(servers)
        run_sync(env, "--push")
        assert rows("select count(*) as n from analytics.fct_inventory_push_plan where is_action")[0]["n"] == 0
        assert writes(servers) == before
        assert_channels_equal_the_plan(rows, servers)
        assert accuracy(rows) == 1.0

        # 7. the demand buffer (a dry run): every channel holds back what the SKU sells in an hour. x sold 3
        # (2 on Shopify, 1 on BigCommerce) and y 1; our own writes since (every channel lowered to the pool, z
        # raised by the receipt) are not sales, nor is the receipt. The history is minutes long, not an hour, so
        # the buffer is the rate seen so far times an hour: more than was sold
        env.update(INVENTORY_PUSH_APPLY="false", INVENTORY_PUSH_DEMAND_MINUTES="60")
        run_sync(env, "--push")
        demand = {r["sku"]: r for r in rows("select * from analytics.int_inventory_push_demand")}
        assert (demand[x]["sold_units"], demand[y]["sold_units"], demand.get(z, {}).get("sold_units", 0)) == (3, 1, 0)
        assert demand[x]["seconds_on_sale"] < 3600 and demand[x]["demand_units"] > 3
        assert demand[y]["demand_units"] > 1 and demand.get(z, {}).get("demand_units", 0) == 0
        plan = rows("select * from analytics.fct_inventory_push_plan")
        assert {r["channel"]: r["target_quantity"] for r in plan if r["normalized_sku"] == x} == dict.fromkeys(
            STORES, max(expected[0] - demand[x]["demand_units"], 0))
        assert writes(servers) == before

        # the dbt unit tests, on the warehouse every step above built
        run_dbt_unit_tests(env)
