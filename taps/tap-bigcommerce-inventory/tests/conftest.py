"""Shared test helpers: run the tap in-process, and start the sandbox store as a subprocess."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tap_bigcommerce_inventory.tap import TapBigCommerceInventory

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


# --------------------------------------------------------------------------- running the tap


@dataclass
class Run:
    """Singer messages of one in-process run."""

    messages: list[dict] = field(default_factory=list)

    @property
    def records(self) -> dict[str, list[dict]]:
        """Records by stream."""
        out: dict[str, list[dict]] = {}
        for message in self.messages:
            if message["type"] == "RECORD":
                out.setdefault(message["stream"], []).append(message["record"])
        return out

    @property
    def states(self) -> list[dict]:
        """STATE values in order."""
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def state(self) -> dict:
        """The last STATE value."""
        return self.states[-1] if self.states else {}

    def bookmark(self, stream: str) -> str | None:
        """The stream's committed bookmark in the last state."""
        return self.state.get("bookmarks", {}).get(stream, {}).get("replication_key_value")


def run_tap(config: dict, state: dict | None = None, catalog: dict | None = None) -> Run:
    """Run a full sync in-process; a failing sync raises, with its messages on `exc.run`."""
    buffer = io.StringIO()
    run = Run()
    try:
        with contextlib.redirect_stdout(buffer):
            tap = TapBigCommerceInventory(config=config, state=state, catalog=catalog)
            tap.sync_all()
    except BaseException as exc:
        run.messages = _parse(buffer.getvalue())
        exc.run = run  # type: ignore[attr-defined]
        raise
    run.messages = _parse(buffer.getvalue())
    return run


def _parse(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def run_cli(
    *args: str, config: dict | None = None, state: dict | None = None, tmp_path: Path, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run the console script as a subprocess."""
    command = [tap_executable(), *args]
    if config is not None:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        command += ["--config", str(path)]
    if state is not None:
        path = tmp_path / "state.json"
        path.write_text(json.dumps(state))
        command += ["--state", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, cwd=tmp_path)


def tap_executable() -> str:
    """The installed console script, next to this interpreter."""
    candidate = Path(sys.executable).parent / "tap-bigcommerce-inventory"
    if candidate.exists():
        return str(candidate)
    return shutil.which("tap-bigcommerce-inventory") or "tap-bigcommerce-inventory"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record every sleep (backoff and pacing) instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


# --------------------------------------------------------------------------- the sandbox store


def _sandbox_command() -> str | None:
    beside = Path(sys.executable).parent / "inventory-sandbox"
    if beside.exists():
        return str(beside)
    return shutil.which("inventory-sandbox")


class Sandbox:
    """A running `inventory-sandbox serve --platform bigcommerce` and its control API."""

    def __init__(self, url: str, process: subprocess.Popen, store: str) -> None:
        """Bind to a started server."""
        self.url = url.rstrip("/")
        self.process = process
        self.store = store

    @property
    def token(self) -> str:
        """The store's access token."""
        return f"bc_sandbox_{self.store}"

    def config(self, **overrides: t.Any) -> dict:  # noqa: ANN401
        """Tap config for this store."""
        return {
            "store_hash": self.store,
            "access_token": self.token,
            "api_url": f"{self.url}/stores/{self.store}",
            "request_timeout": 10,
            "max_retries": 3,
            "lookback": 0,
            **overrides,
        }

    def control(self, method: str, path: str, body: dict | None = None, **params: t.Any) -> t.Any:  # noqa: ANN401
        """Call the control API under /_sandbox/."""
        response = requests.request(method, f"{self.url}/_sandbox/{path}", json=body, params=params or None, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def truth(self) -> dict:
        """Every row that exists now."""
        return self.control("GET", "truth", store=self.store)

    def log(self) -> dict:
        """Request counters."""
        return self.control("GET", "log")

    def reset(self) -> None:
        """Clear faults and the log; restore a generous quota."""
        with contextlib.suppress(requests.HTTPError):
            self.control("DELETE", "faults")
        self.control("POST", "config", {"window_ms": 30000, "quota": 10000, "lowercase_headers": False})
        self.control("POST", "log/reset")


def start_sandbox(tmp_dir: Path, *extra: str, store: str = "demostore", items: int = 500) -> Sandbox:
    """Start a sandbox, or skip (locally) / fail (CI=true) when the command is missing."""
    command = _sandbox_command()
    if command is None:
        reason = "inventory-sandbox is not installed (sandbox/ package): integration tests need it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    ready_file = tmp_dir / "ready.txt"
    args = [
        command, "serve", "--platform", "bigcommerce", "--host", "127.0.0.1", "--port", "0",
        "--stores", store, "--locations", "4", "--items", str(items), "--seed", "7", "--quota", "10000",
        "--ready-file", str(ready_file), *extra,
    ]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    url = None
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("READY "):
            url = line.split(" ", 1)[1].strip()
            break
        if not line and process.poll() is not None:
            break
    if url is None:
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"inventory-sandbox did not print READY: {err[-2000:]}")
    return Sandbox(url, process, store)


def stop_sandbox(sandbox: Sandbox) -> None:
    """SIGTERM, then kill if needed."""
    sandbox.process.send_signal(signal.SIGTERM)
    try:
        sandbox.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        sandbox.process.kill()
        sandbox.process.wait(timeout=15)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Sandbox]:
    """One sandbox store for the session (reset by `fresh_sandbox` between tests)."""
    box = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield box
    stop_sandbox(box)


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> t.Iterator[Sandbox]:
    """A sandbox of its own, for tests that change data or throttling."""
    box = start_sandbox(tmp_path)
    yield box
    stop_sandbox(box)
