"""One alerts run: read the conditions, and tell each destination what is new, changed or resolved for it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from . import conditions, memory, notify
from .settings import Settings
from .warehouse import Warehouse

log = logging.getLogger("inventory_alerts")


@dataclass
class Outcome:
    open_conditions: int
    sent: dict[str, bool]  # destination -> delivered (only destinations that had news)


def run(settings: Settings) -> Outcome:
    destinations = {}
    if settings.smtp_host:
        destinations["email"] = lambda title, text: notify.send_email(settings, title, text)
    if settings.webhook_url:
        destinations["webhook"] = lambda title, text: notify.send_webhook(settings, title, text)

    with Warehouse(settings) as wh:
        now, kinds_read = conditions.current(wh, settings)
        counts = ", ".join(f"{sum(c.kind == k for c in now)} {conditions.KINDS[k].lower()}" for k in sorted(kinds_read))
        log.info("alerts: %d open conditions in %s (%s)", len(now), wh.name, counts or "nothing could be read")
        if not destinations:
            log.info("alerts: no email (SMTP host) or webhook configured: nothing sent")
            return Outcome(len(now), {})
        memory.ensure(wh, settings.memory_schema)
        sent: dict[str, bool] = {}
        for name, send in destinations.items():
            changes = memory.diff(now, kinds_read, memory.open_conditions(wh, settings.memory_schema, name))
            if not changes:
                log.info("alerts: %s: nothing new, changed or resolved", name)
                continue
            title = notify.subject(changes)
            text = notify.body(changes, wh.name, settings.max_lines)
            target = f"{name} to {', '.join(settings.email_to)}" if name == "email" else name
            sent[name] = notify.deliver(target, lambda: send(title, text), settings)
            if sent[name]:
                memory.remember(wh, settings.memory_schema, name, changes)
                log.info("alerts: %s sent: %s", target, title.removeprefix("Inventory alerts: "))
        return Outcome(len(now), sent)
