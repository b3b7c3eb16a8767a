"""Why every store has its own plugin: two stores read through ONE plugin at the same time clash in Meltano 4.4.

Meltano keeps state.json, the tap's catalog and its logging files per plugin name in `.meltano/run/<plugin>/`
(upstream issue meltano#8763). Two `meltano run`s of the same plugin with different `--state-id-suffix` (two
stores, each with its own warehouse file), started together, remove or overwrite each other's files. This test
documents that: it fails when the clash no longer happens in any of a few tries, so we notice when Meltano fixes
it and can reconsider the one-plugin-per-store layout (orchestrate/generate.py). That distinct plugins run side by
side without clashing is what tests/orchestrate/test_airflow_fanout.py shows with five stores.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import needs_module

from orchestrate.generate import STORES
from orchestrate.project_copy import project_with_stores

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

#: Each try takes a few seconds; on an idle box the first try nearly always clashes, on a loaded one the runs can
#: drift apart (CI once saw three clean tries in a row), so a few stores per try and several tries.
TRIES = 8
RACERS = ("clash-a", "clash-b", "clash-c")
#: What the losing run says: its catalog or state file was removed or half-written by the other run.
CLASH = ("No such file", "Invalid catalog", "Invalid JSON", "JSONDecodeError")


def test_two_stores_through_one_plugin_at_once_clash(tmp_path: Path, database) -> None:
    project = project_with_stores(STORES, tmp_path / "project")
    meltano = str(Path(sys.executable).parent / "meltano")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))}
    base.update(MELTANO_SEND_ANONYMOUS_USAGE_STATS="false", **database.env())
    # Meltano creates and migrates its system database on first use, without a lock: do it once here, so that
    # the only race left is the one this test is about (a deploy migrates once too, docs/scaling.md).
    subprocess.run([meltano, "state", "list"], cwd=project, env=base, check=True, capture_output=True,
                   stdin=subprocess.DEVNULL, timeout=300)
    outcomes = []
    with inventory_sandbox.ShopifySandbox(stores=list(RACERS), locations=2, items=40, seed=9) as shop:
        for attempt in range(TRIES):
            # Every try starts as the first did: no cached catalog, so each run discovers and writes its catalog
            # into the one shared folder (a cached catalog would narrow the window the race needs).
            shutil.rmtree(project / ".meltano" / "run" / "tap-shopify-inventory", ignore_errors=True)
            procs = []
            for store in RACERS:
                env = {**base, "TAP_SHOPIFY_INVENTORY_STORE": store, "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": shop.token(store),
                       "TAP_SHOPIFY_INVENTORY_API_URL": shop.api_url(store),
                       "WAREHOUSE_PATH": str(tmp_path / f"{store}-{attempt}.duckdb")}
                procs.append(subprocess.Popen(
                    [meltano, "run", f"--state-id-suffix={store}", "tap-shopify-inventory", "target-duckdb"],
                    cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                    stdin=subprocess.DEVNULL))
            results = [(p.wait(timeout=300), p.stdout.read()) for p in procs]
            failed = [out for code, out in results if code != 0]
            outcomes.append(len(failed))
            if failed:
                said = [word for word in CLASH if word in failed[0]]
                assert said, "a run failed, but not on the shared run folder:\n" + failed[0][-3000:]
                print(f"\ntry {attempt + 1}: {len(failed)} of {len(RACERS)} runs failed on the shared .meltano/run folder ({said})")
                return
    pytest.fail(f"two runs of one plugin at once did not clash in {TRIES} tries ({outcomes}): Meltano may have "
                "fixed meltano#8763; reconsider one plugin per store (orchestrate/generate.py, docs/scaling.md)")
