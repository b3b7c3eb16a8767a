"""Processes the benchmarks drive: sandbox servers, taps, the loader, Meltano.

Everything runs as a real subprocess over loopback HTTP, as in production; nothing is imported from the
taps. Peak RSS comes from ``os.wait4`` (the kernel's own high-water mark of that child), not from polling;
each measured process is started by a small launcher (``spawn``), see there why.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
LOADER = ROOT / ".meltano/loaders/target-duckdb/venv/bin/target-duckdb"

TAPS = {
    "shopify": "tap-shopify-inventory",
    "bigcommerce": "tap-bigcommerce-inventory",
    "magento": "tap-magento-inventory",
}
LEVELS = "inventory_levels"

# inventory_levels per --items at 4 locations (seed 7), measured once: used to size stores by levels.
LEVELS_PER_ITEM = {"shopify": 2.35, "bigcommerce": 3.43, "magento": 2.0}


def items_for(platform: str, levels: int) -> int:
    return max(10, math.ceil(levels / LEVELS_PER_ITEM[platform]))


def unlimited(platform: str) -> list[str]:
    """Sandbox flags that switch rate limits off (the zero-latency, unthrottled store)."""
    if platform == "shopify":
        return ["--bucket-size", "1e12", "--restore-rate", "1e12"]
    if platform == "bigcommerce":
        return ["--quota", "1000000000"]
    return []


def executable(name: str) -> str:
    path = shutil.which(name, path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if path is None:
        raise SystemExit(f"bench: {name} is not installed; run scripts/setup.sh first")
    return path


class Sandbox:
    """One ``inventory-sandbox serve`` process with one store; stopped by its own pid."""

    def __init__(self, platform: str, workdir: Path, *, items: int, locations: int = 4, seed: int = 7,
                 extra: list[str] | None = None):
        self.platform = platform
        self.store = {"shopify": "bench-shop", "bigcommerce": "benchstore", "magento": "bench-mage"}[platform]
        self.workdir = workdir
        self.args = ["serve", "--platform", platform, "--stores", self.store, "--locations", str(locations),
                     "--items", str(items), "--seed", str(seed), *(extra or [])]
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.startup_s = 0.0

    def __enter__(self) -> Sandbox:
        ready = self.workdir / f"ready-{self.platform}-{os.getpid()}-{time.monotonic_ns()}"
        log = open(self.workdir / f"sandbox-{self.platform}.log", "ab")  # noqa: SIM115 - closed with the process
        started = time.perf_counter()
        self.proc = subprocess.Popen([executable("inventory-sandbox"), *self.args, "--ready-file", str(ready)],
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        while not ready.exists():
            if self.proc.poll() is not None:
                raise SystemExit(f"bench: the {self.platform} sandbox exited {self.proc.returncode}; "
                                 f"see {self.workdir}/sandbox-{self.platform}.log")
            if time.perf_counter() - started > 900:
                raise SystemExit(f"bench: the {self.platform} sandbox did not start within 900 s")
            time.sleep(0.1)
        self.startup_s = time.perf_counter() - started
        self.url = ready.read_text().strip()
        ready.unlink()
        return self

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # -- control API
    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}/_sandbox/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as resp:
            return json.loads(resp.read() or b"{}")

    def log(self) -> dict:
        return self.control("GET", "log")

    def reset_log(self) -> None:
        self.control("POST", "log/reset", {})

    def configure(self, **settings) -> None:
        self.control("POST", "config", settings)

    # -- tap configuration
    def tap_config(self) -> dict:
        base = f"{self.url}/stores/{self.store}"
        if self.platform == "shopify":
            return {"store": self.store, "access_token": f"shpat_sandbox_{self.store}", "api_url": base}
        if self.platform == "bigcommerce":
            return {"store_hash": self.store, "access_token": f"bc_sandbox_{self.store}", "api_url": base}
        return {"base_url": base, "store_id": self.store, "access_token": f"mg_sandbox_{self.store}"}

    def tap_env(self) -> dict[str, str]:
        """`tap_config` as the environment variables Meltano reads for this platform's tap."""
        prefix = f"TAP_{self.platform.upper()}_INVENTORY_"
        return {prefix + key.upper(): value for key, value in self.tap_config().items()}


