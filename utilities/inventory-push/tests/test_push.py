"""Writing each channel without overwriting a sale it has not seen, dry run, audit and idempotence."""

from __future__ import annotations

import duckdb
import requests
from conftest import STORES, PlanBuilder, audit, env_for, skus

from inventory_push import plan as plans
from inventory_push import push
from inventory_push.settings import Settings
from inventory_push.warehouse import Warehouse


def run(stores, path, apply=True, **extra):
    return push.run(Settings.from_env(env_for(stores, path, **extra)), apply)


def results(outcome) -> dict[tuple[str, str], str]:
    return {(e.row.channel, e.row.sku): e.result for e in outcome.entries}


def test_dry_run_prints_and_records_the_plan_and_writes_nothing(stores, tmp_path):
    a, b = skus(2)
    plan = PlanBuilder(stores)
    for channel in ("shopify", "bigcommerce", "magento"):
        plan.add(channel, a, planned=stores.shown(channel, a) - 2)
    plan.add("shopify", b, planned=1, hold_reason="changed within the settling window")
    path = plan.write(tmp_path / "wh.duckdb")
    outcome = run(stores, path, apply=False)
    assert stores.writes() == {"shopify": 0, "bigcommerce": 0, "magento": 0}
    assert sorted(e.result for e in outcome.entries) == ["dry_run", "dry_run", "dry_run", "held"]
    logged = audit(path)
    assert {r["result"] for r in logged} == {"dry_run", "held"} and all(r["dry_run"] for r in logged)
    assert audit(path, "select status, dry_run from push.push_runs") == [{"status": "ok", "dry_run": True}]


def test_apply_writes_every_channel_to_the_plan_and_records_the_ids(stores, tmp_path):
    a, b = skus(2)
    plan = PlanBuilder(stores)
    targets = {}
    for channel in ("shopify", "bigcommerce", "magento"):
        for sku, change in ((a, -3), (b, +2)):
            targets[channel, sku] = stores.shown(channel, sku) + change
            plan.add(channel, sku, planned=targets[channel, sku])
    outcome = run(stores, plan.write(tmp_path / "wh.duckdb"))
    assert set(results(outcome).values()) == {"applied"}
    for (channel, sku), planned in targets.items():
        assert stores.shown(channel, sku) == planned, (channel, sku)
    assert stores.writes() == {"shopify": 1, "bigcommerce": 1, "magento": 1}  # one batch per channel
    logged = audit(tmp_path / "wh.duckdb")
    ids = {r["channel"]: r["api_change_id"] for r in logged}
    assert ids["shopify"].startswith("gid://shopify/InventoryAdjustmentGroup/") and ids["bigcommerce"]
    assert {r["method"] for r in logged} == {"set", "relative", "source_items"}
    assert all("re-read guard window" in r["detail"] for r in logged if r["channel"] == "magento")


def test_a_shopify_sale_between_plan_and_push_is_kept_and_the_plans_change_resent_on_a_fresh_read(stores, tmp_path):
    a, b = skus(2)
    plan = PlanBuilder(stores)
    seen = stores.shown("shopify", a)
    plan.add("shopify", a, planned=seen + 4)
    plan.add("shopify", b, planned=stores.shown("shopify", b) - 1)
    path = plan.write(tmp_path / "wh.duckdb")
    stores.order("shopify", a, 1)  # a shopper buys one after the plan observed ``seen``
    outcome = run(stores, path)
    assert results(outcome) == {("shopify", a): "applied", ("shopify", b): "applied"}
    # the compare refused the plan's number; the level was re-read (seen - 1) and the plan's +4 sent on top of it
    assert stores.shown("shopify", a) == seen - 1 + 4  # the sale stands
    resent = next(r for r in audit(path) if "resent after a re-read" in (r["detail"] or ""))
    assert "CHANGE_FROM_QUANTITY_STALE" in resent["detail"]
    assert (resent["from_quantity"], resent["to_quantity"]) == (seen - 1, seen + 3)  # what was really compared/set
    assert stores.shopify.log()["writes"] == 2  # the batch (b) and the resend (a)


