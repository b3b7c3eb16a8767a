"""What the inventory Singer taps share, on top of singer-sdk: everything that is the same for every platform.

- `timestamps`: `parse_utc`, `utc_z` (the record and bookmark format);
- `run`: `SyncRun` (one run's start, signpost and completed streams) and the `sync_runs` stream;
- `progress`: `SyncProgress`, the record counter with lines a person can follow;
- `settings`: the settings the kit reads (`start_date`, `lookback`, `reconcile`, `request_timeout`, `max_retries`);
- `streams`: `InventoryStream` (bookmarks, since-window, progress, retries over singer-sdk's backoff) and
  `ThrottledError`;
- `tap`: `InventoryTap` (config checks, one-line errors, `--test`);
- `connection`: the `--test` framework (`ConnectionTest`, `Outcome`);
- `testing`: helpers for tests (`IN_CI`, `needs`, running a tap, the sandbox store); import it only from tests.

A platform's API (authentication, paging, rate-limit model, error wording) stays in its tap.
"""

from __future__ import annotations

from singer_inventory_kit.connection import ConnectionTest, Outcome, connection_test
from singer_inventory_kit.progress import SyncProgress
from singer_inventory_kit.run import SyncRun, SyncRunsStream
from singer_inventory_kit.streams import InventoryStream, ThrottledError
from singer_inventory_kit.tap import InventoryTap
from singer_inventory_kit.timestamps import parse_utc, utc_z

__all__ = [
    "ConnectionTest",
    "InventoryStream",
    "InventoryTap",
    "Outcome",
    "SyncProgress",
    "SyncRun",
    "SyncRunsStream",
    "ThrottledError",
    "connection_test",
    "parse_utc",
    "utc_z",
]
