"""Shared test helpers: the tap in-process and as a command, and the sandbox store (the kit's helpers)."""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

from singer_inventory_kit import testing
from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401 - under CI no skip passes
from singer_inventory_kit.testing import Run, SandboxStore, sandbox_fixtures, sleeps  # noqa: F401 - fixtures

from tap_shopify_inventory.tap import TapShopifyInventory

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def run_tap(config: dict, state: dict | None = None, catalog: dict | None = None) -> Run:
    """Run a full sync in-process; a failing sync raises, with its messages on `exc.run`."""
    return testing.run_tap(TapShopifyInventory, config, state, catalog)


def tap_executable() -> str:
    """The installed console script, next to this interpreter."""
    return testing.console_script("tap-shopify-inventory")


def run_cli(*args: str, **kwargs: t.Any) -> t.Any:  # noqa: ANN401
    """Run the console script as a subprocess (`config`, `state`, `tmp_path`, `timeout` as in the kit)."""
    return testing.run_cli(tap_executable(), *args, **kwargs)


class Sandbox(SandboxStore):
    """A running `inventory-sandbox serve --platform shopify` and its control API."""

    platform = "shopify"

    @property
    def token(self) -> str:
        """The store's access token."""
        return f"shpat_sandbox_{self.store}"

    def config(self, **overrides: t.Any) -> dict:  # noqa: ANN401
        """Tap config for this store."""
        return {
            "store": self.store,
            "access_token": self.token,
            "api_url": f"{self.url}/stores/{self.store}",
            "request_timeout": 10,
            "max_retries": 3,
            **overrides,
        }

    def reset(self) -> None:
        """Restore generous throttling; clear faults and the log."""
        self.control("POST", "config", {"bucket_size": 2000, "restore_rate": 100, "cost_model": "measured"})
        super().reset()


def start_sandbox(tmp_dir: Path, *extra: str, store: str = "demo-store") -> Sandbox:
    """Start a Shopify sandbox store (4 locations, 500 items, seed 7)."""
    return testing.start_sandbox(
        Sandbox, tmp_dir, "--locations", "4", "--items", "500", "--seed", "7", *extra, store=store
    )


sandbox, fresh_sandbox = sandbox_fixtures(start_sandbox)