@dataclass
class Run:
    wall_s: float
    peak_rss_mb: float
    returncode: int
    records: dict[str, int]
    cpu_s: float = 0.0


def count_records(path: Path) -> dict[str, int]:
    """RECORD messages per stream in a Singer output file."""
    counts: dict[str, int] = {}
    with open(path, "rb") as fh:
        for line in fh:
            if b'"RECORD"' not in line[:40]:
                continue
            msg = json.loads(line)
            if msg.get("type") == "RECORD":
                counts[msg["stream"]] = counts.get(msg["stream"], 0) + 1
    return counts


_CPU: dict[int, float] = {}
_REPORTS: dict[int, Path] = {}
# Linux gives a process that execs the high-water mark of the memory it had before (for a child of
# subprocess, this benchmark process's own, shared through vfork): once the benchmark held a large truth list,
# every tap started from it "peaked" at the benchmark's size. So a small interpreter forks the measured command
# and reports that grandchild's own rusage (maximum RSS, CPU seconds) in a file.
_LAUNCHER = """
import json, os, sys
report, cmd = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as fh:
    json.dump({"maxrss_kb": usage.ru_maxrss, "cpu_s": usage.ru_utime + usage.ru_stime}, fh)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def spawn(cmd: list[str], **popen_kwargs) -> subprocess.Popen:
    """Start ``cmd`` through the launcher; ``_wait`` then returns its own peak RSS and CPU time."""
    fd, report = tempfile.mkstemp(prefix="bench-rusage-", suffix=".json")
    os.close(fd)
    proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _LAUNCHER, report, *cmd], **popen_kwargs)
    _REPORTS[proc.pid] = Path(report)
    return proc


def _wait(proc: subprocess.Popen) -> tuple[int, float]:
    """(returncode, peak RSS in MB) of one spawned command, from the kernel's rusage of exactly that process."""
    code = proc.wait()
    report = _REPORTS.pop(proc.pid)
    text = report.read_text()
    report.unlink()
    if not text:
        raise SystemExit(f"bench: no rusage for {proc.args[6:]} (the launcher exited {code})")
    facts = json.loads(text)
    _CPU[proc.pid] = facts["cpu_s"]
    return code, facts["maxrss_kb"] / 1024


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj))
    return path


_CATALOGS: dict[tuple, Path] = {}


def catalog_for(tap: str, config: Path, workdir: Path, streams: set[str] | None) -> Path:
    """The tap's discovered catalog with only ``streams`` selected (all when None); discovered once per tap."""
    key = (tap, workdir, None if streams is None else tuple(sorted(streams)))
    if key in _CATALOGS:
        return _CATALOGS[key]
    out = subprocess.run([executable(tap), "--config", str(config), "--discover"], capture_output=True,
                         check=True, stdin=subprocess.DEVNULL)
    catalog = json.loads(out.stdout)
    for entry in catalog["streams"]:
        chosen = streams is None or entry["tap_stream_id"] in streams
        for meta in entry.get("metadata", []):
            if meta.get("breadcrumb") == []:
                meta["metadata"]["selected"] = chosen
    _CATALOGS[key] = write_json(
        workdir / f"catalog-{tap}-{'all' if streams is None else '-'.join(sorted(streams))}.json", catalog)
    return _CATALOGS[key]


_STARTUP: dict[str, tuple[float, float]] = {}


def startup(tap: str) -> tuple[float, float]:
    """(wall s, CPU s) of the tap process doing no HTTP (``--about``): imports and set-up, the fixed cost of a
    run. The best of two tries."""
    if tap not in _STARTUP:
        best = (float("inf"), float("inf"))
        for _ in range(2):
            cmd = ([sys.executable, "-c", "import requests, json"] if tap == "floor"
                   else [executable(tap), "--about", "--format", "json"])
            started = time.perf_counter()
            proc = spawn(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    stdin=subprocess.DEVNULL)
            _wait(proc)
            best = min(best, (time.perf_counter() - started, _CPU.pop(proc.pid, 0.0)))
        _STARTUP[tap] = best
    return _STARTUP[tap]


def startup_seconds(tap: str) -> float:
    return startup(tap)[0]


