"""The end-to-end story every warehouse must pass, with the jobs a user runs.

1. First sync: every channel's mart levels equal its store's ground truth.
2. Stock moves in all three stores: the next sync converges again (an upsert of changed rows).
3. A Shopify level is disconnected and an item deleted: the incremental sync cannot see it (the level
   stays), the nightly reconcile job's full snapshot removes both, and everything equals the truth again.

Step 3's middle pass (an incremental sync that cannot see a deletion) proves what the tap reads, not what the
warehouse does: DuckDB runs it, the other warehouses skip it (`warehouse_only=True`). The Snowflake emulator, where
a pass costs the most, also folds step 2 into step 3: the stock moves and the deletions then reach the warehouse in
one reconcile pass, which upserts the moved rows as an incremental one does.
"""

from __future__ import annotations

from collections.abc import Callable

from .mart import BIGCOMMERCE, MAGENTO, SHOPIFY, Rows, assert_all_channels_equal_truth, control, mart_levels


def sync_then_reconcile(run: Callable[..., object], rows: Rows, stores: dict[str, object], items: int,
                        after_first_sync: Callable[[], None] | None = None, *, warehouse_only: bool = False,
                        fold_moves_into_reconcile: bool = False) -> None:
    """`run()` runs one inventory-sync pass on the warehouse under test, `run("--reconcile")` the nightly one."""
    shopify = stores["shopify"]

    run()
    counts = assert_all_channels_equal_truth(rows, stores)
    assert counts["shopify"] > items  # most items are stocked at several locations
    staged_items = rows("select count(*) as n from analytics.stg_shopify__inventory_items")
    assert staged_items[0]["n"] == len(shopify.truth(SHOPIFY.store)["inventory_items"])
    if after_first_sync:
        after_first_sync()

    assert len(control(shopify, "stock", changes=25, seed=3)["changed"]) == 25
    assert len(stores["bigcommerce"].change_stock(BIGCOMMERCE.store, n=25, seed=3)) == 25
    assert len(stores["magento"].change_stock(MAGENTO.store, n=25, seed=3)) == 25
    if not fold_moves_into_reconcile:
        run()
        assert_all_channels_equal_truth(rows, stores)

    truth = shopify.truth(SHOPIFY.store)
    gone_level = truth["inventory_levels"][0]
    control(shopify, "disconnect", inventory_item_id=gone_level["inventory_item_id"],
            location_id=gone_level["location_id"])
    gone_item = truth["inventory_items"][-1]["inventory_item_id"]
    control(shopify, "delete_item", inventory_item_id=gone_item)
    key = (SHOPIFY.store, gone_level["location_id"], gone_level["inventory_item_id"])
    if not warehouse_only:
        run()
        assert key in mart_levels(rows), "an incremental sync cannot see a disconnected level"

    run("--reconcile")
    after = mart_levels(rows)
    assert key not in after
    assert not [k for k in after if k[2] == gone_item]
    assert_all_channels_equal_truth(rows, stores)
