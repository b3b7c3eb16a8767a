"""Closing the loop (issue #20): the same seeded order stream, in real time, through four schedules.

  a  no push: each channel sells what it shows; nothing corrects it
  b  a push every ``batch_s`` (10 minutes at full size): ``inventory-sync --push`` on that cadence
  c  the shipped one-minute schedule: a cron tick every minute starts ``inventory-sync --for 45 --lock-wait 50
     --push`` (README, cron lines), with the push applying
  d  c plus webhooks: Shopify and BigCommerce post their stock changes to ``inventory-webhooks serve``; between the
     polling passes, ``meltano run tap-inventory-webhooks target-duckdb dbt-duckdb:run-webhooks inventory-push``
     runs back to back under the same lock

for both modes of the plan: ``system_of_record`` (Magento's store is the record and receives every order through
the simulator's order feed, ``feed_lag_s`` later) and ``pooled`` (no central system; restocks arrive at Magento's
``default`` source, the receiving location). Every scenario starts three fresh shared-catalog stores from the same
seed, so the stores, their seeded disagreements and the orders are the same; the simulator
(``inventory_sandbox.sales``) sends each order to the channel's storefront route, which accepts it only when the
channel shows the stock, and counts an **oversell** when the physical stock cannot fill an accepted order.

At the end of every cycle (each pass's last line) the benchmark reads the stores' ground truth and counts the SKU x
channel pairs that agree: with the physical stock (what can really be sold) and with the record's store (the
mart's accuracy KPI). After the order stream ends the schedule goes on for ``drain_s``; the last cycle end is the
"once orders stop" figure. API writes are the stores' own write logs.

The push runs with apply on and, for this benchmark, ``INVENTORY_PUSH_SETTLE_SECONDS`` = ``settle_s``
(``bigcommerce:15``: the sandbox's BigCommerce reads do not lag, the shipped 120 s guards a real store's lag;
Shopify and Magento keep the shipped 0, their reads show a write once it is answered) and the zero-out and
change-size guards opened (a fast stream empties many SKUs between two cycles, which the guards would refuse).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Self

from harness import ROOT, VENV_BIN, Sandbox, machine, unlimited

CHANNELS = ("shopify", "bigcommerce", "magento")
RECORD = "magento"
MODES = ("system_of_record", "pooled")
SCENARIOS = ("a", "b", "c", "d")
WEBHOOK_SECRET, WEBHOOK_TOKEN = "shpss_bench", "bc_hook_bench"


def say(msg: str) -> None:
    print(f"bench: {msg}", flush=True)


class Stores:
    """Three shared-catalog stores (one seed): the catalog, the seeded disagreements, the same orders."""

    def __init__(self, work: Path, spec: dict):
        self.work, self.spec = work, spec
        self.stack = ExitStack()

    def __enter__(self) -> Self:
        self.sb = {p: self.stack.enter_context(Sandbox(p, self.work, items=self.spec["items"], seed=self.spec["seed"],
                                                       extra=["--catalog", "shared", *unlimited(p)]))
                   for p in CHANNELS}
        return self

    def __exit__(self, *exc) -> None:
        self.stack.close()

    def env(self) -> dict[str, str]:
        """The taps pointed at the stores, the push given each store's write token, the record named."""
        s, b, m = (self.sb[p] for p in CHANNELS)
        env = {}
        for platform, sb in self.sb.items():
            env.update(sb.tap_env())
            env[f"TAP_{platform.upper()}_INVENTORY_LOOKBACK"] = "0"
        env.update({
            "INVENTORY_PUSH_SHOPIFY_ACCESS_TOKEN": f"shpat_sandbox_{s.store}_write",
            "INVENTORY_PUSH_BIGCOMMERCE_ACCESS_TOKEN": f"bc_sandbox_{b.store}_write",
            "INVENTORY_PUSH_MAGENTO_ACCESS_TOKEN": f"mg_sandbox_{m.store}_write",
            "INVENTORY_RECORD_CHANNEL": RECORD, "INVENTORY_RECORD_STORE_ID": m.store,
        })
        return env

    def shown(self, skus: list[str]) -> dict[str, dict[str, int]]:
        """What each channel shows of each shared SKU now (the sum over its levels: stock sits where orders take
        it), from the stores' ground truth."""
        out: dict[str, dict[str, int]] = {}
        for platform, sb in self.sb.items():
            listed = {v["listed_as"]: sku for sku, v in self.scenario(platform)["shared_skus"].items()}
            totals = dict.fromkeys(skus, 0)
            for level in sb.control("GET", f"truth?store={sb.store}")["inventory_levels"]:
                sku = listed.get(level.get("sku"))
                if sku in totals:
                    totals[sku] += int(level["available"] or 0)
            out[platform] = totals
        return out

    def scenario(self, platform: str) -> dict:
        cached = getattr(self, "_scenario", {})
        if platform not in cached:
            sb = self.sb[platform]
            cached[platform] = sb.control("GET", "scenario")["stores"][sb.store]
            self._scenario = cached
        return cached[platform]

    def writes(self) -> dict[str, int]:
        return {p: int(sb.log()["writes"]) for p, sb in self.sb.items()}


