"""inventory-sync: the scheduled sync of one box, every channel on its own.

    inventory-sync [--for SECONDS] [--lock-wait SECONDS] [--reconcile] [--warehouse duckdb|postgres|snowflake]
                   [--environment ENV] [--sources PLUGIN,...] [--push]
    inventory-sync --forecast [--warehouse ...] [--environment ENV]

One pass: each extractor -> the warehouse's loader (a failing channel does not stop the others: the blocks
after it run in a new `meltano run`), then `dbt build` on what loaded, with `--push` then `inventory-push` on the
plan just built (in the build's `meltano run`). `--for 45` repeats the pass back to back for 45 seconds (the
one-minute cron line). After the last pass (the only one without `--for`, or the first that fails): source
freshness and the alerts, which always run and are told which sources are down, so a cron tick alerts once. The
exit status says whether anything failed; the last line says what.

`--forecast` is the daily step instead of a pass (docs/forecasting.md): the demand history, forecast and reorder
suggestions (dbt tag forecast, which the every-minute build never reaches): `dbt-<warehouse>-forecast:build` on
DuckDB and Snowflake; on PostgreSQL, which runs no dbt Python models, that build (the history) then
`inventory-forecast:run`; then the alerts, which raise the SKUs at or below their reorder point.

Runs of one project never overlap: a pass holds `output/sync.lock` (`--lock-wait` seconds to get it, else
the tick is skipped with a line saying so). Holding the lock proves no other pass is alive, so a run that
crashed (kill -9, a reboot) does not block the next: Meltano's own "already running" check is overridden.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import fcntl
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import meltano
from .stores import PLATFORMS, Source, StoreError, resolve, state_id_suffix

WAREHOUSES = ("duckdb", "postgres", "snowflake")
REFUSED = "inventory-push: refused, nothing written: "  # the push's line when a guard refuses the run (exit 3)
CHANNELS = tuple(channel for channel, _ in PLATFORMS.values())  # the platform registry's (platforms.yml) order


def say(message: str, level: str = "info") -> None:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    sys.stderr.write(f"{now} {level.upper():<5} inventory-sync: {message}\n")
    sys.stderr.flush()


@dataclass
class Step:
    name: str  # a source plugin, or dbt build / push / freshness / alerts
    status: str = "not run"  # ok | failed | refused (the push, by a guard) | not run
    error: str = ""
    channel: str | None = None
    store: str | None = None
    seconds: float = 0.0


@dataclass
class Pass:
    environment: str
    warehouse: str
    started_at: str
    finished_at: str = ""
    state_id_suffix: str = ""
    sources: list[Step] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def failed(self) -> list[Step]:
        return [s for s in (*self.sources, *self.steps) if s.status == "failed" and s.name != "freshness"]


class Runner:
    def __init__(self, args: argparse.Namespace, root: Path, sources: list[Source], lock_fd: int):
        self.args = args
        self.root = root
        self.sources = sources
        self.lock_fd = lock_fd
        self.suffix = state_id_suffix(sources)
        self.loader = f"target-{args.warehouse}"
        self.dbt = f"dbt-{args.warehouse}"

    def meltano(self, blocks: list[str], *, state: bool = False, env: dict[str, str] | None = None,
                on_block: Callable[[int, meltano.Block], None] | None = None) -> meltano.Result:
        # --force: the lock proves no other pass is alive, so a run a crash left "running" must not block us.
        options = ("--force", f"--state-id-suffix={self.suffix}",
                   *(["--full-refresh"] if self.args.full_refresh else [])) if state else ()
        return meltano.run(self.root, self.args.environment, blocks, options=options,
                           env={**os.environ, **(env or {})}, pass_fds=(self.lock_fd,), on_block=on_block)

    def once(self) -> Pass:
        run = Pass(self.args.environment, self.args.warehouse, _now(), state_id_suffix=self.suffix)
        say("pass started")
        steps = {s.plugin: Step(s.plugin, channel=s.channel, store=s.store) for s in self.sources}
        run.sources = list(steps.values())
        for source in self.sources:
            if not source.store:
                steps[source.plugin].status = "failed"
                steps[source.plugin].error = (f"{source.plugin}: setting {source.setting} is not set "
                                              f"({source.plugin.upper().replace('-', '_')}_{source.setting.upper()})")
        build = Step("dbt build")
        run.steps.append(build)
        push = Step("push") if self.args.push else None

        # Each extractor -> loader, then dbt build (and the push, in the same `meltano run`: no start-up between
        # the plan and its write); the blocks after a failed one run again in a new meltano run.
        check = [f"warehouse-check:{self.args.warehouse}"] if self.args.warehouse != "duckdb" else []
        pending = [s for s in self.sources if steps[s.plugin].status != "failed"]
        blocks = [*check, *(f"{s.plugin} {self.loader}" for s in pending), f"{self.dbt}:build",
                  *(["inventory-push"] if push else [])]
        owners: list[Step | None] = [None] * len(check) + [steps[s.plugin] for s in pending] + [build]
        owners += [push] if push else []

        def completed(index: int, block: meltano.Block) -> None:
            if owners[index] is build and block.ok:
                say("mart rebuilt")  # what a change waits for: the freshness benchmark reads this line

        while blocks:
            result = self.meltano(" ".join(blocks).split(), state=True, on_block=completed)
            for index, step in enumerate(owners):
                block = result.blocks.get(index)
                if block is None:
                    continue
                if step is None:  # the warehouse check: nothing can load without the warehouse
                    if not block.ok:
                        raise WarehouseDown(result.error(index))
                    continue
                step.status, step.seconds = ("ok" if block.ok else "failed"), block.seconds
                step.error = "" if block.ok else result.error(index)
            reached = max(result.blocks, default=-1)
            if reached < 0:  # meltano failed before any block: every block left is failed, with its line
                for step in owners:
                    if step is not None and step is not push:
                        step.status, step.error = "failed", result.error(-1)
                break
            if build.status == "failed":  # never push a plan the build failed to refresh
                break
            blocks, owners = blocks[reached + 1:], owners[reached + 1:]
        if push is not None:
            run.steps.append(self.settle_push(push, build))
        status_file = self.status_path()
        run.finished_at = _now()
        self.write_status(run, status_file)
        return run

    def check(self, run: Pass) -> None:
        """Source freshness, then the alerts, which always run and hear which sources are down (the pass's
        status file). Once per invocation, after its last pass: a cron tick alerts once, not once a pass."""
        status_file = self.status_path()
        fresh = Step("freshness")
        alerts = Step("alerts")
        run.steps += [fresh, alerts]
        alert_env = {"INVENTORY_ALERTS_RUN_STATUS": str(status_file)}
        if self.args.warehouse == "snowflake":  # inventory-alerts reads DuckDB and PostgreSQL marts only
            result = self.meltano([f"{self.dbt}:freshness"])
            _settle(fresh, result, 0)
            alerts.error = "alerts are not available on Snowflake"
        else:
            result = self.meltano([f"{self.dbt}:freshness", "inventory-alerts"], env=alert_env)
            _settle(fresh, result, 0)
            if 1 not in result.blocks:  # freshness failed (a stale source is an error): alerts on their own
                result = self.meltano(["inventory-alerts"], env=alert_env)
                _settle(alerts, result, 0)
            else:
                _settle(alerts, result, 1)
        run.finished_at = _now()
        self.write_status(run, status_file)

    def forecast(self) -> Pass:
        """The daily forecast step: dbt's forecast models (tag forecast), on PostgreSQL then the inventory-forecast
        utility (no dbt Python models there), then the alerts (SKUs at or below their reorder point). The alerts
        hear the last pass's status (sources down), not this step's."""
        run = Pass(self.args.environment, self.args.warehouse, _now(), state_id_suffix=self.suffix)
        say("forecast started")
        build = Step("forecast build")
        run.steps.append(build)
        blocks: list[str] = [f"{self.dbt}-forecast:build"]
        owners = [build]
        if self.args.warehouse == "postgres":
            utility = Step("forecast")
            run.steps.append(utility)
            blocks.append("inventory-forecast:run")
            owners.append(utility)
        if self.args.warehouse != "duckdb":
            blocks.insert(0, f"warehouse-check:{self.args.warehouse}")
            owners.insert(0, None)
        result = self.meltano(blocks)
        for index, step in enumerate(owners):
            block = result.blocks.get(index)
            if step is None:  # the warehouse check: nothing can be read without the warehouse
                if block is None or not block.ok:
                    raise WarehouseDown(result.error(index))
            elif block is not None:
                step.status, step.seconds = ("ok" if block.ok else "failed"), block.seconds
                step.error = "" if block.ok else result.error(index)
            elif any(s is not None and s.status == "failed" for s in owners[:index]):
                step.error = "the demand history was not rebuilt"
            else:  # meltano failed before this block
                step.status, step.error = "failed", result.error(-1)
        if all(s.status == "ok" for s in owners if s is not None):
            say("forecast rebuilt")
        alerts = Step("alerts")
        run.steps.append(alerts)
        if self.args.warehouse == "snowflake":  # inventory-alerts reads DuckDB and PostgreSQL marts only
            alerts.error = "alerts are not available on Snowflake"
        else:
            last_pass = self.status_path(forecast=False)
            env = {"INVENTORY_ALERTS_RUN_STATUS": str(last_pass)} if last_pass.exists() else {}
            _settle(alerts, self.meltano(["inventory-alerts"], env=env), 0)
        run.finished_at = _now()
        self.write_status(run, self.status_path())
        return run

    @staticmethod
    def settle_push(step: Step, build: Step) -> Step:
        """The push's step after the build's `meltano run`: it ran on the plan this pass built (dry run unless its
        `apply` setting says to write), and never on a plan the build failed to refresh. A guard's refusal is not
        a failure of the pass: the push recorded it in push.push_runs and the alerts raise it."""
        if build.status != "ok":
            step.status, step.error = "not run", "the plan was not rebuilt"
        elif step.status == "failed" and step.error.startswith(REFUSED):
            step.status, step.error = "refused", step.error.removeprefix(REFUSED)
        elif step.status == "ok":
            say("pushed")
        return step

    def status_path(self, forecast: bool | None = None) -> Path:
        """The status file of this run (`--status`, else output/run-status-<environment>[-forecast].json); with
        forecast=False the every-minute pass's default one."""
        forecast = self.args.forecast if forecast is None else forecast
        if self.args.status and forecast == self.args.forecast:
            return Path(self.args.status)
        suffix = "-forecast" if forecast else ""
        return self.root / "output" / f"run-status-{self.args.environment}{suffix}.json"

    @staticmethod
    def write_status(run: Pass, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(run), indent=2))
        temporary.replace(path)


