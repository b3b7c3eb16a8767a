"""Print a short, readable summary of the inventory mart after the demo job.

It also checks the mart against each sandbox store's ground truth, so the demo shows the
one thing that matters: the warehouse holds exactly what the stores hold. With the shared catalog
(`--catalog shared`) it prints the accuracy KPI and the top risks, and checks that the marts flag
exactly the discrepancies and oversell risks the sandboxes seeded (`GET /_sandbox/scenario`).
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

    all_same = print_reconciliation(con, args.source)
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


def print_reconciliation(con, sources: list[str]) -> bool:
    """The accuracy KPI, top risks and anomalies; True when the marts flag exactly the seeded cases."""
    kpi = con.execute(
        "select period_start, skus_compared, skus_accurate, accuracy from analytics.mart_inventory_accuracy "
        "where grain = 'run' order by period_start desc limit 1").fetchone()
    if kpi is None:
        print("\ninventory accuracy: no SKUs compared yet")
        return True
    _, compared, accurate, accuracy = kpi
    verdict = "meets" if accuracy is not None and accuracy > 0.99 else "BELOW"
    print(f"\ninventory accuracy: {accurate}/{compared} SKUs agree with the system of record on every channel "
          f"= {accuracy:.2%} ({verdict} the 99 % target)")
    risks = con.execute(
        "select sku, channel, store_id, risk_reason, sellable_quantity, record_quantity, excess_units "
        "from analytics.fct_oversell_risk order by excess_units desc, sku, channel limit 10").fetchall()
    print("top oversell risks:" if risks else "top oversell risks: none")
    for sku, channel, store, reason, sellable, record, excess in risks:
        print(f"  {sku:<14}{channel + '/' + store:<26}{reason:<34}sellable {sellable:>5}  record "
              f"{'-' if record is None else record:>5}  excess {excess:>4}")
    disagreements = con.execute(
        "select sku, channel, difference from analytics.fct_inventory_discrepancies where is_discrepancy "
        "order by abs(difference) desc, sku limit 10").fetchall()
    print("disagreements with the system of record: "
          + (", ".join(f"{sku} {channel} {diff:+d}" for sku, channel, diff in disagreements) or "none"))
    anomalies = con.execute(
        "select anomaly_type, count(*) from analytics.fct_inventory_anomalies group by 1 order by 1").fetchall()
    print("anomalies: " + (", ".join(f"{kind} {n}" for kind, n in anomalies) or "none"))
    return flags_match_scenario(con, sources)


def flags_match_scenario(con, sources: list[str]) -> bool:
    """Compare the flagged discrepancies and risks with the cases each shared-catalog sandbox seeded."""
    seeded: list[dict] = []
    for source in sources:
        url = source.split("@", 1)[1]
        scenario = requests.get(f"{url}/_sandbox/scenario", timeout=60).json()
        if scenario.get("catalog") != "shared":
            return True  # each platform its own SKUs: nothing was seeded to compare with
        seeded += [c for store in scenario["stores"].values() for c in store["cases"]]
    expected_flags = {(c["sku"], c["channel"]) for c in seeded if c["kind"] in ("discrepancy", "above_system_of_record")}
    expected_risks = {(c["sku"], c["channel"], c["kind"]) for c in seeded
                      if c["kind"] in ("above_system_of_record", "continue_with_nothing_available")}
    flags = set(con.execute("select sku, channel from analytics.fct_inventory_discrepancies "
                            "where is_discrepancy").fetchall())
    risks = set(con.execute("select sku, channel, risk_reason from analytics.fct_oversell_risk").fetchall())
    same = flags == expected_flags and risks == expected_risks
    print(f"seeded cases: {len(expected_flags)} discrepancies, {len(expected_risks)} oversell risks -> "
          f"{'all found, nothing else flagged' if same else 'MISMATCH'}")
    return same


if __name__ == "__main__":
    raise SystemExit(main())