def test_a_level_that_moves_again_after_the_re_read_stays_stale(stores, tmp_path):
    """The resend is bounded: one re-read, one resend; a level still moving is left to the next plan."""
    a, = skus(1, at_least=8)
    plan = PlanBuilder(stores)
    seen = stores.shown("shopify", a)
    plan.add("shopify", a, planned=seen + 4)
    path = plan.write(tmp_path / "wh.duckdb")
    stores.order("shopify", a, 1)
    settings = Settings.from_env(env_for(stores, path))
    writer = push.writers(settings)["shopify"]
    send = writer.session.request

    def request(method, url, **kwargs):  # a second shopper buys between the re-read and the resend
        answer = send(method, url, **kwargs)
        if "query Reread" in (kwargs.get("json") or {}).get("query", ""):
            stores.order("shopify", a, 1)
        return answer

    writer.session.request = request
    with Warehouse(settings) as wh:
        rows = plans.read(wh, settings.schema, settings.plan_table)
    [entry] = writer.write(rows, "plan-1")
    assert entry.result == "stale" and "resent after a re-read" in entry.detail
    assert stores.shown("shopify", a) == seen - 2  # both sales stand; nothing written over them
    assert stores.shopify.log()["writes"] == 0


def test_a_pooled_shopify_row_gone_stale_is_resent_and_the_audit_says_what_was_compared(stores, tmp_path):
    """Pooled rows are resent too: the ledger counts the sale before the resend from the audit's from_quantity
    (the dbt unit test pooled_ledger_counts_sales_against_what_was_pushed)."""
    a, = skus(1)
    plan = PlanBuilder(stores, mode="pooled")
    seen = stores.shown("shopify", a)
    plan.add("shopify", a, planned=seen + 2)
    path = plan.write(tmp_path / "wh.duckdb")
    stores.order("shopify", a, 1)
    outcome = run(stores, path)
    assert [(e.result, e.method) for e in outcome.entries] == [("applied", "adjust")]
    assert "resent after a re-read" in outcome.entries[0].detail
    assert stores.shown("shopify", a) == seen - 1 + 2  # the sale stands, the plan's +2 on top of it
    [logged] = audit(path)
    assert (logged["from_quantity"], logged["to_quantity"]) == (seen - 1, seen + 1)


def test_a_concurrent_bigcommerce_order_is_kept_by_the_relative_adjustment(stores, tmp_path):
    a, = skus(1, at_least=8)
    plan = PlanBuilder(stores)
    seen = stores.shown("bigcommerce", a)
    plan.add("bigcommerce", a, planned=seen - 4)
    path = plan.write(tmp_path / "wh.duckdb")
    stores.order("bigcommerce", a, 2)  # sold after the plan
    assert results(run(stores, path)) == {("bigcommerce", a): "applied"}
    assert stores.shown("bigcommerce", a) == seen - 2 - 4  # both the sale and the planned change


def test_a_bigcommerce_decrease_that_no_longer_fits_is_resent_on_a_fresh_read(stores, tmp_path):
    """The plan lowers a level to 0; two sell before the push, so the relative change would take it below 0 and
    the store refuses it: the push re-reads the level and lowers what is left to 0. The sales stand."""
    a, b = skus(2, at_least=8)
    plan = PlanBuilder(stores)
    seen = stores.shown("bigcommerce", a)
    plan.add("bigcommerce", a, planned=0)
    plan.add("bigcommerce", b, planned=stores.shown("bigcommerce", b) - 1)
    path = plan.write(tmp_path / "wh.duckdb")
    stores.order("bigcommerce", a, 2)
    outcome = run(stores, path)
    assert results(outcome) == {("bigcommerce", a): "applied", ("bigcommerce", b): "applied"}
    assert stores.shown("bigcommerce", a) == 0
    logged = {r["sku"]: r for r in audit(path)}
    assert (logged[a]["from_quantity"], logged[a]["to_quantity"]) == (seen - 2, 0)
    assert "resent after a re-read" in logged[a]["detail"]