def run_tap(tap: str, config: dict, workdir: Path, *, streams: set[str] | None = None, state: dict | None = None,
            out: Path | None = None, profile: Path | None = None) -> tuple[Run, Path, dict | None]:
    """Run a tap to a file; returns the run facts, the output path and the last STATE value."""
    cfg = write_json(workdir / f"config-{tap}.json", config)
    cat = catalog_for(tap, cfg, workdir, streams)
    out = out or workdir / f"out-{tap}.jsonl"
    cmd = [executable(tap), "--config", str(cfg), "--catalog", str(cat)]
    if state is not None:
        cmd += ["--state", str(write_json(workdir / f"state-{tap}.json", state))]
    if profile is not None:
        cmd = [sys.executable, "-m", "cProfile", "-o", str(profile), *cmd]
    with open(out, "wb") as stdout, open(workdir / f"err-{tap}.log", "wb") as stderr:
        started = time.perf_counter()
        proc = spawn(cmd, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        code, rss = _wait(proc)
        wall = time.perf_counter() - started
    if code != 0:
        tail = (workdir / f"err-{tap}.log").read_text(errors="replace").splitlines()[-15:]
        raise SystemExit(f"bench: {tap} exited {code}:\n" + "\n".join(tail))
    return Run(wall, rss, code, count_records(out), _CPU.pop(proc.pid, 0.0)), out, last_state(out)


def last_state(path: Path) -> dict | None:
    state = None
    with open(path, "rb") as fh:
        for line in fh:
            if line.startswith(b'{"type":"STATE"') or b'"STATE"' in line[:30]:
                state = json.loads(line).get("value")
    return state


def run_tap_to_loader(tap: str, config: dict, workdir: Path, schema: str,
                      streams: set[str] | None) -> tuple[float, float, float]:
    """tap | target-duckdb into a fresh DuckDB file: (wall s, tap peak RSS MB, loader peak RSS MB)."""
    if not LOADER.exists():
        raise SystemExit("bench: target-duckdb is not installed (.meltano/loaders); run scripts/setup.sh")
    cfg = write_json(workdir / f"config-{tap}.json", config)
    cat = catalog_for(tap, cfg, workdir, streams)
    db = workdir / f"loader-{tap}.duckdb"
    db.unlink(missing_ok=True)
    target_cfg = write_json(workdir / "target.json", {"filepath": str(db), "default_target_schema": schema,
                                                      "add_metadata_columns": True})
    with open(workdir / f"err-{tap}-pipe.log", "wb") as err, open(workdir / "err-target.log", "wb") as terr:
        started = time.perf_counter()
        tap_proc = spawn([executable(tap), "--config", str(cfg), "--catalog", str(cat)],
                                    stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
        target = spawn([str(LOADER), "--config", str(target_cfg)], stdin=tap_proc.stdout,
                                  stdout=subprocess.DEVNULL, stderr=terr)
        tap_proc.stdout.close()
        tap_code, tap_rss = _wait(tap_proc)
        target_code, target_rss = _wait(target)
        wall = time.perf_counter() - started
    if tap_code or target_code:
        raise SystemExit(f"bench: {tap} | target-duckdb exited {tap_code}/{target_code}; see {workdir}")
    db.unlink(missing_ok=True)
    return wall, tap_rss, target_rss


def machine() -> dict:
    """What the figures were measured on: CPU, cores, memory, load before the run."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1),
            "python": sys.version.split()[0], "platform": sys.platform, "host": os.uname().nodename}


def run_floor(platform: str, config: dict, workdir: Path, page: int | None = None) -> Run:
    """benchmarks/floor.py in its own process, measured like the tap."""
    cfg = write_json(workdir / f"config-floor-{platform}.json", config)
    out = workdir / f"out-floor-{platform}.jsonl"
    cmd = [sys.executable, str(Path(__file__).with_name("floor.py")), platform, str(cfg), str(out)]
    if page:
        cmd.append(str(page))
    started = time.perf_counter()
    proc = spawn(cmd, stdin=subprocess.DEVNULL)
    code, rss = _wait(proc)
    wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"bench: the {platform} floor exited {code}")
    records = count_records(out)
    out.unlink()
    return Run(wall, rss, code, records, _CPU.pop(proc.pid, 0.0))
