"""Print a short, readable summary of the inventory mart after the demo job.

It also checks the mart against the sandbox store's ground truth, so the demo shows
the one thing that matters: the warehouse holds exactly what the store holds.
"""

from __future__ import annotations

import argparse

import duckdb
import requests

QUANTITIES = ("available", "on_hand", "committed", "reserved", "incoming", "damaged", "quality_control", "safety_stock")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--sandbox", required=True, help="sandbox base URL, for the ground truth")
    parser.add_argument("--store", required=True)
    args = parser.parse_args()

    con = duckdb.connect(args.warehouse, read_only=True)
    by_location = con.execute(
        """
        select location_name, is_active, count(*) as levels, sum(available) as available, sum(on_hand) as on_hand
        from analytics.fct_inventory_levels group by all order by location_name
        """
    ).fetchall()
    print(f"\n{'location':<28}{'active':>8}{'levels':>9}{'available':>12}{'on hand':>10}")
    for name, active, levels, available, on_hand in by_location:
        print(f"{name:<28}{'yes' if active else 'no':>8}{levels:>9}{available:>12}{on_hand:>10}")

    out_of_stock = con.execute(
        """
        select count(*) from (
            select store_id, inventory_item_id from analytics.fct_inventory_levels
            group by all having sum(available) <= 0)
        """
    ).fetchone()[0]
    print(f"\nitems with nothing available anywhere: {out_of_stock}")

    mart = {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            f"select location_id, inventory_item_id, {', '.join(QUANTITIES)} from analytics.fct_inventory_levels"
        ).fetchall()
    }
    truth_rows = requests.get(f"{args.sandbox}/_sandbox/truth", params={"store": args.store}, timeout=60).json()
    truth = {(r["location_id"], r["inventory_item_id"]): tuple(r[q] for q in QUANTITIES) for r in truth_rows["inventory_levels"]}
    same = mart == truth
    print(f"mart vs sandbox ground truth: {len(mart)} levels in the mart, {len(truth)} in the store -> "
          f"{'identical' if same else 'DIFFERENT'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
