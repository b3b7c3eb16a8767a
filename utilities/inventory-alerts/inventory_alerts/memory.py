"""What each destination was told, kept in the warehouse (`<memory_schema>.sent_alerts`, append-only).

One row per condition per message: `event` is new, changed or resolved. A condition is open for a
destination while its latest row there is not `resolved`. Only a delivered message is written, so a failed
send is tried again by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from .conditions import Condition
from .warehouse import Warehouse


@dataclass
class Changes:
    new: list[Condition] = field(default_factory=list)
    changed: list[Condition] = field(default_factory=list)
    resolved: list[Condition] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.new or self.changed or self.resolved)

    def events(self) -> list[tuple[str, Condition]]:
        return [("new", c) for c in self.new] + [("changed", c) for c in self.changed] + [("resolved", c) for c in self.resolved]


def ensure(wh: Warehouse, schema: str) -> None:
    wh.execute(f"create schema if not exists {schema}")
    wh.execute(
        f"create table if not exists {schema}.sent_alerts ("
        "sent_at timestamp not null, destination varchar(32) not null, condition_key varchar(1000) not null, "
        "kind varchar(32) not null, event varchar(16) not null, fingerprint varchar(200) not null, "
        "summary varchar(2000) not null)"
    )


def open_conditions(wh: Warehouse, schema: str, destination: str) -> dict[str, Condition]:
    rows = wh.rows(
        f"select condition_key, kind, event, fingerprint, summary from ("
        f"select *, row_number() over (partition by condition_key order by sent_at desc) as newest "
        f"from {schema}.sent_alerts where destination = ?) as latest where newest = 1 and event <> 'resolved'",
        (destination,),
    )
    return {r["condition_key"]: Condition(r["kind"], r["condition_key"], r["fingerprint"], r["summary"]) for r in rows}


def diff(now: list[Condition], kinds_read: set[str], told: dict[str, Condition]) -> Changes:
    changes = Changes()
    current = {c.key: c for c in now}
    for key, condition in current.items():
        if key not in told:
            changes.new.append(condition)
        elif told[key].fingerprint != condition.fingerprint:
            changes.changed.append(condition)
    changes.resolved = [c for key, c in told.items() if key not in current and c.kind in kinds_read]
    return changes


def remember(wh: Warehouse, schema: str, destination: str, changes: Changes) -> None:
    sent_at = datetime.now(timezone.utc).replace(tzinfo=None)
    wh.executemany(
        f"insert into {schema}.sent_alerts (sent_at, destination, condition_key, kind, event, fingerprint, summary) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [(sent_at, destination, c.key, c.kind, event, c.fingerprint, c.summary[:2000]) for event, c in changes.events()],
    )
