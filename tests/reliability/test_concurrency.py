"""Two overlapping runs of the same job never corrupt state or the mart, and a crashed run blocks nothing.

What Meltano guarantees (meltano 4.4, `meltano run`): each tap -> loader block is a job named by its state
id (`dev:tap-shopify-inventory-to-target-duckdb:<stores>`); before it starts, Meltano looks for a running job
of that name in its system database and refuses with "Another '...' pipeline is already running" (exit 1)
unless `--force`. Jobs that stop sending heartbeats are marked failed only after a while (stale), so a kill -9
blocks every rerun until then. It is a check, not a lock: two runs that start at the same instant could both
pass it; dbt blocks have no such check (a second `dbt build` meets DuckDB's single-writer lock); and every
invocation writes the plugin's generated files under `.meltano/run/<plugin>/` and deletes them when it ends,
so another Meltano process in the same project can pull them from under a running loader.

So the scheduled pass, `inventory-sync` (runner/), holds a lock (`output/sync.lock`, an flock its children
inherit) for its whole length: a second pass waits `--lock-wait` seconds, then skips its tick with a line.
Holding the lock proves no pass is alive, so it runs Meltano with `--force`: after a crash the next pass starts
at once.

The test: run 1 of the tap -> loader block is held mid-sync by a slow answer; bare Meltano refuses run 2. Then
two overlapping passes: the second skips its tick, the first completes. Then a pass is killed (kill -9 of the
whole process group, as a crash or the OOM killer would) mid-sync: bare Meltano still refuses to run that block,
the next pass starts at once and the mart equals the store's ground truth with a valid bookmark.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import requests
from conftest import ROOT, VENV_BIN, meltano_bin, needs_module, run_meltano
from reliability_harness import write_results
from support.duckdb_rows import duckdb_rows
from support.mart import SHOPIFY, assert_mart_equals_truth

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

EL = ("run", "tap-shopify-inventory", "target-duckdb")  # Meltano's job check guards this block (dbt has none)


def _hold(sandbox, hold_ms: int) -> None:
    """The next levels page answers after ``hold_ms``: a run is mid-sync for that long."""
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"faults": [
        {"kind": "latency", "delay_ms": hold_ms, "match": "inventoryLevels"}]}, timeout=10).raise_for_status()


def _wait_held(sandbox, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while requests.get(f"{sandbox.url}/_sandbox/faults", timeout=10).json()["pending"]:
        assert time.monotonic() < deadline and proc.poll() is None, "the run never reached the slow page"
        time.sleep(0.1)


def _overlap(sandbox, env, command: list[str], again: list[str], hold_ms: int) -> dict:
    """Start `command`; a levels page is held `hold_ms`; meanwhile run `again`; both outcomes."""
    _hold(sandbox, hold_ms)
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             stdin=subprocess.DEVNULL)
    _wait_held(sandbox, first)
    second = subprocess.run(again, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                            stdin=subprocess.DEVNULL, check=False)
    overlapped = first.poll() is None
    out1, _ = first.communicate(timeout=600)
    out2 = (second.stdout + second.stderr).strip()
    return {"overlapped": overlapped, "run1_exit": first.returncode, "run2_exit": second.returncode,
            "run2_line": next((ln[ln.find("Another"):] for ln in out2.splitlines() if "already running" in ln),
                              out2.splitlines()[-1] if out2 else "")[:300],
            "run1_error": next((ln for ln in reversed(out1.splitlines()) if "Error" in ln), "")[-300:]}


def test_overlapping_runs_and_a_crash(meltano_env, tmp_path) -> None:
    with inventory_sandbox.ShopifySandbox(stores=[SHOPIFY.store], locations=2, items=40, seed=9) as sandbox:
        env = {**meltano_env, "INVENTORY_CHANNELS": "shopify",
               "TAP_SHOPIFY_INVENTORY_STORE": SHOPIFY.store,
               "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": sandbox.token(SHOPIFY.store),
               "TAP_SHOPIFY_INVENTORY_API_URL": sandbox.api_url(SHOPIFY.store), "TAP_SHOPIFY_INVENTORY_LOOKBACK": "0"}
        meltano = [str(meltano_bin()), *EL]
        sync = [str(VENV_BIN / "inventory-sync"), "--lock", str(tmp_path / "sync.lock")]
        # 1. Bare Meltano: its job check refuses run 2.
        bare = _overlap(sandbox, env, meltano, meltano, hold_ms=20_000)  # run 2's check comes while run 1 is held
        assert bare["overlapped"], "run 1 ended before run 2 started: the overlap was not tested"
        assert bare["run2_exit"] != 0 and "already running" in bare["run2_line"], bare

        # 2. Two scheduled passes: the second waits a second for the lock, then skips its tick with a line.
        sandbox.change_stock(SHOPIFY.store, n=5, seed=2)
        passes = _overlap(sandbox, env, sync, [*sync, "--lock-wait", "1"], hold_ms=5000)
        assert passes["overlapped"] and passes["run1_exit"] == 0, passes
        assert passes["run2_exit"] == 0 and "skipped: the previous pass still holds sync.lock" in passes["run2_line"]

        # 3. A pass killed mid-sync (runner, Meltano, tap and loader at once) leaves Meltano's job "running"...
        sandbox.change_stock(SHOPIFY.store, n=5, seed=3)
        _hold(sandbox, 20_000)
        crashed = subprocess.Popen(sync, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        _wait_held(sandbox, crashed)
        os.killpg(crashed.pid, signal.SIGKILL)
        crashed.wait(timeout=30)
        assert crashed.returncode == -signal.SIGKILL
        refused = run_meltano(env, "--log-level=warning", "state", "list").stdout.split()
        state_id = next(s for s in refused if s.startswith("dev:tap-shopify-inventory-to-target-duckdb:"))
        blocked = subprocess.run([*meltano[:1], "run", f"--state-id-suffix={state_id.rsplit(':', 1)[1]}", *EL[1:]],
                                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
                                 stdin=subprocess.DEVNULL)
        assert blocked.returncode != 0 and "already running" in blocked.stdout + blocked.stderr, \
            (blocked.stdout + blocked.stderr)[-2000:]
        # ... and the next pass starts at once (its lock proves nothing is alive) and converges.
        started = time.monotonic()
        after = subprocess.run(sync, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
                               stdin=subprocess.DEVNULL)
        assert after.returncode == 0, (after.stdout + after.stderr)[-3000:]
        recovered_s = round(time.monotonic() - started, 1)
        levels = assert_mart_equals_truth(duckdb_rows(env["WAREHOUSE_PATH"]), sandbox, SHOPIFY)
        state = json.loads(run_meltano(env, "state", "get", state_id).stdout.strip().splitlines()[-1])
        assert state["singer_state"]["bookmarks"]["inventory_levels"]["replication_key_value"]
        write_results("concurrency", {"bare": bare, "passes": passes, "levels": levels,
                                      "after_crash": {"exit": after.returncode, "seconds": recovered_s}})