def test_magento_re_reads_and_writes_the_plans_change_on_what_it_just_read(stores, tmp_path):
    """An item as observed gets the planned quantity; one that sold since gets the plan's change on top of the
    number just read (the sale stands); one that rose since (a receipt) is stale and left alone."""
    a, b, c = skus(3)
    plan = PlanBuilder(stores)
    seen = {sku: stores.shown("magento", sku) for sku in (a, b, c)}
    for sku in (a, b, c):
        plan.add("magento", sku, planned=seen[sku] + 5)
    path = plan.write(tmp_path / "wh.duckdb")
    stores.order("magento", a, 1)
    received = requests.post(f"{stores.magento.url}/_sandbox/receive", json={
        "store": STORES["magento"], "sku": c, "quantity": 2, "location_id": "default"}, timeout=10)
    assert received.status_code == 200, received.text
    outcome = run(stores, path)
    assert results(outcome) == {("magento", a): "applied", ("magento", b): "applied", ("magento", c): "stale"}
    assert [stores.shown("magento", sku) for sku in (a, b, c)] == [seen[a] - 1 + 5, seen[b] + 5, seen[c] + 2]
    logged = {r["sku"]: r for r in audit(path)}
    assert (logged[a]["from_quantity"], logged[a]["to_quantity"]) == (seen[a] - 1, seen[a] + 4)
    assert "the plan's change +5 applied to it" in logged[a]["detail"]
    assert "rose since the plan saw it" in logged[c]["detail"]
    assert stores.magento.log()["write_rows"] == 2


def test_the_same_plan_twice_writes_once(stores, tmp_path):
    a, = skus(1)
    plan = PlanBuilder(stores)
    for channel in ("shopify", "bigcommerce", "magento"):
        plan.add(channel, a, planned=stores.shown(channel, a) - 1)
    path = plan.write(tmp_path / "wh.duckdb")
    first = run(stores, path)
    assert set(results(first).values()) == {"applied"}
    writes = stores.writes()
    second = run(stores, path)
    assert set(results(second).values()) == {"already_done"}
    assert stores.writes() == writes
    # even with the audit gone, Shopify's idempotency key stops a second application of the same rows
    with duckdb.connect(str(path)) as con:
        con.execute("delete from push.push_log")
    shown = stores.shown("shopify", a)
    stores.order("shopify", a, 1)  # had the set been applied again, this sale would be overwritten
    third = run(stores, path, INVENTORY_PUSH_SETTLE_SECONDS="0")
    assert results(third)[("shopify", a)] == "applied"  # Shopify answered the first result again
    assert stores.shown("shopify", a) == shown - 1
    assert stores.shopify.log()["writes"] == 1


def test_a_level_we_just_wrote_waits_for_a_read_that_has_settled(stores, tmp_path):
    a, = skus(1)
    stores.bigcommerce.configure(read_lag_ms=2000)  # the Inventory API shows writes late
    plan = PlanBuilder(stores)
    seen = stores.shown("bigcommerce", a)
    plan.add("bigcommerce", a, planned=seen - 2)
    path = plan.write(tmp_path / "wh.duckdb")
    assert results(run(stores, path)) == {("bigcommerce", a): "applied"}
    # a sync right after the write still reads the old number; a plan from it would take 2 off again
    lagging = PlanBuilder(stores, plan_id="plan-2")
    lagging.add("bigcommerce", a, planned=seen - 2, observed=seen, observed_at=push.now_utc())
    assert results(run(stores, lagging.write(path))) == {("bigcommerce", a): "settling"}
    assert stores.shown("bigcommerce", a) == seen - 2


