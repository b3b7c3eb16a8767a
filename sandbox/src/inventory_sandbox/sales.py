"""The sales simulator: seeded shoppers ordering on every channel, against one physical stock (the ground truth).

Every platform runs as its own server, so the simulator is a driver outside them. It holds what no channel
knows, the **physical stock**: one pool per SKU (by default the system of record's quantity of each shared SKU,
``--catalog shared``, see ``catalog.py``). It generates orders from a demand process per SKU (``demand.py``),
sends each to its channel's atomic storefront route (``POST /_sandbox/order``: accepted only if that channel
shows the stock, or sells on backorder / ``CONTINUE``, and then taken from the stock it shows) and fills accepted
orders from the physical pool in the order they were accepted. An accepted order the pool cannot fill in full is
an **oversell**, counted per channel and SKU.

Optional: an order feed into the system of record's store, ``feed_lag_s`` simulated seconds after each order
accepted elsewhere (an OMS importing it: ``force`` takes the units whatever it shows); ``mirror``: every accepted
order taken from every other channel at once too (as a sync keeping the channels equal would), so they keep
showing the same stock; ``skip_cases`` (``from_urls``): the SKUs of the shared catalog's seeded cases, whose
channels disagree on purpose, are not sold; restocks that add units to the pool and to a receiving location
(``POST /_sandbox/receive``).

Time is simulated seconds from 0 to ``days * 86400``; ``speed`` simulated seconds pass per wall second (1 = real
time, 1440 = a day a minute, 0 = as fast as the stores answer). The run returns (and the CLI writes) a JSON
summary: totals and per channel (orders, accepted, refused, refused with the physical stock there to fill them,
oversells, oversold units, errors), oversells per
channel and SKU and each oversell (time, channel, SKU, units short), per SKU the pool and its demand process, a timeline, and the realised daily demand per SKU and
channel (``export_daily_demand`` writes it as CSV).

    sim = SalesSimulator.from_urls({"shopify": url1, "bigcommerce": url2, "magento": url3}, seed=1, days=2,
                                   speed=0, rate=6, demand="mix")
    summary = sim.run()
"""

from __future__ import annotations

import csv
import heapq
import http.client
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from .demand import DemandProcess, assign

DAY = 86400
COUNTERS = ("orders", "accepted", "refused", "refused_in_stock", "oversells", "oversold_units", "units_requested",
            "units_accepted", "errors")


class StoreClient:
    """JSON over one keep-alive HTTP connection to a sandbox server's control API (reconnects once on failure)."""

    def __init__(self, url: str, timeout: float = 30):
        parts = urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self._conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        payload = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, f"/_sandbox/{path}", payload, {"Content-Type": "application/json"})
                resp = self._conn.getresponse()
                return resp.status, json.loads(resp.read() or b"null")
            except (OSError, http.client.HTTPException):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


@dataclass
class Channel:
    """One store the shoppers buy from: its server, store name, how it lists each SKU, where orders take stock."""
    name: str
    url: str
    store: str
    listed: dict[str, str] = field(default_factory=dict)  # shared SKU -> the SKU as this channel writes it
    location_id: str | None = None  # None: the platform's storefront default

    def sku(self, sku: str) -> str:
        return self.listed.get(sku, sku)


@dataclass(order=True)
class Event:
    t: float
    seq: int
    kind: str = field(compare=False)  # order | feed | restock
    sku: str | None = field(compare=False, default=None)
    units: int = field(compare=False, default=0)
    channel: str | None = field(compare=False, default=None)
    below: float | None = field(compare=False, default=None)  # restock: only SKUs whose pool is at most this


@dataclass
class Restock:
    """Every ``every_s`` simulated seconds (from the first period's end), ``units`` more of each SKU (or only of
    the SKUs whose pool is at most ``below``) arrive at the receiving location."""
    every_s: float
    units: int
    below: float | None = None


