"""`--test`: one clear answer per stream for a person with new credentials, before the first sync.

Each stream reads at most two records (the SDK's dry run limit), with few retries so a wrong URL answers in
seconds. Every stream gets a line on stderr (stdout keeps the Singer messages) saying whether it is reachable,
whether the integration lacks an ACL resource (named), or whether the credentials or URL are wrong; then one
verdict. The exit code is 1 when any stream cannot sync.

Magento answers 401 "The consumer isn't authorized to access <resource>" both for wrong credentials and for a
missing ACL resource. One stream refused while another was read means a missing resource; every stream refused
means the credentials (or an integration without any of the resources).
"""

from __future__ import annotations

import re
import sys
import typing as t
from dataclasses import dataclass

from singer_sdk.exceptions import AbortedSyncFailedException, AbortedSyncPausedException

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.streams import Stream

#: Retries and timeout during the check: a fast answer beats a patient one here.
CHECK_MAX_RETRIES = 1
CHECK_TIMEOUT = 15

#: (outcome, pattern in the tap's one-line error, what to do). First match wins.
OUTCOMES = (
    ("missing ACL resource", re.compile(r"HTTP 401: .*needs ACL resource (?P<scope>[\w:]+)"),
     "tick them in the integration's API resources (System > Extensions > Integrations) and reactivate it"),
    ("store not found", re.compile(r"HTTP 404|not a Magento REST endpoint"), "check base_url and store_code"),
    ("unreachable", re.compile(r"gave up after|could not get an answer"), "check base_url and the network"),
)
BAD_CREDENTIALS = (
    "bad credentials",
    "check access_token (or the OAuth settings) and auth_method; with Bearer, Magento 2.4.4+ needs 'Allow OAuth "
    "Access Tokens to be used as standalone Bearer tokens'",
)


def without_request(stream: Stream) -> str | None:
    """Why a stream sends no request in this configuration (None: it does)."""
    if stream.name == "sync_runs":
        return "written by the tap from the other streams"
    if stream.name == "salable_quantities" and not stream.config.get("include_salable_quantity"):
        return "off (include_salable_quantity is false)"
    return None


@dataclass
class Check:
    stream: str
    outcome: str  # "ok", "no request", or one of OUTCOMES
    detail: str
    advice: str = ""
    scope: str = ""


def check_stream(stream: Stream) -> Check:
    """Read the stream's first records; classify the failure from the tap's one-line error."""
    if reason := without_request(stream):
        return Check(stream.name, "no request", reason)
    seen = 0
    read = stream.get_records

    def counted(context: t.Any) -> t.Iterator[dict]:  # noqa: ANN401
        nonlocal seen
        for row in read(context):
            seen += 1
            yield row

    stream.get_records = counted  # type: ignore[method-assign]
    stream.ABORT_AT_RECORD_COUNT = 1
    stream.selected = True
    try:
        stream.sync()
    except (AbortedSyncFailedException, AbortedSyncPausedException):
        pass  # the record limit was reached: reading works
    except Exception as exc:  # noqa: BLE001 - every failure becomes one classified line
        message = " ".join(str(exc).split()) or type(exc).__name__
        for outcome, pattern, advice in OUTCOMES:
            if found := pattern.search(message):
                return Check(stream.name, outcome, message, advice, found.groupdict().get("scope") or "")
        return Check(stream.name, "failed", message)
    return Check(stream.name, "ok", "reachable, records read" if seen else "reachable, no records yet")


def connection_test(tap: Tap, out: t.TextIO = sys.stderr) -> bool:
    """Check every stream, print one line each and a verdict; True when every stream can sync."""
    for stream in tap.streams.values():
        stream._config.update(  # noqa: SLF001 - the check's own retry budget, never written anywhere
            max_retries=min(int(stream.config.get("max_retries", 8)), CHECK_MAX_RETRIES),
            request_timeout=min(int(stream.config.get("request_timeout", 60)), CHECK_TIMEOUT),
        )
    checks = [check_stream(stream) for stream in tap.streams.values()]
    refused = [c for c in checks if c.outcome == "missing ACL resource"]
    if refused and not any(c.outcome == "ok" for c in checks):
        for c in refused:  # nothing could be read: the credentials, not one resource
            c.outcome, c.advice, c.scope = *BAD_CREDENTIALS, ""
    width = max(len(c.stream) for c in checks)
    print(f"Connection test of {tap.name} for store {tap.config.get('store_id') or tap.config.get('base_url')}:", file=out)
    for c in checks:
        label = "OK" if c.outcome in {"ok", "no request"} else c.outcome.upper()
        print(f"  {c.stream:<{width}}  {label}: {c.detail}", file=out)
    failed = [c for c in checks if c.outcome not in {"ok", "no request"}]
    if not failed:
        print(f"Ready: every stream can sync ({len(checks)} streams).", file=out)
        return True
    scopes = sorted({s.strip() for c in failed for s in c.scope.split(",") if s.strip()})
    advice = sorted({c.advice for c in failed if c.advice})
    what = f"missing ACL resources {', '.join(scopes)}; " if scopes else ""
    print(f"Cannot sync {len(failed)} of {len(checks)} streams: {what}{'; '.join(advice) or 'see above'}.", file=out)
    return False
