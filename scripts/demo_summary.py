"""Print a short, readable summary of the inventory mart after the demo job.

It also checks the mart against each sandbox store's ground truth, so the demo shows the
one thing that matters: the warehouse holds exactly what the stores hold.
"""

from __future__ import annotations

import argparse

import duckdb
import requests

QUANTITIES = ("available", "on_hand", "committed", "reserved", "incoming", "damaged", "quality_control", "safety_stock")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument(
        "--source", action="append", required=True, metavar="CHANNEL=STORE@URL",
        help="a sandbox store to compare with, e.g. shopify=demo-store@http://127.0.0.1:8000 (repeatable)",
    )
    args = parser.parse_args()
    con = duckdb.connect(args.warehouse, read_only=True)

    by_location = con.execute(
        """
        select channel, location_name, is_active, count(*) as levels, sum(available) as available,
               sum(on_hand) as on_hand
        from analytics.fct_inventory_levels group by all order by channel, location_name
        """
    ).fetchall()
    print(f"\n{'channel':<13}{'location':<28}{'active':>7}{'levels':>8}{'available':>11}{'on hand':>10}")
    for channel, name, active, levels, available, on_hand in by_location:
        on_hand_text = "-" if on_hand is None else str(on_hand)
        print(f"{channel:<13}{name:<28}{'yes' if active else 'no':>7}{levels:>8}{available:>11}{on_hand_text:>10}")

    out_of_stock = con.execute(
        """
        select channel, count(*) from (
            select channel, store_id, inventory_item_id from analytics.fct_inventory_levels
            group by all having sum(available) <= 0)
        group by channel order by channel
        """
    ).fetchall()
    print("\nitems with nothing available anywhere: " + ", ".join(f"{c} {n}" for c, n in out_of_stock))

    all_same = True
    for source in args.source:
        channel, rest = source.split("=", 1)
        store, url = rest.split("@", 1)
        rows = con.execute(
            f"select location_id, inventory_item_id, {', '.join(QUANTITIES)} from analytics.fct_inventory_levels "
            "where channel = ? and store_id = ?",
            [channel, store],
        ).fetchall()
        mart = {(r[0], r[1]): r[2:] for r in rows}
        truth_rows = requests.get(f"{url}/_sandbox/truth", params={"store": store}, timeout=120).json()
        truth = {
            (r["location_id"], r["inventory_item_id"]): tuple(r.get(q) for q in QUANTITIES)
            for r in truth_rows["inventory_levels"]
        }
        same = mart == truth
        all_same &= same
        print(f"{channel} store {store}: {len(mart)} levels in the mart, {len(truth)} in the store -> "
              f"{'identical' if same else 'DIFFERENT'}")
    return 0 if all_same else 1


if __name__ == "__main__":
    raise SystemExit(main())
