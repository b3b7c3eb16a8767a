"""`scripts/new-platform.sh NAME` in a temporary copy of the repository: the scaffolded platform passes the
normalized contract, every list of platforms names it (the registry checks of tests/test_generate.py, run in the
copy), and dbt parses the project with its staging models in the union. A second run is refused in one line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, needs

NAME = "woo"
DBT = ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt"
#: The tests of tests/test_generate.py that check the lists of platforms (the others run each tap's --about).
REGISTRY_CHECKS = "registry_lists_every_platform or every_platform_list or dbt_knows or plugin_arguments"


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 120):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's files (committed or not, ignored ones left out) with the platform scaffolded."""
    dest = tmp_path_factory.mktemp("repo")
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT).stdout
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    proc = _run(["bash", "scripts/new-platform.sh", NAME], dest)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote taps/tap-{NAME}-inventory/tap_{NAME}_inventory/tap.py" in proc.stdout
    return dest


def _env(copy: Path, shim: Path) -> dict[str, str]:
    """The copy's runner, sandbox and new tap first on the path; the tap's executable on PATH."""
    shim.mkdir(exist_ok=True)
    tap = shim / f"tap-{NAME}-inventory"
    tap.write_text(f"#!/bin/sh\nexec {sys.executable} -m tap_{NAME}_inventory.tap \"$@\"\n")
    tap.chmod(0o755)
    paths = [copy / "taps" / f"tap-{NAME}-inventory", copy / "runner", copy / "sandbox" / "src"]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths)),
            "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_scaffolded_tap_passes_the_contract_and_every_list_names_it(copy: Path, tmp_path: Path) -> None:
    env = _env(copy, tmp_path / "bin")
    proc = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_contract.py",
                 "tests/test_generate.py", "-k", f"{NAME} or contract_files or {REGISTRY_CHECKS}"], copy, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    # the contract files, the new tap's catalog and the four registry checks
    assert "6 passed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout[-2000:]
    tap_tests = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                     copy / "taps" / f"tap-{NAME}-inventory", env)
    assert tap_tests.returncode == 0, tap_tests.stdout[-2000:]


def test_tap_reads_the_scaffolded_sandbox(copy: Path, tmp_path: Path) -> None:
    env = _env(copy, tmp_path / "bin")
    ready = tmp_path / "ready"
    server = subprocess.Popen([sys.executable, "-m", "inventory_sandbox", "serve", "--platform", NAME, "--locations",
                               "2", "--items", "3", "--ready-file", str(ready)], cwd=copy, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            if ready.exists() or server.poll() is not None:
                break
            time.sleep(0.05)
        assert ready.exists(), server.stderr.read() if server.poll() is not None else "the sandbox did not start"
        url = ready.read_text().strip()
        config = tmp_path / "config.json"
        config.write_text(json.dumps({"store": "demo-store", "access_token": "token_demo-store",
                                      "api_url": f"{url}/stores/demo-store"}))
        proc = _run([str(tmp_path / "bin" / f"tap-{NAME}-inventory"), "--config", str(config)], tmp_path, env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        records = [json.loads(line) for line in proc.stdout.splitlines() if '"RECORD"' in line]
        counts = {stream: sum(1 for r in records if r["stream"] == stream)
                  for stream in ("locations", "inventory_items", "inventory_levels", "sync_runs")}
        assert counts == {"locations": 2, "inventory_items": 3, "inventory_levels": 6, "sync_runs": 3}
        assert {r["record"]["store_id"] for r in records} == {"demo-store"}
        bad = config.read_text().replace("token_demo-store", "wrong")
        config.write_text(bad)
        refused = _run([str(tmp_path / "bin" / f"tap-{NAME}-inventory"), "--config", str(config)], tmp_path, env)
        assert refused.returncode != 0 and "refused access_token (HTTP 401)" in refused.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_dbt_parses_with_the_new_staging_models_in_the_union(copy: Path, tmp_path: Path) -> None:
    needs("dbt-duckdb is not installed: run scripts/setup.sh", available=DBT.exists())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "INVENTORY_"))}
    env.update(WAREHOUSE_PATH=str(tmp_path / "warehouse.duckdb"), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    proc = _run([str(DBT), "parse", "--project-dir", "transform", "--profiles-dir", "transform/profiles/duckdb",
                 "--target-path", str(tmp_path / "target")], copy, env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    nodes = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"]
    staged = sorted(k for k in nodes if k.startswith(f"model.inventory.stg_{NAME}__"))
    assert staged == [f"model.inventory.stg_{NAME}__{s}"
                      for s in ("inventory_items", "inventory_levels", "locations", "sync_runs")]
    for union in ("int_locations_unioned", "int_inventory_items_unioned", "int_inventory_levels_unioned"):
        entity = union.removeprefix("int_").removesuffix("_unioned")
        assert f"model.inventory.stg_{NAME}__{entity}" in nodes[f"model.inventory.{union}"]["depends_on"]["nodes"]


def test_a_second_scaffold_is_refused_in_one_line(copy: Path) -> None:
    proc = _run(["bash", "scripts/new-platform.sh", NAME], copy)
    assert (proc.returncode, proc.stderr) == (2, f"new-platform: platform {NAME} is already in platforms.yml\n")
    bad = _run(["bash", "scripts/new-platform.sh", "Big-Shop"], copy)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "lower-case letters" in bad.stderr
