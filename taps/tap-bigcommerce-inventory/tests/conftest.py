"""Shared test helpers: the tap in-process and as a command, and the sandbox store (the kit's helpers)."""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

from singer_inventory_kit import testing
from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401 - under CI no skip passes
from singer_inventory_kit.testing import Run, SandboxStore, sandbox_fixtures, sleeps  # noqa: F401 - fixtures

from tap_bigcommerce_inventory.tap import TapBigCommerceInventory

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def run_tap(config: dict, state: dict | None = None, catalog: dict | None = None) -> Run:
    """Run a full sync in-process; a failing sync raises, with its messages on `exc.run`."""
    return testing.run_tap(TapBigCommerceInventory, config, state, catalog)


def tap_executable() -> str:
    """The installed console script, next to this interpreter."""
    return testing.console_script("tap-bigcommerce-inventory")


def run_cli(*args: str, **kwargs: t.Any) -> t.Any:  # noqa: ANN401
    """Run the console script as a subprocess (`config`, `state`, `tmp_path`, `timeout` as in the kit)."""
    return testing.run_cli(tap_executable(), *args, **kwargs)


class Sandbox(SandboxStore):
    """A running `inventory-sandbox serve --platform bigcommerce` and its control API."""

    platform = "bigcommerce"

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

    def reset(self) -> None:
        """Restore a generous quota; clear faults and the log."""
        self.control("POST", "config", {"window_ms": 30000, "quota": 10000, "lowercase_headers": False})
        super().reset()


def start_sandbox(tmp_dir: Path, *extra: str, store: str = "demostore", items: int = 500) -> Sandbox:
    """Start a BigCommerce sandbox store (4 locations, `items` variants, seed 7, a generous quota)."""
    return testing.start_sandbox(
        Sandbox, tmp_dir, "--locations", "4", "--items", str(items), "--seed", "7", "--quota", "10000", *extra,
        store=store,
    )


sandbox, fresh_sandbox = sandbox_fixtures(start_sandbox)
