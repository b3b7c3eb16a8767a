"""Helpers for the receiver's tests: real processes on loopback, started through their console scripts.

The receiver (`inventory-webhooks serve`) and the sandbox stores (`inventory-sandbox serve`) run as
subprocesses, as in a deployment; nothing is imported from the sandbox. A missing console script skips
locally and fails under CI=true.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

# The repo's one "in CI" and "this test needs X" (the kit's), and no skip passes under CI.
from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401
from singer_inventory_kit.testing import IN_CI, needs  # noqa: F401

BIN = Path(sys.executable).parent
SHOPIFY_SECRET = "shpss_test_secret"
BIGCOMMERCE_TOKEN = "bc_webhook_test_token"


def script(name: str) -> str:
    path = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    needs(f"{name} is not installed (pip install -e ./webhooks ./sandbox)", available=path is not None)
    return path


def start(args: list[str], env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """Start a server that prints `READY url` and return (process, url)."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    line = proc.stdout.readline()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"{args[0]} did not start: {line}{proc.stderr.read()[-2000:]}")
    return proc, line.split()[1]


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Receiver:
    """`inventory-webhooks serve` on a free port over one SQLite file; restartable on the same file."""

    def __init__(self, db: Path, max_age: float | None = None):
        self.db = db
        self.args = [script("inventory-webhooks"), "serve", "--db", str(db), "--port", "0"]
        if max_age is not None:
            self.args += ["--max-age", str(max_age)]
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> Receiver:
        self.proc, self.url = start(self.args, {"INVENTORY_WEBHOOKS_SHOPIFY_SECRET": SHOPIFY_SECRET,
                                                "INVENTORY_WEBHOOKS_BIGCOMMERCE_TOKEN": BIGCOMMERCE_TOKEN})
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            stop(self.proc, sig)
            self.proc = None


@pytest.fixture
def receiver(tmp_path):
    rec = Receiver(tmp_path / "events.sqlite").start()
    yield rec
    rec.stop()


@pytest.fixture
def sandbox_server():
    """Start `inventory-sandbox serve --platform P`; returns a factory, stops them all afterwards."""
    procs = []

    def run(platform: str, store: str, items: int = 20, locations: int = 2) -> str:
        proc, url = start([script("inventory-sandbox"), "serve", "--platform", platform, "--port", "0",
                           "--stores", store, "--items", str(items), "--locations", str(locations), "--seed", "5"])
        procs.append(proc)
        return url

    yield run
    for proc in procs:
        stop(proc)
