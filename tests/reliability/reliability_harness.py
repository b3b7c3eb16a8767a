"""Run fault cases end to end without Meltano's start-up cost, the way Meltano runs them.

One sandbox per platform holds one small store per case. Each case's runs are a tap process piped into
the loader executable of the Meltano project (`.meltano/loaders/target-duckdb`), all into one DuckDB file;
between runs the state is the last STATE line the loader printed (what Meltano stores). After every case
has run, one `dbt build` makes the mart and each store's mart rows are compared with that store's ground
truth: expected, loaded, lost, duplicated, differing rows. Results go to JSON for docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LOADER = ROOT / ".meltano/loaders/target-duckdb/venv/bin/target-duckdb"
DBT = ROOT / ".meltano/utilities/dbt-duckdb/venv/bin/dbt"
RESULTS = Path(os.environ.get("RELIABILITY_RESULTS", ROOT / "output" / "reliability"))
TAPS = {"shopify": "tap-shopify-inventory", "bigcommerce": "tap-bigcommerce-inventory",
        "magento": "tap-magento-inventory"}
QUANTITIES = ("available", "on_hand", "committed", "reserved", "incoming", "damaged", "quality_control", "safety_stock")
PRESENT = {"shopify": QUANTITIES, "bigcommerce": ("available", "on_hand", "safety_stock"),
           "magento": ("available", "on_hand")}
LEVEL_KEY = ("store_id", "location_id", "inventory_item_id")
#: Settings every case shares: short timeouts and few retries keep a failing case fast.
TAP_LIMITS = {"request_timeout": 2, "max_retries": 3, "lookback": 0}
#: Text in every request for inventory levels (a fault's ``match``): Shopify's GraphQL connection, the REST paths.
LEVELS_REQUEST = {"shopify": "inventoryLevels", "bigcommerce": "inventory/items", "magento": "inventory/source-items"}
#: How long a held levels page waits before the sandbox answers: far longer than a kill takes to land.
HOLD_MS = 30_000


@dataclass
class Case:
    """One fault on one store: faults queued before the first run, then reruns as a scheduler would."""

    name: str
    title: str
    faults: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    next_sync: bool = False  # data moved during the run: the next scheduled sync must converge
    kill: str | None = None  # "tap" or "loader": kill -9 mid-sync, then rerun
    expect_failure: bool = False  # the fault outlasts the retries: run 1 must fail with a clear line
    bad_data: bool = False  # awkward values put into the store first (sandbox baddata.py)
    loader: dict = field(default_factory=dict)  # loader settings of run 1 (kill cases: small batches)


@dataclass
class Run:
    exit_code: int
    loader_exit: int
    seconds: float
    message: str  # the tap's last error line ("" when it succeeded)
    levels_emitted: int = 0  # inventory_levels records the tap wrote (its record_count metrics)
    faults_fired: list[str] = field(default_factory=list)  # kinds the sandbox used during the run, in order
    faults_left: int = 0  # queued faults the run never reached
    killed: str | None = None  # kill cases: "tap"/"loader" when our SIGKILL ended that process
    levels_in_warehouse: int | None = None  # kill cases: the store's level rows committed when the run died


@dataclass
class Outcome:
    platform: str
    case: str
    title: str
    runs: list[Run]
    expected: int = 0
    loaded: int = 0
    lost: int = 0
    duplicated: int = 0
    differ: int = 0
    locations_differ: int = 0
    ok: bool = False


def store_name(platform: str, case: str) -> str:
    """A store name every platform accepts (BigCommerce store hashes: letters and digits)."""
    return ("r" + case.replace("_", "")).lower()[:30]


def tap_config(platform: str, sandbox, store: str, settings: dict) -> dict:
    if platform == "shopify":
        base = {"store": store, "access_token": sandbox.token(store), "api_url": sandbox.api_url(store)}
    elif platform == "bigcommerce":
        base = {"store_hash": store, "access_token": sandbox.token(store), "api_url": sandbox.api_url(store),
                "page_size": 10}
    else:
        base = {"base_url": sandbox.base_url(store), "store_id": store, "access_token": sandbox.token(store),
                "page_size": 10}
    return {**base, **TAP_LIMITS, **settings}


def loader_config(warehouse: Path, platform: str, settings: dict | None = None) -> dict:
    """The loader settings meltano.yml gives target-duckdb (``settings`` override them)."""
    return {"filepath": str(warehouse), "default_target_schema": f"raw_{platform}", "add_metadata_columns": True,
            "batch_size_rows": 100000, "primary_key_required": True, "validate_records": False,
            "hard_delete": False, "data_flattening_max_level": 0, **(settings or {})}


def last_state(stdout: bytes) -> dict | None:
    """The last complete STATE message the loader printed, as Meltano keeps it."""
    state = None
    for line in stdout.decode(errors="replace").splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and "bookmarks" in message:
            state = message  # target-duckdb prints the state value itself
        elif isinstance(message, dict) and message.get("type") == "STATE":
            state = message.get("value")
    return state


def levels_emitted(log: str) -> int:
    """inventory_levels records a tap wrote: the sum of its record_count counters (each is since the last)."""
    total = 0
    for line in log.splitlines():
        if '"record_count"' in line and '"inventory_levels"' in line:
            with contextlib.suppress(ValueError, KeyError):
                total += int(json.loads(line.split("METRIC: ", 1)[1])["value"])
    return total


def error_line(stderr: str) -> str:
    """The tap's one-line error: the last line that says what went wrong."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if any(w in ln for w in ("ERROR", "CRITICAL", "Error", "error", "gave up", "could not")):
            return ln[-400:]
    return lines[-1][-400:] if lines else ""


