"""The plan: ``<schema>.fct_inventory_push_plan`` (dbt), one row per channel x store x location x SKU.

The columns are the contract (README.md, "The plan"): what the channel should show, what it showed when last
observed, the native ids a write needs, and the system of record's freshness. The push reads them and nothing
else; a missing column is one line and exit 2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .settings import SettingsError
from .warehouse import Warehouse

CHANNELS = ("shopify", "bigcommerce", "magento")
MODES = ("system_of_record", "pooled")
REQUIRED = ("plan_id", "plan_row_id", "mode", "channel", "store_id", "location_id", "sku", "inventory_item_id",
            "variant_id", "product_id", "source_code", "observed_quantity", "observed_at", "observed_sync_run",
            "planned_quantity", "is_action", "hold_reason", "record_synced_at", "record_sync_complete")
OPTIONAL = ("inventory_tracking", "safety_stock")


@dataclass(frozen=True)
class PlanRow:
    plan_id: str
    plan_row_id: str
    mode: str
    channel: str
    store_id: str
    location_id: str
    sku: str
    inventory_item_id: str | None
    variant_id: str | None
    product_id: str | None
    source_code: str | None
    observed_quantity: int
    observed_at: datetime | None
    observed_sync_run: str | None
    planned_quantity: int
    is_action: bool
    hold_reason: str | None
    record_synced_at: datetime | None
    record_sync_complete: bool | None
    inventory_tracking: str | None = None
    safety_stock: int | None = None

    @property
    def delta(self) -> int:
        return self.planned_quantity - self.observed_quantity

    @property
    def acts(self) -> bool:
        """A change to push: an action the plan does not hold back."""
        return self.is_action and not self.hold_reason and self.delta != 0

    @property
    def level(self) -> tuple[str, str, str, str]:
        return (self.channel, self.store_id, self.location_id, self.sku)

    def on_fresh_read(self, now: int) -> tuple[PlanRow | None, str]:
        """The plan's change on top of what the level shows ``now`` (read just before writing), when the level
        fell since the plan observed it: the sales that moved it stand and the plan's change is added to them, as a
        relative adjustment would (never below 0). A level that rose is left alone (a return, a restock, or a read
        that predates our own write: the change would apply twice); so is one where nothing is left to write.
        Returns the row to write (observed = ``now``) or None, and why not."""
        if now > self.observed_quantity:
            return None, (f"re-read {now}: the level rose since the plan saw it (not a sale: a return, a restock, or "
                          "a read that predates a write), left to the next plan")
        planned = max(now + self.delta, 0)
        if planned == now:
            return None, f"re-read {now}: the plan's change ({self.delta:+d}) leaves nothing to write"
        return replace(self, observed_quantity=now, planned_quantity=planned), ""


def utc(value) -> datetime | None:
    """A timestamp as naive UTC (the warehouses differ: naive, aware, or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def read(wh: Warehouse, schema: str, table: str) -> list[PlanRow]:
    columns = set(wh.columns(schema, table))
    if not columns:
        raise SettingsError(f"no plan table {schema}.{table} in {wh.name} (build it: dbt build --select {table})")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise SettingsError(f"the plan table {schema}.{table} lacks columns: {', '.join(missing)} "
                            "(README.md, 'The plan')")
    wanted = [*REQUIRED, *(c for c in OPTIONAL if c in columns)]
    rows = []
    for r in wh.rows(f"select {', '.join(wanted)} from {schema}.{table} order by channel, store_id, location_id, sku"):
        channel = str(r["channel"]).lower()
        if channel not in CHANNELS:
            raise SettingsError(f"plan row {r['plan_row_id']}: unknown channel {r['channel']!r} "
                                f"(known: {', '.join(CHANNELS)})")
        if r["mode"] not in MODES:
            raise SettingsError(f"plan row {r['plan_row_id']}: unknown mode {r['mode']!r} (known: {', '.join(MODES)})")
        if r["planned_quantity"] is None or r["observed_quantity"] is None:
            raise SettingsError(f"plan row {r['plan_row_id']}: observed and planned quantities must not be null")
        rows.append(PlanRow(
            plan_id=str(r["plan_id"]), plan_row_id=str(r["plan_row_id"]), mode=r["mode"], channel=channel,
            store_id=str(r["store_id"]), location_id=str(r["location_id"]), sku=str(r["sku"]),
            inventory_item_id=_text(r["inventory_item_id"]), variant_id=_text(r["variant_id"]),
            product_id=_text(r["product_id"]), source_code=_text(r["source_code"]),
            observed_quantity=int(r["observed_quantity"]), observed_at=utc(r["observed_at"]),
            observed_sync_run=_text(r["observed_sync_run"]), planned_quantity=int(r["planned_quantity"]),
            is_action=bool(r["is_action"]), hold_reason=r["hold_reason"] or None,
            record_synced_at=utc(r["record_synced_at"]),
            record_sync_complete=None if r["record_sync_complete"] is None else bool(r["record_sync_complete"]),
            inventory_tracking=r.get("inventory_tracking"),
            safety_stock=None if r.get("safety_stock") is None else int(r["safety_stock"])))
    plan_ids = {row.plan_id for row in rows}
    if len(plan_ids) > 1:
        raise SettingsError(f"the plan table holds {len(plan_ids)} plans ({', '.join(sorted(plan_ids)[:3])}...); "
                            "one build of the plan at a time")
    return rows
