"""The audit in the warehouse (``<audit_schema>``, default ``push``), append-only:

``push_runs``  one row per run: run_id, plan_id, started_at, finished_at, dry_run, status (ok | refused | failed),
               message, and counts.
``push_log``   one row per plan row the run wrote, skipped or held: run_id, plan_id, plan_row_id, channel,
               store_id, location_id, sku, from_quantity (observed), to_quantity (planned), method, result,
               api_change_id (the platform's id for the change), detail, dry_run, at.

Results: ``applied``; ``stale`` (the channel moved since the plan observed it: the compare-and-set failed, the
re-read differed, or the relative change no longer fits; re-planned next cycle); ``refused`` (the platform said
no for another reason); ``unknown`` (the request may or may not have been applied: a timeout after sending);
``error`` (nothing was applied: tried again by the next run); ``held`` (the plan held it back); ``settling``
(observed before our own last write to that level had settled); ``no_credentials``; ``already_done`` (an earlier
run has a final result for this plan row); ``dry_run``.

A plan row with a final result (applied, stale, refused, unknown) is never written again: the same plan pushed
twice writes once. Nothing secret is ever written here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .plan import PlanRow
from .transport import Ambiguous, NotSent
from .warehouse import Warehouse

FINAL = ("applied", "stale", "refused", "unknown")


@dataclass
class Entry:
    row: PlanRow
    result: str
    method: str = ""
    api_change_id: str | None = None
    detail: str = ""


def resend_stale(entries: list[Entry], read: Callable[[list[PlanRow]], dict[str, int]],
                 send: Callable[[list[PlanRow]], list[Entry]]) -> list[Entry]:
    """A batch's ``stale`` rows re-read once (``read``: what each row's level shows now, by plan row id) and sent
    once more (``send``) as the plan's change on the fresh number (``PlanRow.on_fresh_read``); the others, and rows
    not resent, keep their first answer, with why in ``detail``. A resent row's entry says what the plan saw, what
    the channel showed and the first answer; its ``from_quantity`` is the fresh number."""
    stale = [e for e in entries if e.result == "stale"]
    if not stale:
        return entries
    try:
        fresh = read([e.row for e in stale])
    except (Ambiguous, NotSent) as exc:
        for e in stale:
            e.detail = f"{e.detail}; re-read failed ({exc})"
        return entries
    resend: list[PlanRow] = []
    for e in stale:
        now = fresh.get(e.row.plan_row_id)
        row, why_not = (None, "re-read: no such level") if now is None else e.row.on_fresh_read(now)
        if row is None:
            e.detail = f"{e.detail}; {why_not}"
        else:
            resend.append(row)
    if not resend:
        return entries
    was = {e.row.plan_row_id: e for e in stale}
    again = {}
    for e in send(resend):
        before = was[e.row.plan_row_id]
        note = (f"resent after a re-read: the plan saw {before.row.observed_quantity}, the channel showed "
                f"{e.row.observed_quantity}; the plan's change {before.row.delta:+d} applied to it "
                f"[first answer: {before.detail}]")
        e.detail = f"{note}; {e.detail}" if e.detail else note
        again[e.row.plan_row_id] = e
    return [again.get(e.row.plan_row_id, e) if e.result == "stale" else e for e in entries]


def ensure(wh: Warehouse, schema: str) -> None:
    wh.execute(f"create schema if not exists {schema}")
    wh.execute(f"create table if not exists {schema}.push_runs (run_id varchar(64) not null, plan_id varchar(200), "
               "started_at timestamp not null, finished_at timestamp, dry_run boolean not null, status varchar(16) "
               "not null, message varchar(2000), actions integer, applied integer, stale integer, refused integer, "
               "failed integer, held integer)")
    wh.execute(f"create table if not exists {schema}.push_log (run_id varchar(64) not null, plan_id varchar(200) "
               "not null, plan_row_id varchar(200) not null, channel varchar(32) not null, store_id varchar(200), "
               "location_id varchar(200), sku varchar(400), from_quantity integer, to_quantity integer, method "
               "varchar(32), result varchar(32) not null, api_change_id varchar(400), detail varchar(2000), dry_run "
               "boolean not null, at timestamp not null)")


def final_rows(wh: Warehouse, schema: str, plan_id: str) -> set[str]:
    """Plan rows of ``plan_id`` some earlier run took to a final result."""
    found = wh.rows(f"select distinct plan_row_id from {schema}.push_log where plan_id = ? and dry_run = false "
                    f"and result in ({', '.join('?' * len(FINAL))})", (plan_id, *FINAL))
    return {r["plan_row_id"] for r in found}


def last_writes(wh: Warehouse, schema: str) -> dict[tuple[str, str, str, str], datetime]:
    """When each level was last written by a push that applied (channel, store, location, SKU)."""
    found = wh.rows(f"select channel, store_id, location_id, sku, max(at) as at from {schema}.push_log "
                    "where result = 'applied' and dry_run = false group by channel, store_id, location_id, sku")
    return {(r["channel"], r["store_id"], r["location_id"], r["sku"]): r["at"] for r in found}


def record(wh: Warehouse, schema: str, run_id: str, entries: list[Entry], dry_run: bool, at: datetime) -> None:
    wh.executemany(
        f"insert into {schema}.push_log (run_id, plan_id, plan_row_id, channel, store_id, location_id, sku, "
        "from_quantity, to_quantity, method, result, api_change_id, detail, dry_run, at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(run_id, e.row.plan_id, e.row.plan_row_id, e.row.channel, e.row.store_id, e.row.location_id, e.row.sku,
          e.row.observed_quantity, e.row.planned_quantity, e.method, e.result, e.api_change_id, e.detail[:2000],
          dry_run, at) for e in entries])


def start_run(wh: Warehouse, schema: str, run_id: str, plan_id: str | None, dry_run: bool, at: datetime) -> None:
    wh.execute(f"insert into {schema}.push_runs (run_id, plan_id, started_at, dry_run, status) values (?, ?, ?, ?, ?)",
               (run_id, plan_id, at, dry_run, "running"))


def finish_run(wh: Warehouse, schema: str, run_id: str, status: str, message: str, counts: dict[str, int],
               at: datetime) -> None:
    wh.execute(f"update {schema}.push_runs set finished_at = ?, status = ?, message = ?, actions = ?, applied = ?, "
               "stale = ?, refused = ?, failed = ?, held = ? where run_id = ?",
               (at, status, message[:2000], counts.get("actions", 0), counts.get("applied", 0), counts.get("stale", 0),
                counts.get("refused", 0), counts.get("error", 0) + counts.get("unknown", 0), counts.get("held", 0),
                run_id))