class Pipeline:
    """tap | target-duckdb into one warehouse, keeping state per store between runs."""

    def __init__(self, work: Path, warehouse: Path, env: dict | None = None):
        self.work = work
        self.warehouse = warehouse
        self.env = {**os.environ, **(env or {})}
        self.states: dict[tuple[str, str], dict] = {}
        self.logs: list[Path] = []

    def start(self, platform: str, store: str, config: dict, tag: str, loader: dict | None = None):
        """Start tap | loader; returns (tap, loader, files)."""
        cfg = self.work / f"{platform}-{store}-{tag}.config.json"
        cfg.write_text(json.dumps(config))
        args = [str(VENV_BIN / TAPS[platform]), "--config", str(cfg)]
        state = self.states.get((platform, store))
        if state is not None:
            state_file = self.work / f"{platform}-{store}-{tag}.state.json"
            state_file.write_text(json.dumps(state))
            args += ["--state", str(state_file)]
        target_cfg = self.work / f"target-{platform}-{store}-{tag}.json"
        target_cfg.write_text(json.dumps(loader_config(self.warehouse, platform, loader)))
        tap_err = self.work / f"{platform}-{store}-{tag}.tap.log"
        target_err = self.work / f"{platform}-{store}-{tag}.loader.log"
        self.logs += [tap_err, target_err]
        tap = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=tap_err.open("wb"), env=self.env,
                               stdin=subprocess.DEVNULL)
        target = subprocess.Popen([str(LOADER), "--config", str(target_cfg)], stdin=tap.stdout,
                                  stdout=subprocess.PIPE, stderr=target_err.open("wb"), env=self.env)
        tap.stdout.close()  # the loader owns the read end: a dead loader gives the tap a broken pipe
        target.log = target_err  # type: ignore[attr-defined]
        return tap, target, tap_err

    def finish(self, platform: str, store: str, tap, target, tap_err: Path, started: float) -> Run:
        out, _ = target.communicate(timeout=300)
        tap.wait(timeout=300)
        state = last_state(out)
        if state is not None:
            self.states[(platform, store)] = state
        log = tap_err.read_text(errors="replace")
        message = "" if tap.returncode == 0 else error_line(log)
        return Run(tap.returncode, target.returncode, round(time.monotonic() - started, 2), message,
                   levels_emitted(log))

    def run(self, platform: str, store: str, config: dict, tag: str) -> Run:
        started = time.monotonic()
        tap, target, tap_err = self.start(platform, store, config, tag)
        return self.finish(platform, store, tap, target, tap_err, started)

    def run_killed(self, platform: str, store: str, config: dict, tag: str, victim: str, faults_url: str,
                   loader: dict) -> Run:
        """Kill -9 the victim mid-load: once the tap is held on a slow levels page (the sandbox took the fault)
        and the loader has committed at least one batch of levels (it logged a second levels batch: it loads
        one batch at a time). Then count the store's level rows the warehouse kept. A loader killed this way
        is what Meltano answers by stopping the tap: the tap gets SIGTERM."""
        started = time.monotonic()
        tap, target, tap_err = self.start(platform, store, config, tag, loader)
        deadline = time.monotonic() + 120
        held = committed = False
        while time.monotonic() < deadline and tap.poll() is None and target.poll() is None:
            state = requests.get(faults_url, timeout=10).json()
            held = not state["pending"] and "latency" in [f["kind"] for f in state["fired"]]
            committed = _levels_batches(target.log) >= 2
            if held and committed:
                break
            time.sleep(0.05)
        killed = None
        if held and committed:
            (tap if victim == "tap" else target).send_signal(signal.SIGKILL)
            killed = victim
            if victim == "loader":
                target.wait(timeout=30)
                tap.terminate()
        run = self.finish(platform, store, tap, target, tap_err, started)
        proc = tap if victim == "tap" else target
        run.killed = killed if proc.returncode == -signal.SIGKILL else None
        run.levels_in_warehouse = level_rows(self.warehouse, platform, store)
        return run


