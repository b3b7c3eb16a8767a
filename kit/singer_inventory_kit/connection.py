"""`--test`: one clear answer per stream for a person with new credentials, before the first sync.

Each stream reads at most one record, with few retries so a wrong URL answers in seconds. Every stream gets a
line on stderr (stdout keeps the Singer messages) saying whether it is reachable, whether the credentials lack
an access right (named), or whether the credentials or the store are wrong; then one verdict. The exit code is 1
when any stream cannot sync.

A tap says how to read its own one-line errors: a `ConnectionTest` subclass lists the `outcomes` (a pattern in
the error, and what to do), names what the credentials can lack (`missing`) and may `review` the checks.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import typing as t
from dataclasses import dataclass

from singer_sdk.exceptions import AbortedSyncFailedException, AbortedSyncPausedException

from singer_inventory_kit.settings import MAX_RETRIES, REQUEST_TIMEOUT_SECONDS

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.streams import Stream

#: Retries and timeout during the check: a fast answer beats a patient one here.
CHECK_MAX_RETRIES = 1
CHECK_TIMEOUT = 15


class Outcome(t.NamedTuple):
    """One way a stream can fail the check: its name, the pattern in the tap's error line, what to do."""

    name: str
    pattern: re.Pattern[str]
    advice: str


@dataclass
class Check:
    """The answer for one stream."""

    stream: str
    outcome: str  # "ok", "no request", "failed" or the name of an Outcome
    detail: str
    advice: str = ""
    scope: str = ""  # the access right the error names (the pattern's `scope` group)

    @property
    def passed(self) -> bool:
        """Whether the stream can sync."""
        return self.outcome in {"ok", "no request"}


class ConnectionTest:
    """The check of one tap: every stream, one line each, one verdict."""

    #: First match wins; a `scope` group in the pattern names the missing access right.
    outcomes: t.ClassVar[tuple[Outcome, ...]] = ()
    #: What the verdict calls the access rights the credentials lack ("scopes", "ACL resources").
    missing: t.ClassVar[str] = "scopes"

    def __init__(self, tap: Tap, out: t.TextIO | None = None) -> None:
        """Check `tap`'s streams, writing to `out` (default: stderr)."""
        self.tap = tap
        self.out = out or sys.stderr

    def store_label(self) -> str:
        """How the header names the store."""
        return str(self.tap.store_id)  # type: ignore[attr-defined]

    def without_request(self, stream: Stream) -> str | None:  # noqa: PLR6301
        """Why a stream sends no request in this configuration (None: it does)."""
        if stream.name == "sync_runs":
            return "written by the tap from the other streams"
        return None

    def review(self, checks: list[Check]) -> None:
        """Adjust the verdicts once every stream was checked (the default keeps them)."""

    def check_stream(self, stream: Stream) -> Check:
        """Read the stream's first record; classify a failure from the tap's one-line error."""
        if reason := self.without_request(stream):
            return Check(stream.name, "no request", reason)
        seen = 0
        read = stream.get_records

        def counted(context: t.Any) -> t.Iterator[t.Any]:  # noqa: ANN401
            nonlocal seen
            for row in read(context):
                seen += 1
                yield row

        stream.get_records = counted  # type: ignore[method-assign]
        stream.ABORT_AT_RECORD_COUNT = 1
        stream.selected = True
        try:
            with _without_sync_error_line(stream.logger):
                stream.sync()
        except (AbortedSyncFailedException, AbortedSyncPausedException):
            pass  # the record limit was reached: reading works
        except Exception as exc:  # noqa: BLE001 - every failure becomes one classified line
            message = " ".join(str(exc).split()) or type(exc).__name__
            for outcome, pattern, advice in self.outcomes:
                if found := pattern.search(message):
                    return Check(stream.name, outcome, message, advice, found.groupdict().get("scope") or "")
            return Check(stream.name, "failed", message)
        return Check(stream.name, "ok", "reachable, records read" if seen else "reachable, no records yet")

    def run(self) -> bool:
        """Check every stream, print one line each and a verdict; True when every stream can sync."""
        streams = list(self.tap.streams.values())
        for stream in streams:
            stream._config.update(  # noqa: SLF001 - the check's own retry budget, never written anywhere
                max_retries=min(int(stream.config.get("max_retries", MAX_RETRIES)), CHECK_MAX_RETRIES),
                request_timeout=min(int(stream.config.get("request_timeout", REQUEST_TIMEOUT_SECONDS)), CHECK_TIMEOUT),
            )
        checks = [self.check_stream(stream) for stream in streams]
        self.review(checks)
        out = self.out
        width = max(len(c.stream) for c in checks)
        print(f"Connection test of {self.tap.name} for store {self.store_label()}:", file=out)
        for c in checks:
            label = "OK" if c.passed else c.outcome.upper()
            print(f"  {c.stream:<{width}}  {label}: {c.detail}", file=out)
        failed = [c for c in checks if not c.passed]
        if not failed:
            print(f"Ready: every stream can sync ({len(checks)} streams).", file=out)
            return True
        scopes = sorted({s.strip() for c in failed for s in c.scope.split(",") if s.strip()})
        advice = sorted({c.advice for c in failed if c.advice})
        what = f"missing {self.missing} {', '.join(scopes)}; " if scopes else ""
        verdict = f"{what}{'; '.join(advice) or 'see above'}"
        print(f"Cannot sync {len(failed)} of {len(checks)} streams: {verdict}.", file=out)
        return False


class _DropSyncErrorLine(logging.Filter):
    """The SDK logs "An unhandled error occurred while syncing ..." at ERROR for any exception out of a stream's
    sync, the check's own stop after one record included; the check prints its own line per stream instead."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: PLR6301
        return not str(record.msg).startswith("An unhandled error occurred while syncing")


@contextlib.contextmanager
def _without_sync_error_line(logger: logging.Logger) -> t.Iterator[None]:
    drop = _DropSyncErrorLine()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def connection_test(tap: Tap, out: t.TextIO | None = None) -> bool:
    """Run the tap's own check (`connection_check` of an `InventoryTap`); True when every stream can sync."""
    check_class: type[ConnectionTest] = getattr(tap, "connection_check", ConnectionTest)
    return check_class(tap, out).run()


__all__ = ["CHECK_MAX_RETRIES", "CHECK_TIMEOUT", "Check", "ConnectionTest", "Outcome", "connection_test"]
