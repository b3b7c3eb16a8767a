"""One tap run: its start time, what every record says about it, and the `sync_runs` stream that reports it.

The rules (docs/interfaces.md of the repository, "Deletions" and "sync_runs"):

- every record of a run carries the same `synced_at`, the run's start to the microsecond;
- a stream's bookmark may advance only to the run's start truncated to the second (the signpost), and only
  once the stream emitted every row it read: a complete read of everything changed since X, started at S,
  saw every change before S;
- a stream that emitted all its rows gets one `sync_runs` row (with `is_full_snapshot` when those rows are
  every row the source holds), written after every other stream, so a reader can tell a finished snapshot
  from an interrupted one.
"""

from __future__ import annotations

import functools
import json
import typing as t
from dataclasses import dataclass, field
from importlib import resources

from singer_sdk import Stream

from singer_inventory_kit.progress import SyncProgress
from singer_inventory_kit.timestamps import now_utc, utc_micros, utc_z

if t.TYPE_CHECKING:
    import datetime as dt

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context


@dataclass
class SyncRun:
    """What one tap run shares between its streams: its start and the streams that completed."""

    started_at: dt.datetime = field(default_factory=now_utc)
    completed: list[dict[str, t.Any]] = field(default_factory=list)

    @functools.cached_property
    def synced_at(self) -> str:
        """The run's start as written to every record's `synced_at` (formatted once per run)."""
        return utc_micros(self.started_at)

    @property
    def signpost(self) -> str:
        """The run's start, truncated to the second: no bookmark may pass it."""
        return t.cast("str", utc_z(self.started_at))

    def mark_completed(self, stream_name: str, *, is_full_snapshot: bool) -> None:
        """Record that a stream emitted all its rows in this run."""
        self.completed.append(
            {
                "run_started_at": self.synced_at,
                "stream_name": stream_name,
                "is_full_snapshot": is_full_snapshot,
                "finished_at": utc_micros(now_utc()),
            },
        )


def sync_runs_schema(store_id_description: str) -> dict[str, t.Any]:
    """The `sync_runs` schema, with the tap's own words for what identifies a store."""
    schema = json.loads(resources.files("singer_inventory_kit.schemas").joinpath("sync_runs.json").read_text())
    schema["properties"]["store_id"]["description"] = store_id_description
    return t.cast("dict[str, t.Any]", schema)


class SyncRunsStream(Stream):
    """One row per stream that completed in this run.

    The SDK syncs streams in name order (`Tap.load_streams` is final), so `sync_runs` runs after the streams
    it reports on; each tap's tests guard that. The tap must have `run` (a `SyncRun`) and `store_id`, as
    `InventoryTap` does.
    """

    name = "sync_runs"
    primary_keys = ("store_id", "run_started_at", "stream_name")
    replication_key = None

    def __init__(self, tap: Tap, *, store_id_description: str) -> None:
        """The stream of `tap`; `store_id_description` says what `store_id` holds for this platform."""
        super().__init__(tap, schema=sync_runs_schema(store_id_description))

    def get_record_counter(self, **_: t.Any) -> SyncProgress:  # noqa: ANN401
        """The same summary line as the API streams."""
        return SyncProgress(self.name, self.logger)

    def get_records(self, context: Context | None) -> t.Iterable[dict]:  # noqa: ARG002
        """The completion list the other streams kept during this run."""
        store_id = self._tap.store_id  # type: ignore[attr-defined]
        for entry in self._tap.run.completed:  # type: ignore[attr-defined]
            yield {"store_id": store_id, **entry}


__all__ = ["SyncRun", "SyncRunsStream", "sync_runs_schema"]
