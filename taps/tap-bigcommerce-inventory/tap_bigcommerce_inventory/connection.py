"""`--test`: one clear answer per stream for a person with new credentials, before the first sync.

Each stream reads at most two records (the SDK's dry run limit), with few retries so a wrong URL answers in
seconds. Every stream gets a line on stderr (stdout keeps the Singer messages) saying whether it is reachable,
whether the token lacks a scope (named), or whether the token or store is wrong; then one verdict. The exit
code is 1 when any stream cannot sync.
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
    ("bad credentials", re.compile(r"HTTP 401"), "check access_token (and that it belongs to this store_hash)"),
    ("missing scope", re.compile(r"missing scope (?P<scope>[\w, ]+?) \("),
     "create an API account with those read-only scopes (an account's scopes cannot be changed) and use its token"),
    ("store not found", re.compile(r"HTTP 404"), "check store_hash and api_url"),
    ("unreachable", re.compile(r"could not get an answer|expected JSON"), "check api_url and the network"),
)
#: Streams the tap writes itself, without a request.
LOCAL_STREAMS = ("sync_runs",)


@dataclass
class Check:
    stream: str
    outcome: str  # "ok", "no request", or one of OUTCOMES
    detail: str
    advice: str = ""
    scope: str = ""


def check_stream(stream: Stream) -> Check:
    """Read the stream's first records; classify the failure from the tap's one-line error."""
    if stream.name in LOCAL_STREAMS:
        return Check(stream.name, "no request", "written by the tap from the other streams")
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
    width = max(len(c.stream) for c in checks)
    print(f"Connection test of {tap.name} for store {tap.config.get('store_hash')}:", file=out)
    for c in checks:
        label = "OK" if c.outcome in {"ok", "no request"} else c.outcome.upper()
        print(f"  {c.stream:<{width}}  {label}: {c.detail}", file=out)
    failed = [c for c in checks if c.outcome not in {"ok", "no request"}]
    if not failed:
        print(f"Ready: every stream can sync ({len(checks)} streams).", file=out)
        return True
    scopes = sorted({s.strip() for c in failed for s in c.scope.split(",") if s.strip()})
    advice = sorted({c.advice for c in failed if c.advice})
    what = f"missing scopes {', '.join(scopes)}; " if scopes else ""
    print(f"Cannot sync {len(failed)} of {len(checks)} streams: {what}{'; '.join(advice) or 'see above'}.", file=out)
    return False