def test_a_shopify_read_after_our_write_is_trusted_at_once_one_from_before_it_never(stores, tmp_path):
    """Shopify's reads show a write once it is answered (settle 0 by default there): a plan observed after our
    write is pushed at once; one observed before it would undo or repeat the write, and waits."""
    a, = skus(1, at_least=8)
    plan = PlanBuilder(stores)
    seen = stores.shown("shopify", a)
    before = push.now_utc()
    plan.add("shopify", a, planned=seen - 2, observed_at=before)
    path = plan.write(tmp_path / "wh.duckdb")
    assert results(run(stores, path)) == {("shopify", a): "applied"}
    early = PlanBuilder(stores, plan_id="plan-2")
    early.add("shopify", a, planned=seen - 4, observed=seen, observed_at=before)
    assert results(run(stores, early.write(path))) == {("shopify", a): "settling"}
    after = PlanBuilder(stores, plan_id="plan-3")
    after.add("shopify", a, planned=seen - 3, observed=seen - 2, observed_at=push.now_utc())
    assert results(run(stores, after.write(path))) == {("shopify", a): "applied"}
    assert stores.shown("shopify", a) == seen - 3


def test_pooled_rows_adjust_on_shopify_and_older_versions_compare_quantity(stores, tmp_path):
    a, b = skus(2)
    plan = PlanBuilder(stores, mode="pooled")
    seen = stores.shown("shopify", a)
    plan.add("shopify", a, planned=seen + 3)
    path = plan.write(tmp_path / "wh.duckdb")
    outcome = run(stores, path)
    assert [(e.result, e.method) for e in outcome.entries] == [("applied", "adjust")]
    assert stores.shopify.log()["write_log"][-1]["endpoint"] == "inventoryAdjustQuantities"
    old = PlanBuilder(stores, plan_id="plan-2")
    seen_b = stores.shown("shopify", b)
    old.add("shopify", b, planned=seen_b + 1)
    # stale: observed after our write, yet the number predates it (as a read could); the re-read shows the level
    # above what the plan saw, which a sale never does, so it is not resent (the plan's +3 would apply twice)
    old.add("shopify", a, planned=seen + 3, observed=seen, observed_at=push.now_utc())
    outcome = run(stores, old.write(path), INVENTORY_PUSH_SHOPIFY_API_VERSION="2025-07",
                  INVENTORY_PUSH_SETTLE_SECONDS="0")
    assert results(outcome) == {("shopify", b): "applied", ("shopify", a): "stale"}
    stale = next(e.detail for e in outcome.entries if e.result == "stale")
    assert "COMPARE_QUANTITY_STALE" in stale and "rose since the plan saw it" in stale
    assert stores.shown("shopify", b) == seen_b + 1
    assert stores.shown("shopify", a) == seen + 3


def test_bigcommerce_absolute_only_for_a_sole_writer_and_first_stock_of_a_never_set_level(stores, tmp_path):
    a, = skus(1)
    plan = PlanBuilder(stores)
    seen = stores.shown("bigcommerce", a)
    plan.add("bigcommerce", a, planned=seen + 1)
    path = plan.write(tmp_path / "wh.duckdb")
    stores.order("bigcommerce", a, 1)
    outcome = run(stores, path, INVENTORY_PUSH_BIGCOMMERCE_SOLE_WRITER="true")
    assert [(e.result, e.method) for e in outcome.entries] == [("applied", "absolute")]
    assert stores.shown("bigcommerce", a) == seen + 1  # absolute: the sale after the plan is overwritten (sole writer)
    # a level never set absolutely refuses relative changes: with nothing observed there, it is set
    never = next(r for r in stores.bigcommerce.truth("demostore")["inventory_levels"]
                 if r["location_id"] == "2" and r["sku"] == stores.level("bigcommerce", a)["sku"])
    first = PlanBuilder(stores, plan_id="plan-2")
    first.add("bigcommerce", a, planned=3, observed=0, location_id="2", inventory_item_id=never["inventory_item_id"])
    outcome = run(stores, first.write(path))
    assert [(e.result, e.method) for e in outcome.entries] == [("applied", "absolute_first")]