def _levels_batches(log: Path) -> int:
    """Batches of inventory levels the loader has started to load (target-duckdb logs each one)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return sum(1 for line in text.splitlines() if "Loading" in line and "inventory_levels" in line)


def level_rows(warehouse: Path, platform: str, store: str) -> int:
    """The store's rows in the loader's raw levels table (0 when none was created yet)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute("select count(*) from information_schema.tables where table_schema = ? "
                            "and table_name = 'inventory_levels'", [f"raw_{platform}"]).fetchone()[0]
        if not found:
            return 0
        return con.execute(f"select count(*) from raw_{platform}.inventory_levels where store_id = ?",
                           [store]).fetchone()[0]


def queue_faults(sandbox, faults: list[dict]) -> None:
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()
    if faults:
        requests.post(f"{sandbox.url}/_sandbox/faults", json={"faults": faults}, timeout=10).raise_for_status()


def note_faults(sandbox, run: Run) -> None:
    """What the sandbox says of the faults of this run: the kinds it used, and how many it never reached."""
    state = requests.get(f"{sandbox.url}/_sandbox/faults", timeout=10).json()
    run.faults_fired = [f["kind"] for f in state["fired"]]
    run.faults_left = sum(f["count"] for f in state["pending"])


def queued_kinds(faults: list[dict]) -> list[str]:
    """The kinds a fault list should fire, one per request, in order."""
    return [f["kind"] for f in faults for _ in range(int(f.get("count", 1)))]


def run_case(pipeline: Pipeline, platform: str, sandbox, case: Case) -> list[Run]:
    return run_case_with(pipeline, platform, sandbox, store_name(platform, case.name), case)


def run_case_with(pipeline: Pipeline, platform: str, sandbox, store: str, case: Case) -> list[Run]:
    """Run 1 with the faults queued; a rerun when it failed (as the next scheduled run would); the next
    sync when the case moved data during the run."""
    config = tap_config(platform, sandbox, store, case.settings)
    if case.bad_data:
        response = requests.post(f"{sandbox.url}/_sandbox/bad_data", json={"store": store}, timeout=30)
        response.raise_for_status()
        case.planted = response.json()["set"]
    queue_faults(sandbox, [_resolve(f, sandbox, platform, store) for f in case.faults])
    if case.kill:
        runs = [pipeline.run_killed(platform, store, config, "run1", case.kill, f"{sandbox.url}/_sandbox/faults",
                                    case.loader)]
    else:
        runs = [pipeline.run(platform, store, config, "run1")]
    note_faults(sandbox, runs[0])
    queue_faults(sandbox, [])
    plain = tap_config(platform, sandbox, store, {k: v for k, v in case.settings.items() if k != "max_retries"})
    if runs[0].exit_code != 0 or runs[0].loader_exit != 0:
        runs.append(pipeline.run(platform, store, plain, "rerun"))
    if case.next_sync:
        runs.append(pipeline.run(platform, store, plain, "next"))
    return runs


