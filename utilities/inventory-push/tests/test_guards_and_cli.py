"""Guards refuse the whole run in one line, writing nothing; the test action tells write scopes; bad inputs are one
line and exit 2; a read-only token is refused clearly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import COLUMNS, PlanBuilder, audit, env_for, now, skus

from inventory_push import guards
from inventory_push.cli import main
from inventory_push.plan import PlanRow
from inventory_push.settings import Settings


def cli(monkeypatch, capsys, env: dict, *args: str) -> tuple[int, str, str]:
    for name in list(__import__("os").environ):
        if name.startswith(("INVENTORY_PUSH_", "TAP_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def plan_with(stores, tmp_path, build) -> PlanBuilder:
    plan = PlanBuilder(stores)
    build(plan)
    plan.write(tmp_path / "wh.duckdb")
    return plan


A, B, C = skus(3)
GUARDS = {
    "stale system of record": (
        lambda p: p.add("shopify", A, planned=1, record_synced_at=now() - timedelta(hours=2)), {},
        "the system of record's data is 12"),
    "incomplete system of record": (
        lambda p: p.add("shopify", A, planned=1, record_sync_complete=False), {}, "last sync was incomplete"),
    "unknown age": (lambda p: p.add("shopify", A, planned=1, record_synced_at=None), {}, "record_synced_at is null"),
    "too many changes": (
        lambda p: [p.add(c, A, planned=1) for c in ("shopify", "bigcommerce", "magento")],
        {"INVENTORY_PUSH_MAX_CHANGES": "2"}, "3 changes planned, more than 2 (INVENTORY_PUSH_MAX_CHANGES)"),
    "too many units": (lambda p: p.add("bigcommerce", A, planned=900), {},
                       "more than 500 (INVENTORY_PUSH_MAX_CHANGE_UNITS)"),
    "too large a share": (
        lambda p: p.add("magento", A, planned=20, observed=5, plan_row_id="x"),
        {"INVENTORY_PUSH_MAX_CHANGE_PERCENT": "100"}, "is a 300 % change, more than 100 %"),
    "stock to zero for many SKUs": (
        lambda p: [p.add("shopify", s, planned=0) for s in (A, B)] + [p.add("shopify", C, planned=7)], {},
        "would go from stock to zero for 2 of its 3 SKUs in stock"),
}


@pytest.mark.parametrize("case", GUARDS)
def test_every_guard_refuses_the_run_in_one_line_and_writes_nothing(stores, tmp_path, monkeypatch, capsys, case):
    build, extra, words = GUARDS[case]
    plan_with(stores, tmp_path, build)
    code, out, err = cli(monkeypatch, capsys, env_for(stores, tmp_path / "wh.duckdb", **extra), "apply")
    assert code == 3
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert err.startswith("inventory-push: refused, nothing written: ")
    assert stores.writes() == {"shopify": 0, "bigcommerce": 0, "magento": 0}
    assert [r["status"] for r in audit(tmp_path / "wh.duckdb", "select status from push.push_runs")] == ["refused"]
    assert audit(tmp_path / "wh.duckdb", "select count(*) as n from push.push_log")[0]["n"] == 0


def test_zero_out_counts_skus_not_locations() -> None:
    """A SKU whose two locations are both lowered to 0 is one SKU gone to zero; one whose other location still shows
    stock has not gone to zero at all."""
    def row(sku: str, location: str, observed: int, planned: int) -> PlanRow:
        return PlanRow(plan_id="p", plan_row_id=f"{sku}:{location}", mode="system_of_record", channel="bigcommerce",
                       store_id="s", location_id=location, sku=sku, inventory_item_id=None, variant_id=None,
                       product_id=None, source_code=None, observed_quantity=observed, observed_at=now(),
                       observed_sync_run="r", planned_quantity=planned, is_action=observed != planned,
                       hold_reason=None, record_synced_at=now(), record_sync_complete=True)
    settings = Settings()
    one_sku_at_two_locations = [row("A", "1", 4, 0), row("A", "2", 3, 0), row("B", "1", 5, 5), row("C", "1", 2, 2)]
    guards.check(one_sku_at_two_locations, settings, now())  # 1 of 3 SKUs: allowed (levels would say 2 of 4)
    still_shown_elsewhere = [row("A", "1", 4, 0), row("A", "2", 3, 3), row("B", "1", 5, 0), row("B", "2", 1, 1)]
    guards.check(still_shown_elsewhere, settings, now())  # A and B still show stock: none went to zero
    two_skus = [*one_sku_at_two_locations, row("D", "1", 6, 0)]
    with pytest.raises(guards.Refused, match="zero for 2 of its 4 SKUs in stock"):
        guards.check(two_skus, settings, now())


def test_the_test_action_says_which_credentials_may_write(stores, tmp_path, monkeypatch, capsys):
    code, _, err = cli(monkeypatch, capsys, env_for(stores, tmp_path / "wh.duckdb", write=False), "test")
    assert code == 1
    lines = err.strip().splitlines()
    assert lines == [
        "inventory-push test: shopify demo-store: may not write: the token lacks write_inventory (it has "
        "read_inventory, read_locations, read_products)",
        "inventory-push test: bigcommerce demostore: may not write: the token lacks the Inventory scope "
        "(store_inventory, modify)",
        "inventory-push test: magento demo-store: may not write: the integration lacks "
        "Magento_InventoryApi::stock_source_item_assign (or its credentials are not valid)"]
    code, _, err = cli(monkeypatch, capsys, env_for(stores, tmp_path / "wh.duckdb"), "test")
    assert code == 0 and err.count(": may write") == 3
    assert stores.writes() == {"shopify": 0, "bigcommerce": 0, "magento": 0}
    for secret in ("shpat_sandbox", "bc_sandbox", "mg_sandbox"):
        assert secret not in err


def test_a_read_only_token_is_refused_clearly_and_nothing_is_written(stores, tmp_path, monkeypatch, capsys):
    plan_with(stores, tmp_path, lambda p: [p.add(c, A, planned=2) for c in ("shopify", "bigcommerce", "magento")])
    code, out, err = cli(monkeypatch, capsys, env_for(stores, tmp_path / "wh.duckdb", write=False), "apply")
    assert code == 0
    assert stores.writes() == {"shopify": 0, "bigcommerce": 0, "magento": 0}
    lines = {line.split()[1]: line for line in out.strip().splitlines()}
    assert lines["shopify"].startswith("refused") and "ACCESS_DENIED" in lines["shopify"]
    assert "HTTP 403" in lines["bigcommerce"] and "HTTP 401" in lines["magento"]
    assert {r["result"] for r in audit(tmp_path / "wh.duckdb")} == {"refused"}
    assert "3 refused" in err


def test_dry_run_is_the_default_and_the_setting_turns_writing_on(stores, tmp_path, monkeypatch, capsys):
    plan_with(stores, tmp_path, lambda p: p.add("magento", A, planned=3))
    env = env_for(stores, tmp_path / "wh.duckdb")
    code, out, err = cli(monkeypatch, capsys, env)
    assert code == 0 and out.startswith("dry_run") and "dry run, nothing written" in err
    assert stores.writes()["magento"] == 0
    code, out, err = cli(monkeypatch, capsys, {**env, "INVENTORY_PUSH_APPLY": "true"}, "plan")
    assert stores.writes()["magento"] == 0  # plan never writes
    code, out, err = cli(monkeypatch, capsys, {**env, "INVENTORY_PUSH_APPLY": "true"})
    assert code == 0 and stores.writes()["magento"] == 1 and "applied: 1 applied" in err


def test_unusable_inputs_are_one_line_and_exit_2(stores, tmp_path, monkeypatch, capsys):
    env = env_for(stores, tmp_path / "wh.duckdb")
    code, _, err = cli(monkeypatch, capsys, env, "apply")
    assert code == 2 and err.strip() == f"inventory-push: no DuckDB warehouse at {tmp_path / 'wh.duckdb'} (set " \
                                        "WAREHOUSE_PATH; run the sync first)"
    plan = PlanBuilder(stores)
    plan.add("shopify", A, planned=1)
    plan.write(tmp_path / "wh.duckdb", columns={k: v for k, v in COLUMNS.items() if k != "observed_sync_run"})
    code, _, err = cli(monkeypatch, capsys, env, "apply")
    assert code == 2 and "lacks columns: observed_sync_run" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(monkeypatch, capsys, {**env, "INVENTORY_PUSH_MAX_CHANGES": "many"}, "apply")
    assert code == 2 and err.strip() == "inventory-push: INVENTORY_PUSH_MAX_CHANGES must be a number, got 'many'"
    code, _, err = cli(monkeypatch, capsys, {**env, "INVENTORY_PUSH_SETTLE_SECONDS": "amazon:30"}, "apply")
    assert code == 2 and err.strip() == ("inventory-push: INVENTORY_PUSH_SETTLE_SECONDS: unknown channel 'amazon' "
                                         "(known: shopify, bigcommerce, magento)")
    code, _, err = cli(monkeypatch, capsys, {**env, "INVENTORY_PUSH_SETTLE_SECONDS": "bigcommerce:soon"}, "apply")
    assert code == 2 and "INVENTORY_PUSH_SETTLE_SECONDS must be seconds" in err and len(err.strip().splitlines()) == 1
    assert stores.writes() == {"shopify": 0, "bigcommerce": 0, "magento": 0}


def test_the_settle_time_is_per_channel() -> None:
    """By default only BigCommerce, whose Inventory API may show a write late, waits after our write."""
    default = Settings.from_env({})
    assert [default.settle_for(c) for c in ("shopify", "bigcommerce", "magento")] == [0, 120, 0]
    every = Settings.from_env({"INVENTORY_PUSH_SETTLE_SECONDS": "90"})
    assert [every.settle_for(c) for c in ("shopify", "bigcommerce", "magento")] == [90, 90, 90]
    mixed = Settings.from_env({"INVENTORY_PUSH_SETTLE_SECONDS": "30, Shopify:5"})
    assert [mixed.settle_for(c) for c in ("shopify", "bigcommerce", "magento")] == [5, 30, 30]