def agreement(shown: dict[str, dict[str, int]], physical: dict[str, int]) -> dict:
    """Pairs (SKU x channel) that show what the physical stock holds, and pairs (SKU x non-record channel) that
    show what the record's store shows."""
    skus = sorted(physical)
    physical_pairs = [(shown[c][s] == max(physical[s], 0)) for s in skus for c in CHANNELS]
    record_pairs = [(shown[c][s] == shown[RECORD][s]) for s in skus for c in CHANNELS if c != RECORD]
    return {"agree_physical": sum(physical_pairs) / len(physical_pairs),
            "agree_record": sum(record_pairs) / len(record_pairs)}


def plan_agreement(warehouse: Path, mode: str, shown: dict[str, dict[str, int]]) -> float | None:
    """Pairs (SKU x channel the plan writes) showing what the last plan says they should: the source minus the
    plan's buffer for that channel, never below 0. The source is the record's store now (system_of_record, from the
    stores' ground truth) or the plan's pool (pooled). With a buffer the channels differ from the record on purpose;
    this is the convergence the buffer allows."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:  # dbt's schema in the bench's DuckDB warehouse
        rows = con.sql("select channel, normalized_sku, max(source_quantity), max(buffer_units)"
                       " from analytics.fct_inventory_push_plan where source_quantity is not null"
                       " group by channel, normalized_sku").fetchall()
    by_key = {sku.upper(): sku for sku in shown[RECORD]}
    pairs = []
    for channel, key, pool, buffer in rows:
        sku = by_key.get(key)
        if sku is None or channel not in shown:
            continue
        source = shown[RECORD][sku] if mode == "system_of_record" else pool
        pairs.append(shown[channel][sku] == max(source - buffer, 0))
    return sum(pairs) / len(pairs) if pairs else None


class Cycles:
    """Cycle ends, read from the passes' log lines as they come: each one snapshots the stores' agreement."""

    def __init__(self, stores: Stores, sim, began: float, ends_at: float):
        self.stores, self.sim, self.began, self.ends_at = stores, sim, began, ends_at
        self.ends: list[dict] = []
        self.lock = threading.Lock()
        self.first_pass = threading.Event()

    def snapshot(self, source: str) -> None:
        if source == "pass":
            self.first_pass.set()
        physical = dict(self.sim.physical)
        shown = self.stores.shown(sorted(physical))
        t = time.monotonic() - self.began
        with self.lock:
            self.ends.append({"t": round(t, 1), "by": source, "orders_done": t >= self.ends_at,
                              **agreement(shown, physical)})

    def follow(self, proc: subprocess.Popen, source: str, log: Path, marker: str) -> threading.Thread:
        def read() -> None:
            with log.open("a") as out:
                for line in proc.stdout:
                    out.write(line)
                    if marker in line:
                        self.snapshot(source)
        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        return thread


def _sync(env: dict, work: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(VENV_BIN / "inventory-sync"), "--lock", str(work / "sync.lock"), "--push", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL, bufsize=1)


def _webhook_loop(env: dict, work: Path, cycles: Cycles, first: threading.Event, stop_at: float) -> None:
    """Webhook passes back to back under the pass lock, between the polling passes, from the first polling pass
    on (the mart must exist) until ``stop_at``. The lock is only tried, never waited for, and let go for a few
    seconds after each pass: a polling tick waiting for it goes first."""
    meltano = str(VENV_BIN / "meltano")
    first.wait()
    fd = os.open(work / "sync.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while time.monotonic() < stop_at:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                time.sleep(0.5)
                continue
            try:
                proc = subprocess.run([meltano, "--log-level=warning", "run", "tap-inventory-webhooks", "target-duckdb",
                                       "dbt-duckdb:run-webhooks", "inventory-push"], cwd=ROOT, env=env,
                                      capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            with (work / "webhook-passes.log").open("a") as out:
                out.write(proc.stdout + proc.stderr)
            if proc.returncode == 0:
                cycles.snapshot("webhooks")
            time.sleep(3.0)
    finally:
        os.close(fd)


def run_scenario(mode: str, kind: str, spec: dict, work: Path) -> dict:
    """One schedule, one mode, fresh stores; returns oversells, agreement at cycle ends and writes."""
    from inventory_sandbox.sales import Restock, SalesSimulator

    work.mkdir(parents=True, exist_ok=True)
    duration, drain = spec["duration_s"], spec["drain_s"]
    receivers: list[subprocess.Popen] = []
    with Stores(work, spec) as stores:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "INVENTORY_"))}
        env.update(stores.env(), MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
                   MELTANO_DATABASE_URI=f"sqlite:///{work / 'meltano.db'}", WAREHOUSE_PATH=str(work / "wh.duckdb"),
                   PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                   INVENTORY_PUSH_APPLY="true", INVENTORY_PUSH_MODE=mode,
                   INVENTORY_PUSH_RECEIVING_LOCATION="magento:default",
                   INVENTORY_PUSH_SETTLE_SECONDS=str(spec["settle_s"]), INVENTORY_PUSH_MAX_ZERO_OUT_PERCENT="100",
                   INVENTORY_PUSH_MAX_CHANGE_PERCENT="1000000", INVENTORY_PUSH_MAX_CHANGES="100000")
        if spec.get("buffer"):  # optional: units (or a percent) each channel holds back (INVENTORY_PUSH_BUFFER)
            env["INVENTORY_PUSH_BUFFER"] = str(spec["buffer"])
        if spec.get("other_locations"):  # optional: leave or lower the locations the push does not own
            env["INVENTORY_PUSH_OTHER_LOCATIONS"] = spec["other_locations"]
        if spec.get("demand_minutes"):  # optional: each channel holds back what the SKU sells in N minutes
            env["INVENTORY_PUSH_DEMAND_MINUTES"] = str(spec["demand_minutes"])
        if kind == "d":
            db = str(work / "webhooks.sqlite")
            receiver = subprocess.Popen(
                [str(VENV_BIN / "inventory-webhooks"), "serve", "--db", db, "--port", "0"], stdout=subprocess.PIPE,
                text=True, env={**env, "INVENTORY_WEBHOOKS_SHOPIFY_SECRET": WEBHOOK_SECRET,
                                "INVENTORY_WEBHOOKS_BIGCOMMERCE_TOKEN": WEBHOOK_TOKEN})
            receivers.append(receiver)
            url = receiver.stdout.readline().split()[1]
            stores.sb["shopify"].configure(webhooks={"url": f"{url}/webhooks/shopify", "secret": WEBHOOK_SECRET})
            stores.sb["bigcommerce"].configure(webhooks={"url": f"{url}/webhooks/bigcommerce",
                                                         "secret": WEBHOOK_TOKEN})
            b = stores.sb["bigcommerce"]
            env.update(INVENTORY_WEBHOOKS="shopify,bigcommerce", TAP_INVENTORY_WEBHOOKS_DATABASE=db,
                       TAP_INVENTORY_WEBHOOKS_BIGCOMMERCE_STORE_HASH=b.store,
                       TAP_INVENTORY_WEBHOOKS_BIGCOMMERCE_ACCESS_TOKEN=f"bc_sandbox_{b.store}",
                       TAP_INVENTORY_WEBHOOKS_BIGCOMMERCE_API_URL=f"{b.url}/stores/{b.store}")
        restock = spec["restock"]
        sim = SalesSimulator.from_urls(
            {p: sb.url for p, sb in stores.sb.items()}, seed=spec["seed"], days=duration / 86400, speed=1.0,
            rate=spec["units_per_sku"] * 86400 / duration, demand="smooth",
            feed_lag_s=spec["feed_lag_s"] if mode == "system_of_record" else None,
            restock=Restock(restock["every_s"], restock["units"], restock["below"]), receiving=("magento", "default"),
            timeline_step_s=30)
        sim._reset()  # physical stock readable before the first order
        summary: dict = {}
        began = time.monotonic()
        cycles = Cycles(stores, sim, began, duration)
        selling = threading.Thread(target=lambda: summary.update(sim.run()), daemon=True)
        selling.start()
        procs: list[subprocess.Popen] = []
        readers: list[threading.Thread] = []
        try:
            if kind == "a":
                next_look = 0.0
                while selling.is_alive() or time.monotonic() - began < duration + drain:
                    if time.monotonic() - began >= next_look:
                        cycles.snapshot("look")
                        next_look += spec["tick_s"]
                    time.sleep(0.5)
                cycles.snapshot("look")  # once the orders have stopped
            elif kind == "b":
                k = 0
                while k * spec["batch_s"] <= duration:
                    time.sleep(max(0.0, began + k * spec["batch_s"] - time.monotonic()))
                    proc = _sync(env, work)
                    readers.append(cycles.follow(proc, "pass", work / "passes.log", "inventory-sync: pass finished"))
                    proc.wait()
                    procs.append(proc)
                    k += 1
            else:
                stop_at = began + duration + drain
                if kind == "d":
                    hooks = threading.Thread(target=_webhook_loop, args=(env, work, cycles, cycles.first_pass, stop_at),
                                             daemon=True)
                    hooks.start()
                tick = 0
                while began + tick * spec["tick_s"] < stop_at:
                    time.sleep(max(0.0, began + tick * spec["tick_s"] - time.monotonic()))
                    wait = str(int(spec["tick_s"] * 5 / 6))
                    proc = _sync(env, work, "--for", str(spec["for_s"]), "--lock-wait", wait)
                    readers.append(cycles.follow(proc, "pass", work / "passes.log", "inventory-sync: pass finished"))
                    procs.append(proc)
                    tick += 1
                for proc in procs:
                    proc.wait()
                if kind == "d":
                    hooks.join()
            selling.join()
            for reader in readers:
                reader.join(timeout=30)
        finally:
            for proc in procs + receivers:
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=30)
        failed = [p.returncode for p in procs if p.returncode not in (0, None)]
        writes = stores.writes()
        agree_plan = None
        if kind != "a" and (work / "wh.duckdb").exists():  # every pass has ended: the last plan, the stores now
            agree_plan = plan_agreement(work / "wh.duckdb", mode, stores.shown(sorted(sim.physical)))
        (work / "sales.json").write_text(json.dumps(summary))  # the simulator's whole summary, to look into
    ends = sorted(cycles.ends, key=lambda e: e["t"])
    during = [e for e in ends if not e["orders_done"]]
    after = [e for e in ends if e["orders_done"]]
    totals = summary.get("totals", {})
    return {
        "mode": mode, "scenario": kind, "orders": totals.get("orders", 0), "accepted": totals.get("accepted", 0),
        "oversells": totals.get("oversells", 0), "oversold_units": totals.get("oversold_units", 0),
        "refused_in_stock": totals.get("refused_in_stock", 0),
        "oversells_by_channel": {c: sum(per.values()) for c, per in summary.get("oversells", {}).items()},
        "oversells_by_30s": [b["oversells"] for b in summary.get("timeline", [])],
        "errors": totals.get("errors", 0), "restocked": sum(v["restocked"] for v in summary.get("skus", {}).values()),
        "cycles": len(ends), "failed_passes": len(failed), "writes": writes, "writes_total": sum(writes.values()),
        "agree_physical_during": _mean(e["agree_physical"] for e in during),
        "agree_record_during": _mean(e["agree_record"] for e in during),
        "agree_physical_after": after[-1]["agree_physical"] if after else None,
        "agree_record_after": after[-1]["agree_record"] if after else None,
        "agree_plan_after": agree_plan,
        "cycle_ends": ends, "wall_s": round(time.monotonic() - began, 1),
    }


def _mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def push_section(spec: dict, work: Path) -> dict:
    """Every mode x schedule of ``spec``; (a) runs beside a mode's first schedule (it needs no Meltano)."""
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load_before = os.getloadavg()
    runs: list[dict] = []
    for mode in spec["modes"]:
        kinds = list(spec["scenarios"])
        side: dict = {}
        alone = None
        if "a" in kinds and len(kinds) > 1:  # (a) runs no Meltano: side by side with the first schedule
            alone = threading.Thread(target=lambda m=mode, out=side: out.update(
                run_scenario(m, "a", spec, work / f"{m}-a")))
            alone.start()
            kinds.remove("a")
        for kind in kinds:
            say(f"  push {mode}: {kind}{' (and a)' if alone is not None and kind == kinds[0] else ''}")
            runs.append(run_scenario(mode, kind, spec, work / f"{mode}-{kind}"))
        if alone is not None:
            alone.join()
            runs.append(side)
    for mode in spec["modes"]:
        mine = {r["scenario"]: r for r in runs if r["mode"] == mode}
        for r in mine.values():
            for base in ("a", "b"):
                if base in mine and r["scenario"] != base:
                    ref = mine[base]["oversells"]
                    r[f"reduction_vs_{base}"] = None if not ref else 1 - r["oversells"] / ref
    runs.sort(key=lambda r: (MODES.index(r["mode"]), SCENARIOS.index(r["scenario"])))
    return {"spec": spec, "runs": runs, "started_at": started, "finished_at": time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(), "load_before": load_before,
        "load_after": os.getloadavg()}


if __name__ == "__main__":  # one scenario by hand: python benchmarks/push.py MODE KIND SPEC.json
    import sys

    print(json.dumps(run_scenario(sys.argv[1], sys.argv[2], json.loads(Path(sys.argv[3]).read_text()),
                                  Path(sys.argv[4]) if len(sys.argv) > 4 else Path("/tmp/push-bench")), indent=1))