class SalesSimulator:
    def __init__(self, channels: dict[str, Channel], physical: dict[str, int], *, seed: int = 0,
                 days: float = 1.0, speed: float = 0.0, rate: float = 4.0, demand: str | dict = "smooth",
                 weights: dict[str, float] | None = None, record_channel: str | None = None,
                 feed_lag_s: float | None = None, restock: Restock | None = None,
                 receiving: tuple[str, str | None] | None = None, timeline_step_s: float = 3600,
                 start_date: str = "2026-01-05", schedule: list[tuple[float, str, str, int]] | None = None,
                 mirror: bool = False):
        if not channels:
            raise ValueError("no channel to sell on")
        unknown = set(weights or {}) - set(channels)
        if unknown:
            raise ValueError(f"weights name unknown channels {sorted(unknown)}")
        if feed_lag_s is not None and record_channel not in channels:
            raise ValueError("an order feed needs the system of record's channel among the channels")
        self.channels, self.seed, self.days, self.speed = channels, seed, float(days), float(speed)
        self.skus = sorted(physical)
        self.physical_start = dict(physical)
        self.processes = assign(self.skus, demand, rate)
        self.weights = {name: float((weights or {}).get(name, 1.0)) for name in channels}
        self.record_channel, self.feed_lag_s = record_channel, feed_lag_s
        self.restock = restock
        self.receiving = receiving or ((record_channel, None) if record_channel in channels else None)
        if restock is not None and (self.receiving is None or self.receiving[0] not in channels):
            raise ValueError("restocks need a receiving channel (and location) among the channels")
        self.timeline_step_s = float(timeline_step_s)
        self.start_date = date.fromisoformat(start_date)
        self.rate = rate
        self.schedule = schedule  # (t, channel, sku, units): a fixed order stream instead of the demand processes
        self.mirror = mirror

    # ------------------------------------------------------------------ construction from running servers
    @classmethod
    def from_urls(cls, urls: dict[str, str], stores: dict[str, str] | None = None, skus: int | None = None,
                  skip_cases: bool = False, **kwargs) -> SalesSimulator:
        """Channels from running sandbox servers started with ``--catalog shared``: each server's first store (or
        ``stores[name]``), how it lists each shared SKU, and the physical pool = the record's quantity per SKU
        (without the SKUs of the seeded cases with ``skip_cases``)."""
        channels, scenario, cases = {}, None, set()
        for name, url in urls.items():
            client = StoreClient(url)
            try:
                status, health = client.call("GET", "health")
                store = (stores or {}).get(name) or next(iter(health["stores"]))
                status, found = client.call("GET", "scenario")
            finally:
                client.close()
            if found.get("catalog") != "shared":
                raise ValueError(f"{name} at {url} does not serve the shared catalog (start it with --catalog shared)")
            mine = found["stores"][store]
            scenario = scenario or mine
            cases |= {c["sku"] for c in mine["cases"]}
            channels[name] = Channel(name, url, store, {sku: v["listed_as"] for sku, v in mine["shared_skus"].items()})
        physical = {sku: int(v["record_quantity"]) for sku, v in sorted(scenario["shared_skus"].items())
                    if not (skip_cases and sku in cases)}
        if skus is not None:
            physical = dict(list(physical.items())[:skus])
        kwargs.setdefault("record_channel", scenario["record_channel"])
        return cls(channels, physical, **kwargs)

    # ------------------------------------------------------------------ the schedule (deterministic)
    def orders(self) -> list[Event]:
        """Every order of the run, by time. Each SKU draws from its own seeded stream, so adding a SKU or a channel
        never changes another SKU's demand. A given ``schedule`` replaces the drawn orders."""
        if self.schedule is not None:
            given = sorted((t, sku, units, channel) for t, channel, sku, units in self.schedule)
            return [Event(t, i, "order", sku, units, channel) for i, (t, sku, units, channel) in enumerate(given)]
        end, names = self.days * DAY, list(self.channels)
        cum = [sum(self.weights[n] for n in names[: i + 1]) for i in range(len(names))]
        events: list[tuple[float, str, int, str]] = []
        weekday = self.start_date.weekday()
        for sku in self.skus:
            rng = random.Random(f"{self.seed}:demand:{sku}")
            process = self.processes[sku]
            for day in range(int(-(-end // DAY))):
                for units in process.orders(rng, day, weekday):
                    t = day * DAY + rng.random() * DAY
                    pick = rng.random() * cum[-1]
                    channel = next(n for n, c in zip(names, cum, strict=True) if pick < c)
                    if t < end:
                        events.append((t, sku, units, channel))
        events.sort()
        return [Event(t, i, "order", sku, units, channel) for i, (t, sku, units, channel) in enumerate(events)]

    # ------------------------------------------------------------------ the run
    def run(self) -> dict:
        clients = {name: StoreClient(ch.url) for name, ch in self.channels.items()}
        heap: list[Event] = self.orders()
        seq = len(heap)
        if self.restock is not None:
            t = self.restock.every_s
            while t < self.days * DAY:
                heap.append(Event(t, seq, "restock", units=self.restock.units, below=self.restock.below))
                seq += 1
                t += self.restock.every_s
        heapq.heapify(heap)
        self._reset()
        started = time.monotonic()
        try:
            while heap:
                event = heapq.heappop(heap)
                if self.speed > 0:
                    delay = started + event.t / self.speed - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                if event.kind == "order":
                    feed = self._order(clients, event)
                    if feed is not None:
                        heapq.heappush(heap, Event(event.t + self.feed_lag_s, seq, "feed", event.sku, event.units))
                        seq += 1
                elif event.kind == "feed":
                    self._feed(clients, event)
                else:
                    self._restock(clients, event)
        finally:
            for client in clients.values():
                client.close()
        return self._summary(time.monotonic() - started)

    def _reset(self) -> None:
        self.physical = dict(self.physical_start)
        self.counts = {name: dict.fromkeys(COUNTERS, 0) for name in self.channels}
        self.oversells: dict[str, dict[str, int]] = {name: defaultdict(int) for name in self.channels}
        self.oversell_events: list[dict] = []
        self.per_sku = {sku: {"restocked": 0, "demanded_units": 0, "accepted_units": 0, "oversold_units": 0}
                        for sku in self.skus}
        self.timeline: dict[int, dict] = {}
        self.daily: dict[tuple[int, str, str], dict] = {}
        self.feed = {"sent": 0, "errors": 0}
        self.mirrored = {"sent": 0, "errors": 0}

    def _order(self, clients, event: Event) -> Event | None:
        """Send one order; count it; fill it from the pool. Returns the event to feed to the record, if any."""
        name, sku, units = event.channel, event.sku, event.units
        ch, counts = self.channels[name], self.counts[name]
        bucket = self.timeline.setdefault(int(event.t // self.timeline_step_s), dict.fromkeys(
            ("orders", "accepted", "refused", "oversells", "errors"), 0))
        day = self.daily.setdefault((int(event.t // DAY), sku, name),
                                    {"orders": 0, "demanded_units": 0, "accepted_units": 0})
        counts["orders"] += 1
        counts["units_requested"] += units
        bucket["orders"] += 1
        day["orders"] += 1
        day["demanded_units"] += units
        self.per_sku[sku]["demanded_units"] += units
        try:
            status, answer = clients[name].call("POST", "order", {"store": ch.store, "sku": ch.sku(sku),
                                                                  "quantity": units, "location_id": ch.location_id})
        except (OSError, http.client.HTTPException):
            status, answer = 0, None
        if status != 200:
            counts["errors"] += 1
            bucket["errors"] += 1
            return None
        if not answer["accepted"]:
            counts["refused"] += 1
            bucket["refused"] += 1
            if self.physical[sku] >= units:  # a lost sale: the channel hid stock the physical pool holds
                counts["refused_in_stock"] += 1
            return None
        counts["accepted"] += 1
        counts["units_accepted"] += units
        bucket["accepted"] += 1
        day["accepted_units"] += units
        self.per_sku[sku]["accepted_units"] += units
        filled = min(units, max(self.physical[sku], 0))
        self.physical[sku] -= filled
        if filled < units:
            counts["oversells"] += 1
            counts["oversold_units"] += units - filled
            bucket["oversells"] += 1
            self.oversells[name][sku] += 1
            self.oversell_events.append({"t": round(event.t, 1), "channel": name, "sku": sku, "units": units,
                                         "short": units - filled})
            self.per_sku[sku]["oversold_units"] += units - filled
        if self.mirror:
            self._mirror(clients, event)
        if self.feed_lag_s is not None and name != self.record_channel:
            return event
        return None

    def _mirror(self, clients, event: Event) -> None:
        """The accepted order taken from every other channel too (``force``: whatever they show)."""
        for name, ch in self.channels.items():
            if name == event.channel:
                continue
            try:
                status, _ = clients[name].call("POST", "order", {
                    "store": ch.store, "sku": ch.sku(event.sku), "quantity": event.units,
                    "location_id": ch.location_id, "force": True})
            except (OSError, http.client.HTTPException):
                status = 0
            self.mirrored["sent" if status == 200 else "errors"] += 1

    def _feed(self, clients, event: Event) -> None:
        ch = self.channels[self.record_channel]
        try:
            status, _ = clients[self.record_channel].call("POST", "order", {
                "store": ch.store, "sku": ch.sku(event.sku), "quantity": event.units, "location_id": ch.location_id,
                "force": True})
        except (OSError, http.client.HTTPException):
            status = 0
        self.feed["sent" if status == 200 else "errors"] += 1

    def _restock(self, clients, event: Event) -> None:
        name, location = self.receiving
        ch = self.channels[name]
        for sku in self.skus:
            if event.below is not None and self.physical[sku] > event.below:
                continue
            try:
                status, _ = clients[name].call("POST", "receive", {"store": ch.store, "sku": ch.sku(sku),
                                                                   "quantity": event.units, "location_id": location})
            except (OSError, http.client.HTTPException):
                status = 0
            if status == 200:  # the units exist once the receiving location has them
                self.physical[sku] += event.units
                self.per_sku[sku]["restocked"] += event.units

    def _summary(self, wall_seconds: float) -> dict:
        totals = {key: sum(c[key] for c in self.counts.values()) for key in COUNTERS}
        step = self.timeline_step_s
        return {
            "seed": self.seed, "days": self.days, "speed": self.speed, "rate": self.rate,
            "start_date": self.start_date.isoformat(), "weights": self.weights, "record_channel": self.record_channel,
            "feed_lag_s": self.feed_lag_s, "wall_seconds": round(wall_seconds, 3),
            "channels": {name: {"url": ch.url, "store": ch.store, **self.counts[name]}
                         for name, ch in self.channels.items()},
            "totals": totals, "feed": self.feed, "mirror": {"on": self.mirror, **self.mirrored},
            "oversells": {name: dict(sorted(per.items())) for name, per in self.oversells.items()},
            "oversell_events": self.oversell_events,
            "skus": {sku: {"physical_start": self.physical_start[sku], "physical_end": self.physical[sku],
                           **self.per_sku[sku], "demand": self.processes[sku].as_dict()} for sku in self.skus},
            "timeline": [{"from_s": k * step, "to_s": (k + 1) * step, **v} for k, v in sorted(self.timeline.items())],
            "daily_demand": [{"day": d, "date": (self.start_date + timedelta(days=d)).isoformat(), "sku": sku,
                              "channel": name, "kind": self.processes[sku].kind, **v}
                             for (d, sku, name), v in sorted(self.daily.items())],
        }


def export_daily_demand(summary: dict, path: str | Path) -> Path:
    """The realised daily demand of a run as CSV: day, date, sku, channel, kind, orders, demanded and accepted units."""
    path = Path(path)
    fields = ["day", "date", "sku", "channel", "kind", "orders", "demanded_units", "accepted_units"]
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(summary["daily_demand"])
    return path


def demand_processes(summary: dict) -> dict[str, DemandProcess]:
    """The process behind each SKU of a run's summary (what a backtest compares its forecasts to)."""
    return {sku: DemandProcess(**{**v["demand"], "weekly": tuple(v["demand"]["weekly"])})
            for sku, v in summary["skus"].items()}
