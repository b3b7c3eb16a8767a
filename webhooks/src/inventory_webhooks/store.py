"""The durable event store: one SQLite file in WAL mode with ``synchronous=FULL``.

``accept`` commits before it returns, so an HTTP 200 is only ever sent for an event that is on disk and
survives a crash of the process (or the machine, as far as fsync holds). ``(platform, webhook_id)`` is unique:
a redelivery is recognised and stored once. ``seq`` grows with every accepted event and is never reused
(AUTOINCREMENT), which is the bookmark the tap keeps.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .verify import Verified

SCHEMA = """
create table if not exists events (
    seq          integer primary key autoincrement,
    platform     text    not null,
    webhook_id   text    not null,
    topic        text    not null,
    store_id     text    not null,
    triggered_at real    not null,
    received_at  real    not null,
    payload      text    not null,
    unique (platform, webhook_id)
)
"""


class EventStore:
    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        if readonly:
            if not self.path.exists():
                raise FileNotFoundError(f"no webhook store at {self.path}")
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("pragma journal_mode=wal")
            self._db.execute("pragma synchronous=full")
            self._db.execute(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def accept(self, event: Verified) -> tuple[int, bool]:
        """Store ``event`` durably; returns ``(seq, is_new)``. A known webhook id keeps its first seq."""
        with self._lock:
            self._db.execute("begin immediate")
            try:
                cur = self._db.execute(
                    "insert or ignore into events (platform, webhook_id, topic, store_id, triggered_at, received_at,"
                    " payload) values (?, ?, ?, ?, ?, ?, ?)",
                    (event.platform, event.webhook_id, event.topic, event.store_id, event.triggered_at, time.time(),
                     json.dumps(event.payload, separators=(",", ":"))))
                is_new = cur.rowcount == 1
                seq = self._db.execute("select seq from events where platform = ? and webhook_id = ?",
                                       (event.platform, event.webhook_id)).fetchone()[0]
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
        return seq, is_new

    def read(self, after: int = 0, limit: int | None = None) -> Iterator[dict]:
        """Accepted events with ``seq > after``, in ``seq`` order."""
        sql = "select * from events where seq > ? order by seq"
        args: tuple = (after,)
        if limit is not None:
            sql += " limit ?"
            args += (limit,)
        cur = self._db.execute(sql, args)
        names = [c[0] for c in cur.description]
        for row in cur:
            record = dict(zip(names, row, strict=True))
            record["payload"] = json.loads(record["payload"])
            yield record

    def count(self) -> int:
        return self._db.execute("select count(*) from events").fetchone()[0]
