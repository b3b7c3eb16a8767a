"""One message per run and destination: email over SMTP and a Slack-compatible JSON webhook, with retries."""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage

from .conditions import KINDS, Condition
from .memory import Changes
from .settings import Settings

log = logging.getLogger("inventory_alerts")


def subject(changes: Changes) -> str:
    parts = [f"{len(items)} {label}" for label, items in
             (("new", changes.new), ("changed", changes.changed), ("resolved", changes.resolved)) if items]
    return "Inventory alerts: " + ", ".join(parts)


def body(changes: Changes, source: str, max_lines: int) -> str:
    lines = [f"Inventory alerts from {source}", ""]
    for title, items in (("NEW", changes.new), ("CHANGED", changes.changed), ("RESOLVED", changes.resolved)):
        if not items:
            continue
        lines.append(f"{title} ({len(items)})")
        for kind, label in KINDS.items():
            of_kind: list[Condition] = [c for c in items if c.kind == kind]
            if not of_kind:
                continue
            lines.append(f"  {label} ({len(of_kind)})")
            lines += [f"    - {c.summary}" for c in of_kind[:max_lines]]
            if len(of_kind) > max_lines:
                lines.append(f"    ... and {len(of_kind) - max_lines} more")
        lines.append("")
    lines.append("Sent once per new, changed or resolved condition; the mart has the full picture (docs/monitoring.md).")
    return "\n".join(lines)


def send_email(settings: Settings, title: str, text: str) -> None:
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = settings.email_from
    message["To"] = ", ".join(settings.email_to)
    message.set_content(text)
    context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    if settings.smtp_tls == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                timeout=settings.timeout_seconds, context=context)
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds)
    with client:
        if settings.smtp_tls == "starttls":
            client.starttls(context=context)
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
        client.send_message(message)


def send_webhook(settings: Settings, title: str, text: str) -> None:
    payload = {"text": f"*{title}*\n```\n{text}\n```"}
    request = urllib.request.Request(
        settings.webhook_url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=settings.timeout_seconds) as response:  # noqa: S310 (a setting)
        response.read()


def describe(exc: BaseException) -> str:
    """The error in one line, never the webhook URL (it is the secret) nor a password."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"{type(exc.reason).__name__}: {exc.reason}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP {exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
    return f"{type(exc).__name__}: {exc}"


def deliver(name: str, send: Callable[[], None], settings: Settings, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Try `send` up to `send_retries` times with a growing wait; log every failure; never raise."""
    for attempt in range(1, settings.send_retries + 1):
        try:
            send()
        except Exception as exc:  # noqa: BLE001 (any failure of a send is logged and retried, never fatal)
            final = attempt == settings.send_retries
            log.warning("alerts: %s failed (attempt %d of %d): %s%s", name, attempt, settings.send_retries,
                        describe(exc), "; giving up until the next run" if final else "")
            if not final:
                sleep(settings.retry_wait_seconds * attempt)
            continue
        return True
    return False
