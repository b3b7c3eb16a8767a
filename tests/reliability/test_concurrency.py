"""Two overlapping runs of the same job never corrupt state or the mart.

What Meltano guarantees (meltano 4.4, `meltano run`): each tap -> loader block is a job named by its state
id (`dev:tap-shopify-inventory-to-target-duckdb`); before it starts, Meltano looks for a running job of that
name in its system database and refuses with "Another '...' pipeline is already running" (exit 1) unless
`--force`. Jobs that stop sending heartbeats are marked failed after a while (stale), so a kill -9 never
blocks later runs for good. State is saved from the loader's STATE lines as the run goes (partial state)
and merged on the next run. It is a check, not a lock: two runs that start at the same instant could both
pass it; dbt blocks have no such check (a second `dbt build` meets DuckDB's single-writer lock); and every
invocation writes the plugin's generated files under `.meltano/run/<plugin>/` and deletes them when it ends,
so another Meltano process in the same project can pull them from under a running loader. Hence `flock`
around the cron lines (README).

The test: run 1 of the tap -> loader block is held mid-sync by a slow answer; run 2 of the same block must be
refused. Then the same overlap under `flock -n`: run 2 turned away, run 1 completes. Then a normal run with
dbt converges: the mart equals the store's ground truth and the state holds a valid bookmark.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
import requests
from conftest import ROOT, meltano_bin, needs_module, run_meltano
from reliability_harness import write_results
from support.duckdb_rows import duckdb_rows
from support.mart import SHOPIFY, assert_mart_equals_truth

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

BLOCKS = ("run", "tap-shopify-inventory", "target-duckdb", "dbt-duckdb:build")
EL = BLOCKS[:3]  # the overlapping runs: Meltano's job check guards this block (dbt has none)
STATE_ID = "dev:tap-shopify-inventory-to-target-duckdb"


def _overlap(sandbox, env, command: list[str], hold_ms: int) -> dict:
    """Start `command`; its second request is held `hold_ms`; meanwhile start it again; both outcomes."""
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"faults": [
        {"kind": "none"}, {"kind": "latency", "delay_ms": hold_ms}]}, timeout=10).raise_for_status()
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while requests.get(f"{sandbox.url}/_sandbox/faults", timeout=10).json()["pending"]:
        assert time.monotonic() < deadline and first.poll() is None, "run 1 never reached the slow page"
        time.sleep(0.1)
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                            stdin=subprocess.DEVNULL, check=False)
    overlapped = first.poll() is None
    out1, _ = first.communicate(timeout=600)
    out2 = second.stdout + second.stderr
    return {"overlapped": overlapped, "run1_exit": first.returncode, "run2_exit": second.returncode,
            "run2_line": next((ln[ln.find("Another"):] for ln in out2.splitlines() if "already running" in ln),
                              out2.strip()[-200:])[:300],
            "run1_error": next((ln for ln in reversed(out1.splitlines()) if "Error" in ln), "")[-300:]}


def test_overlapping_runs_of_one_job(meltano_env, tmp_path) -> None:
    with inventory_sandbox.ShopifySandbox(stores=[SHOPIFY.store], locations=2, items=40, seed=9) as sandbox:
        env = {**meltano_env, "INVENTORY_CHANNELS": "shopify",
               "TAP_SHOPIFY_INVENTORY_STORE": SHOPIFY.store,
               "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": sandbox.token(SHOPIFY.store),
               "TAP_SHOPIFY_INVENTORY_API_URL": sandbox.api_url(SHOPIFY.store), "TAP_SHOPIFY_INVENTORY_LOOKBACK": "0"}
        meltano = [str(meltano_bin()), *EL]
        # 1. Bare Meltano: its job check refuses run 2.
        bare = _overlap(sandbox, env, meltano, hold_ms=20_000)  # run 2's job check comes while run 1 is held
        assert bare["overlapped"], "run 1 ended before run 2 started: the overlap was not tested"
        assert bare["run2_exit"] != 0 and "already running" in bare["run2_line"], bare
        # 2. As the README's cron lines run it: flock -n turns run 2 away before Meltano starts.
        sandbox.change_stock(SHOPIFY.store, n=5, seed=2)
        locked = _overlap(sandbox, env, ["flock", "-n", str(tmp_path / "sync.lock"), *meltano], hold_ms=2000)
        assert locked["overlapped"] and locked["run2_exit"] != 0 and locked["run1_exit"] == 0, locked
        # 3. Whatever the overlaps did, the next run converges: state and mart are whole.
        sandbox.change_stock(SHOPIFY.store, n=5, seed=3)
        run_meltano(env, *BLOCKS)
        levels = assert_mart_equals_truth(duckdb_rows(env["WAREHOUSE_PATH"]), sandbox, SHOPIFY)
        state = json.loads(run_meltano(env, "state", "get", STATE_ID).stdout.strip().splitlines()[-1])
        assert state["singer_state"]["bookmarks"]["inventory_levels"]["replication_key_value"]
        write_results("concurrency", {"bare": bare, "flock": locked, "levels": levels})