def _resolve(fault: dict, sandbox, platform: str, store: str) -> dict:
    """Fill a mutate fault's body for this store (the location to deactivate comes from the truth)."""
    if fault.get("kind") != "mutate":
        return fault
    body = {**fault["body"], "store": store}
    if body.pop("deactivate", False):
        last = sandbox.truth(store)["locations"][-1]["location_id"]
        if platform == "magento":
            return {**fault, "route": "source", "body": {"store": store, "source_code": last, "enabled": False}}
        return {**fault, "route": "location", "body": {"store": store, "location_id": last, "is_active": False}}
    return {**fault, "body": body}


def merge_warehouses(warehouse: Path, parts: list[Path]) -> None:
    """Copy every raw schema of ``parts`` into one warehouse for dbt."""
    import duckdb

    with duckdb.connect(str(warehouse)) as con:
        for n, part in enumerate(parts):
            if not part.exists():
                continue
            con.execute(f"attach '{part}' as part{n} (read_only)")
            for schema, table in con.execute(
                    "select table_schema, table_name from information_schema.tables "
                    f"where table_catalog = 'part{n}' and table_schema like 'raw_%'").fetchall():
                con.execute(f"create schema if not exists {schema}")
                con.execute(f"create table {schema}.{table} as select * from part{n}.{schema}.{table}")
            con.execute(f"detach part{n}")


def dbt_build(warehouse: Path, work: Path) -> subprocess.CompletedProcess:
    """One dbt build of the whole project into the warehouse (its own target/ and logs, so parallel runs of
    the project never share dbt's folders)."""
    env = {**os.environ, "DBT_DUCKDB_PATH": str(warehouse), "WAREHOUSE_PATH": str(warehouse),
           "DBT_TARGET_PATH": str(work / "dbt-target"), "DBT_LOG_PATH": str(work / "dbt-logs"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_TARGET": "dev"}
    return subprocess.run([str(DBT), "build", "--project-dir", str(ROOT / "transform"), "--profiles-dir",
                           str(ROOT / "transform/profiles/duckdb")], env=env, capture_output=True, text=True,
                          timeout=900, check=False)


def compare(rows, platform: str, sandbox, store: str) -> dict:
    """This store's mart levels and locations against its ground truth."""
    present = PRESENT[platform]
    columns = ", ".join((*LEVEL_KEY, "sku", *present))
    mart = rows(f"select {columns} from analytics.fct_inventory_levels "
                f"where channel = '{platform}' and store_id = '{store}'")
    counts = Counter(tuple(r[k] for k in LEVEL_KEY) for r in mart)
    keyed = {tuple(r[k] for k in LEVEL_KEY): r for r in mart}
    truth = {tuple(r[k] for k in LEVEL_KEY): {**{k: r[k] for k in (*LEVEL_KEY, *present)}, "sku": normal_sku(r["sku"])}
             for r in sandbox.truth(store)["inventory_levels"]}
    differ = [k for k in truth.keys() & keyed.keys() if {k2: _num(v) for k2, v in truth[k].items()}
              != {k2: _num(v) for k2, v in keyed[k].items()}]
    locations = {r["location_id"]: r["is_active"] for r in sandbox.truth(store)["locations"]}
    mart_locations = {r["location_id"]: r["is_active"] for r in rows(
        f"select location_id, is_active from analytics.dim_locations "
        f"where channel = '{platform}' and store_id = '{store}' and not coalesce(is_deleted, false)")}
    return {"expected": len(truth), "loaded": len(mart), "lost": len(truth.keys() - keyed.keys()),
            "duplicated": sum(n - 1 for n in counts.values()),
            "differ": len(differ) + len(keyed.keys() - truth.keys()),
            "locations_differ": sum(1 for k in locations.keys() | mart_locations.keys()
                                    if locations.get(k) != mart_locations.get(k))}


def normal_sku(sku: str | None) -> str | None:
    """The mart's SKU (transform/macros/normalize_sku.sql, default `sku_case` upper): trimmed, upper, '' -> null."""
    return (sku.strip().upper() or None) if sku is not None else None


def _num(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def write_results(name: str, payload) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=lambda o: asdict(o)))
    return path


def tmpdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
