"""Fixtures shared by the cross-package tests: a sandbox store and a Meltano runner.

These tests talk to real processes: the sandbox store over loopback HTTP, Meltano and
its plugins as subprocesses, DuckDB through its file. Nothing is stubbed.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# One definition of "in CI" and one "this test needs X" for every suite of the repo (the kit's): under CI a test
# that lacks a part fails, elsewhere it skips, with the reason; and under CI no other skip passes either.
from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401
from singer_inventory_kit.testing import IN_CI, needs, needs_module  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

# Sizes: CI keeps the suite inside its time budget; locally the stores are larger.
STORE_ITEMS = int(os.environ.get("E2E_ITEMS", "300" if IN_CI else "1000"))


@functools.cache
def generator():
    """scripts/generate.py as a module, loaded once per session (so each tap's `--about` runs once)."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "scripts" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tap_dirs() -> list[Path]:
    """Every tap package in the repository."""
    return sorted(p for p in (ROOT / "taps").glob("tap-*") if (p / "pyproject.toml").exists())


def meltano_bin() -> Path:
    path = VENV_BIN / "meltano"
    needs("meltano is not installed: run scripts/setup.sh", available=path.exists())
    return path


@pytest.fixture
def meltano_env(tmp_path: Path) -> dict[str, str]:
    """An environment for Meltano with its own state database and warehouse file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))}
    env.update(
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'meltano.db'}",
        WAREHOUSE_PATH=str(tmp_path / "warehouse.duckdb"),
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


@pytest.fixture
def database():
    """A fresh database on the test PostgreSQL server (tests/support/postgres.py); skips locally without a
    server, fails under CI."""
    from support import postgres

    reason = postgres.unavailable_reason()
    needs(reason or "", available=reason is None)
    with postgres.fresh_database() as db:
        yield db


def run_meltano(env: dict[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """Run a Meltano command in the project root; fail the test with its log tail on error."""
    proc = subprocess.run(
        [str(meltano_bin()), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
        pytest.fail(f"meltano {' '.join(args)} exited {proc.returncode}:\n{tail}")
    return proc


def run_sync(env: dict[str, str], *args: str, timeout: int = 900, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`inventory-sync ARGS` (runner/), the pass a user schedules, in the project root; its lock and status file
    beside the test's warehouse. Fails the test with the log tail when the pass fails (unless check=False)."""
    runner = VENV_BIN / "inventory-sync"
    needs("inventory-sync is not installed: run scripts/setup.sh", available=runner.exists())
    work = Path(env["WAREHOUSE_PATH"]).parent
    proc = subprocess.run(
        [str(runner), "--lock", str(work / "sync.lock"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL, check=False,
    )
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
        pytest.fail(f"inventory-sync {' '.join(args)} exited {proc.returncode}:\n{tail}")
    return proc


def run_dbt_unit_tests(env: dict[str, str], warehouse: str = "duckdb") -> None:
    """`dbt-<warehouse>:unit-test` on a warehouse a pass has built (every build leaves the unit tests out: they test
    our SQL, not the data), without the push settings a test may have set: each unit test names the variables it
    depends on. Every unit test the project defines must run and pass on this adapter."""
    clean = {k: v for k, v in env.items() if not k.startswith("INVENTORY_PUSH_")}
    environment = [] if warehouse == "duckdb" else [f"--environment={warehouse}"]
    proc = run_meltano(clean, *environment, "invoke", f"dbt-{warehouse}:unit-test")
    summary = re.search(r"PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", proc.stdout + proc.stderr)
    assert summary, (proc.stdout + proc.stderr)[-2000:]
    defined = sum(len((yaml.safe_load(p.read_text()) or {}).get("unit_tests") or [])
                  for p in (ROOT / "transform" / "models").rglob("*.yml"))
    assert tuple(map(int, summary.groups())) == (defined, 0, 0, 0), (proc.stdout + proc.stderr)[-2000:]


def which(executable: str) -> str | None:
    return shutil.which(executable, path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
