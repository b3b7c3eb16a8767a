"""One push run: read the plan, check the guards, then print and record it (dry run) or write each channel.

Order of a run: read the plan; refuse the whole run if a guard says so (nothing written to any channel, the
refusal recorded in ``push_runs``); then, per plan row, decide before any request:
  held          the plan holds it back (``hold_reason``)
  already_done  an earlier run took this plan row to a final result (idempotence)
  settling      the plan observed the level before our own last write to it had settled (``settle_seconds`` of
                its channel; a read from before the write never counts): a lagging read must not be taken for
                the truth
  no_credentials  no store settings for its channel and store
and write the rest, channel by channel, recording every row's result in ``push_log``.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from . import audit, guards
from . import plan as plans
from .audit import Entry
from .bigcommerce import BigCommerceWriter
from .magento import MagentoWriter
from .settings import Settings
from .shopify import ShopifyWriter
from .warehouse import Warehouse

log = logging.getLogger("inventory_push")
WRITERS = {"shopify": ShopifyWriter, "bigcommerce": BigCommerceWriter, "magento": MagentoWriter}


@dataclass
class Outcome:
    run_id: str
    dry_run: bool
    refused: str | None = None
    entries: list[Entry] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(e.result for e in self.entries)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def writers(settings: Settings) -> dict:
    return {channel: cls(settings.store(channel), settings) for channel, cls in WRITERS.items()
            if settings.store(channel) is not None}


def run(settings: Settings, apply: bool) -> Outcome:
    run_id = uuid.uuid4().hex
    dry_run = not apply
    with Warehouse(settings) as wh:
        rows = plans.read(wh, settings.schema, settings.plan_table)
        schema = settings.audit_schema
        audit.ensure(wh, schema)
        plan_id = rows[0].plan_id if rows else None
        started = now_utc()
        audit.start_run(wh, schema, run_id, plan_id, dry_run, started)
        outcome = Outcome(run_id, dry_run)
        try:
            guards.check(rows, settings, started)
        except guards.Refused as exc:
            outcome.refused = str(exc)
            audit.finish_run(wh, schema, run_id, "refused", outcome.refused, {}, now_utc())
            return outcome
        done = audit.final_rows(wh, schema, plan_id) if plan_id else set()
        decided, to_write = decide(rows, settings, dry_run, done, audit.last_writes(wh, schema))
        audit.record(wh, schema, run_id, decided, dry_run, now_utc())
        outcome.entries.extend(decided)
        chosen = writers(settings) if to_write else {}
        for channel, channel_rows in to_write.items():  # each channel's results are recorded as soon as it is done
            entries = chosen[channel].write(channel_rows, plan_id)
            audit.record(wh, schema, run_id, entries, dry_run, now_utc())
            outcome.entries.extend(entries)
        counts = outcome.counts
        failed = counts["error"] + counts["unknown"]
        audit.finish_run(wh, schema, run_id, "failed" if failed else "ok", summary(outcome),
                         {**counts, "actions": sum(1 for r in rows if r.acts)}, now_utc())
    return outcome


def decide(rows: list, settings: Settings, dry_run: bool, done: set[str], last: dict
           ) -> tuple[list[Entry], dict[str, list]]:
    """The rows settled before any request (held, already done, settling, no credentials, dry run), and the rows
    to write per channel."""
    decided: list[Entry] = []
    to_write: dict[str, list] = {}
    for row in rows:
        if row.hold_reason:
            decided.append(Entry(row, "held", detail=row.hold_reason))
            continue
        if not row.acts:
            continue
        written = plans.utc(last.get(row.level))
        settle = settings.settle_for(row.channel)
        store = settings.store(row.channel)
        if row.plan_row_id in done:
            decided.append(Entry(row, "already_done", detail="an earlier run has a final result for this plan row"))
        elif written is not None and (row.observed_at is None or row.observed_at < written + timedelta(seconds=settle)):
            decided.append(Entry(row, "settling", detail=f"observed at {row.observed_at}, before our write at "
                                                         f"{written} had settled ({settle:g} s)"))
        elif store is None or store.store_id != row.store_id:
            decided.append(Entry(row, "no_credentials", detail=f"no {row.channel} settings for store {row.store_id}"))
        elif dry_run:
            decided.append(Entry(row, "dry_run", detail=f"{row.observed_quantity} -> {row.planned_quantity}"))
        else:
            to_write.setdefault(row.channel, []).append(row)
    return decided, to_write


def summary(outcome: Outcome) -> str:
    counts = outcome.counts
    order = ("applied", "dry_run", "stale", "refused", "unknown", "error", "held", "settling", "already_done",
             "no_credentials")
    parts = [f"{counts[k]} {k.replace('_', ' ')}" for k in order if counts[k]]
    return ", ".join(parts) or "nothing to do"
