"""Print a short, readable summary of the inventory mart after the demo job.

It also checks the mart against each sandbox store's ground truth, so the demo shows the
one thing that matters: the warehouse holds exactly what the stores hold. With the shared catalog
(`--catalog shared`) it prints the accuracy KPI and the top risks, and checks that the marts flag
exactly the discrepancies and oversell risks the sandboxes seeded (`GET /_sandbox/scenario`). It
shows how the shop is stocked (sold out, running low, value per channel and currency) and the
projected stock-outs of the health report, which must not be empty: the demo sells for a simulated
week between its two syncs, so the forecast has a history to read.
"""

from __future__ import annotations

import argparse
import datetime as dt

import duckdb
import requests
from inventory_alerts.settings import Settings

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

    print_stock(con)
    all_same = print_reconciliation(con, args.source)
    all_same &= print_forecast(con)
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


def print_stock(con) -> None:
    """How the shop is stocked per channel: SKUs it tracks, sold out, running low; the value of what is on hand."""
    rows = con.execute(
        """
        select channel, count(*), count(*) filter (where sellable_quantity <= 0),
               count(*) filter (where sellable_quantity between 1 and 9), sum(greatest(sellable_quantity, 0))
        from analytics.fct_sku_channel_availability group by channel order by channel
        """
    ).fetchall()
    print(f"\n{'channel':<13}{'SKUs tracked':>13}{'sold out':>10}{'1-9 left':>10}{'units to sell':>15}")
    for channel, skus, sold_out, low, units in rows:
        print(f"{channel:<13}{skus:>13}{sold_out:>10}{low:>10}{units:>15}")
    # Each channel store shows the same physical stock: its value is the system of record's; every channel's items
    # say which currency their cost is in (Shopify's items without a unit cost have none).
    value = con.execute(
        """
        select rec.record_channel is not null as is_record, levels.channel, levels.store_id, levels.currency,
               sum(levels.on_hand_value), count(*) filter (where levels.unit_cost is null)
        from analytics.fct_inventory_valuation as levels
        left join (select distinct record_channel, record_store_id from analytics.fct_inventory_discrepancies) as rec
            on levels.channel = rec.record_channel and levels.store_id = rec.record_store_id
        where levels.on_hand > 0 group by all order by is_record desc, 2, 4
        """).fetchall()
    currencies = sorted({(channel, currency) for _, channel, _, currency, _, _ in value if currency})
    print("currency of item costs: " + ", ".join(f"{channel} {currency}" for channel, currency in currencies))
    for _, channel, store, currency, total, unpriced in [row for row in value if row[0] and row[4] is not None]:
        print(f"on-hand value at cost, system of record {channel}/{store}: {total:,.2f} {currency}"
              + (f" ({unpriced} stocked levels without a cost)" if unpriced else ""))


def print_forecast(con) -> bool:
    """The health report's "Projected stock-outs" rows (same rule, same horizon); True when there is one."""
    days = Settings.from_env().stockout_days
    horizon = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)
    rows = con.execute(
        "select sku, channel, sellable_quantity, units_per_day, projected_stockout_date "
        "from analytics.fct_stockout_forecast where projected_stockout_date <= ? "
        "order by projected_stockout_date, sku, channel", [horizon]).fetchall()
    per_channel: dict[str, list[int]] = {}
    for _, channel, sellable, *_rest in rows:
        counts = per_channel.setdefault(channel, [0, 0])
        counts[sellable > 0] += 1
    print(f"\nprojected stock-outs in the next {days} days (sold out already + still selling): "
          + (", ".join(f"{c} {out} + {selling}" for c, (out, selling) in sorted(per_channel.items()))
             or "NONE (the forecast section is empty)"))
    for sku, channel, sellable, per_day, when in [r for r in rows if r[2] > 0][:5]:
        print(f"  {sku:<14}{channel:<13}sellable {sellable:>4}  selling {per_day:5.2f}/day  runs out {when}")
    return bool(rows)


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