class WarehouseDown(RuntimeError):
    """The pre-flight check failed: nothing can load."""


def _settle(step: Step, result: meltano.Result, index: int) -> None:
    block = result.blocks.get(index)
    if block is not None:
        step.status, step.seconds = ("ok" if block.ok else "failed"), block.seconds
        step.error = "" if block.ok else result.error(index)
    elif result.exit_code != 0:
        step.status, step.error = "failed", result.error(index)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def summary(run: Pass, seconds: float) -> str:
    parts = []
    for s in run.sources:
        where = f"{s.channel} {s.store or '(no store)'}"
        parts.append(f"{where} ok" if s.status == "ok" else f"{where} {s.status.upper()}: {s.error}")
    for s in run.steps:
        if s.status == "failed":
            parts.append(f"{s.name} FAILED: {s.error}")
        elif s.status == "refused":
            parts.append(f"{s.name} REFUSED: {s.error}")
        elif s.status == "not run":
            parts.append(f"{s.name} not run{': ' + s.error if s.error else ''}")
        else:
            parts.append(f"{s.name} ok")
    failed = len(run.failed)
    verdict = f"{failed} failed" if failed else "all ok"
    return f"pass finished in {seconds:.1f} s, {verdict}: " + "; ".join(parts)


def project_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "meltano.yml").exists():
            return folder
    raise StoreError(f"no meltano.yml in {start} or above: run inventory-sync in the project folder")


