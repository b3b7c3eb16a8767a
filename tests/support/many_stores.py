"""Proofs shared by the many-stores tests (serial job and Airflow fan-out): per store and per channel against the
sandbox stores' ground truth, on any warehouse (`rows(sql)` as in support.mart)."""

from __future__ import annotations

from dataclasses import replace

from support.mart import Channel, Rows, mart_levels, truth_levels


def assert_channel_equals_stores(rows: Rows, sandbox, channel: Channel, stores: list[str]) -> dict[str, int]:
    """The channel's mart levels are exactly the union of its stores' ground truths; rows per store."""
    mart = mart_levels(rows, channel)
    truth: dict[tuple, dict] = {}
    for store in stores:
        truth.update(truth_levels(sandbox, replace(channel, store=store)))
    missing, extra = truth.keys() - mart.keys(), mart.keys() - truth.keys()
    differ = [k for k in truth.keys() & mart.keys() if truth[k] != mart[k]]
    assert not missing and not extra and not differ, (
        f"{channel.name}: {len(missing)} missing, {len(extra)} extra, {len(differ)} differ; "
        f"e.g. {sorted(missing)[:2]} {sorted(extra)[:2]} {differ[:2]}")
    return {store: sum(1 for k in mart if k[0] == store) for store in stores}


def assert_raw_equals_stores(rows: Rows, schema: str, sandbox, stores: list[str]) -> None:
    """Raw levels (the loader upserts on the key) hold each store's current quantities, nothing else."""
    found = rows(f"select store_id, location_id, inventory_item_id, available, on_hand from {schema}.inventory_levels")
    raw = {(r["store_id"], r["location_id"], r["inventory_item_id"]): (r["available"], r["on_hand"]) for r in found}
    assert len(raw) == len(found), f"duplicate levels in {schema}"
    truth = {(r["store_id"], r["location_id"], r["inventory_item_id"]): (r["available"], r["on_hand"])
             for store in stores for r in sandbox.truth(store)["inventory_levels"]}
    assert raw == truth, f"{schema}: {len(truth.keys() - raw.keys())} missing, {len(raw.keys() - truth.keys())} extra"


def raw_levels_per_store(rows: Rows, schema: str, since: str | None = None) -> dict[str, int]:
    where = f"where synced_at > '{since}'" if since else ""
    found = rows(f"select store_id, count(*) as n from {schema}.inventory_levels {where} group by store_id")
    return {r["store_id"]: r["n"] for r in found}
