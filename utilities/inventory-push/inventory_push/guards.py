"""Guards: when the inputs look wrong, refuse the whole run (one line, nothing written), in dry run too.

1. The system of record's data is stale (older than ``max_record_age_minutes``), of unknown age, or came from an
   incomplete run (``record_sync_complete`` false): ``system_of_record`` rows only.
2. More than ``max_changes`` changes.
3. A change larger than ``max_change_units`` units for a SKU, or larger than ``max_change_percent`` % of what
   the channel showed (when it showed more than 0 and the change is at least ``max_change_percent_min_units``).
4. A channel would go from stock to zero for more than ``max_zero_out_percent`` % of the SKUs it shows in stock
   (and for at least two of them): per SKU, over all its locations on the channel store.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from .plan import PlanRow
from .settings import PREFIX, Settings


class Refused(Exception):
    """The one line saying why the run is refused."""


def check(rows: list[PlanRow], settings: Settings, now: datetime) -> None:
    actions = [r for r in rows if r.acts]
    if not actions:
        return
    record = [r for r in actions if r.mode == "system_of_record"]
    if record:
        if any(r.record_sync_complete is False for r in record):
            raise Refused("the system of record's last sync was incomplete: refusing to push from partial data")
        stamps = [r.record_synced_at for r in record]
        if any(s is None for s in stamps):
            raise Refused("the plan does not say when the system of record was last synced (record_synced_at is "
                          "null): refusing to push")
        age = (now - min(stamps)).total_seconds() / 60
        if age > settings.max_record_age_minutes:
            raise Refused(f"the system of record's data is {age:.0f} minutes old, more than "
                          f"{settings.max_record_age_minutes:g} ({PREFIX}MAX_RECORD_AGE_MINUTES)")
    if len(actions) > settings.max_changes:
        raise Refused(f"{len(actions)} changes planned, more than {settings.max_changes} ({PREFIX}MAX_CHANGES)")
    for r in actions:
        size = abs(r.delta)
        where = f"{r.channel} {r.store_id} {r.location_id} {r.sku}"
        if size > settings.max_change_units:
            raise Refused(f"{where}: {r.observed_quantity} -> {r.planned_quantity} changes {size} units, more than "
                          f"{settings.max_change_units} ({PREFIX}MAX_CHANGE_UNITS)")
        if r.observed_quantity > 0 and size >= settings.max_change_percent_min_units:
            percent = size / r.observed_quantity * 100
            if percent > settings.max_change_percent:
                raise Refused(f"{where}: {r.observed_quantity} -> {r.planned_quantity} is a {percent:.0f} % change, "
                              f"more than {settings.max_change_percent:g} % ({PREFIX}MAX_CHANGE_PERCENT)")
    # A SKU goes from stock to zero on a channel store when all its locations there showed more than 0 in all and
    # will show 0 in all (a SKU at several locations counts once, however many of them the plan lowers).
    shown: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])  # channel, store, sku -> now, after
    for r in rows:
        totals = shown[r.channel, r.store_id, r.sku]
        totals[0] += r.observed_quantity
        totals[1] += r.planned_quantity if r.acts else r.observed_quantity
    in_stock: dict[tuple[str, str], int] = defaultdict(int)
    zeroed: dict[tuple[str, str], int] = defaultdict(int)
    for (channel, store_id, _), (now_shown, after) in shown.items():
        if now_shown > 0:
            in_stock[channel, store_id] += 1
            zeroed[channel, store_id] += after <= 0
    for key, n in sorted(zeroed.items()):
        share = n / in_stock[key] * 100
        if n >= 2 and share > settings.max_zero_out_percent:
            raise Refused(f"{key[0]} {key[1]} would go from stock to zero for {n} of its {in_stock[key]} SKUs in stock "
                          f"({share:.0f} %), more than {settings.max_zero_out_percent:g} % "
                          f"({PREFIX}MAX_ZERO_OUT_PERCENT)")