def acquire(path: Path, wait: float) -> int | None:
    """The lock's file descriptor, or None when another pass held it for all of ``wait`` seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.2)
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()} since {_now()}\n".encode())
    return fd


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="inventory-sync", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--for", dest="seconds", type=float, default=0,
                        help="repeat passes back to back while fewer than this many seconds have passed (default: one)")
    parser.add_argument("--lock", help="lock file (default: output/sync.lock in the project)")
    parser.add_argument("--lock-wait", type=float, default=0,
                        help="seconds to wait for a running pass to end before skipping this one (default 0)")
    parser.add_argument("--full-refresh", action="store_true",
                        help="ignore the bookmarks: read everything again (the demo, whose stores are new each time)")
    parser.add_argument("--reconcile", action="store_true",
                        help="the nightly full snapshot: each tap's --reconcile plugin, so vanished rows are removed")
    parser.add_argument("--warehouse", choices=WAREHOUSES,
                        help="default: $INVENTORY_WAREHOUSE, else the environment's name if it is a warehouse, else duckdb")
    parser.add_argument("--environment", help="Meltano environment (default: $MELTANO_ENVIRONMENT, else the warehouse's "
                                              "name for postgres and snowflake, else dev)")
    parser.add_argument("--sources", help="extractor plugins, comma-separated (default: tap-<channel>-inventory for "
                                          "each channel in $INVENTORY_CHANNELS, else all of them)")
    parser.add_argument("--push", action="store_true",
                        help="after dbt build, run inventory-push on the new plan (a dry run unless its apply setting "
                             "is true); a refused push becomes an alert")
    parser.add_argument("--forecast", action="store_true",
                        help="the daily forecast step instead of a pass: dbt's forecast models (tag forecast), on "
                             "PostgreSQL then inventory-forecast:run, then the alerts (reorder points reached)")
    parser.add_argument("--status", help="where to write the pass's status (default: output/run-status-<environment>.json)")
    args = parser.parse_args(argv)
    if args.seconds < 0 or args.lock_wait < 0:
        parser.error("--for and --lock-wait take a number of seconds >= 0")
    if args.forecast and (args.push or args.reconcile or args.seconds):
        parser.error("--forecast is a step of its own: it takes no --push, --reconcile or --for")
    env_name = args.environment or os.environ.get("MELTANO_ENVIRONMENT")
    args.warehouse = (args.warehouse or os.environ.get("INVENTORY_WAREHOUSE")
                      or (env_name if env_name in WAREHOUSES else "duckdb"))
    if args.warehouse not in WAREHOUSES:
        parser.error(f"INVENTORY_WAREHOUSE must be one of {', '.join(WAREHOUSES)}, not {args.warehouse!r}")
    args.environment = env_name or (args.warehouse if args.warehouse != "duckdb" else "dev")
    if args.sources:
        args.plugins = [p.strip() for p in args.sources.split(",") if p.strip()]
    else:
        channels = [c.strip() for c in os.environ.get("INVENTORY_CHANNELS", ",".join(CHANNELS)).split(",") if c.strip()]
        unknown = sorted(set(channels) - set(CHANNELS))
        if unknown:
            parser.error(f"INVENTORY_CHANNELS lists {', '.join(unknown)}; channels are {', '.join(CHANNELS)}")
        args.plugins = [f"tap-{c}-inventory" + ("--reconcile" if args.reconcile else "") for c in channels]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        root = project_root(Path.cwd())
        lock_path = Path(args.lock) if args.lock else root / "output" / "sync.lock"
        lock_fd = acquire(lock_path, args.lock_wait)
        if lock_fd is None:
            holder = lock_path.read_text().strip() if lock_path.exists() else "unknown"
            say(f"skipped: the previous pass still holds {lock_path.name} ({holder}) after {args.lock_wait:g} s")
            return 0
        sources = resolve(root, args.environment, args.plugins)
    except StoreError as exc:
        say(str(exc), "error")
        return 2
    runner = Runner(args, root, sources, lock_fd)
    began = time.monotonic()
    say(f"environment {args.environment}, warehouse {args.warehouse}, sources "
        f"{', '.join(s.plugin for s in sources)} (state id suffix {runner.suffix})")
    while True:
        started = time.monotonic()
        try:
            if args.forecast:
                run, last = runner.forecast(), True
            else:
                run = runner.once()
                last = bool(run.failed) or time.monotonic() - began >= args.seconds
                if last:  # freshness and the alerts: after the invocation's last pass (a failed one is last)
                    runner.check(run)
        except WarehouseDown as exc:
            say(f"the {args.warehouse} warehouse is not usable, nothing was loaded: {exc}", "error")
            return 2
        line = summary(run, time.monotonic() - started)
        if run.failed:
            say(line, "error")
            return 1
        say(line)
        if last:
            return 0


if __name__ == "__main__":
    sys.exit(main())
