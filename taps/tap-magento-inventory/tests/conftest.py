"""Shared test helpers: the tap in-process and as a command, and the sandbox store (the kit's helpers)."""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

from singer_inventory_kit import testing
from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401 - under CI no skip passes
from singer_inventory_kit.testing import Run, SandboxStore, sandbox_fixtures, sleeps  # noqa: F401 - fixtures

from tap_magento_inventory.tap import TapMagentoInventory

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def run_tap(config: dict, state: dict | None = None, catalog: dict | None = None) -> Run:
    """Run a full sync in-process; a failing sync raises, with its messages on `exc.run`."""
    return testing.run_tap(TapMagentoInventory, config, state, catalog)


def tap_executable() -> str:
    """The installed console script, next to this interpreter."""
    return testing.console_script("tap-magento-inventory")


def run_cli(*args: str, **kwargs: t.Any) -> t.Any:  # noqa: ANN401
    """Run the console script as a subprocess (`config`, `state`, `tmp_path`, `timeout` as in the kit)."""
    return testing.run_cli(tap_executable(), *args, **kwargs)


class Sandbox(SandboxStore):
    """A running `inventory-sandbox serve --platform magento` and its control API."""

    platform = "magento"

    @property
    def token(self) -> str:
        """The store's integration access token."""
        return f"mg_sandbox_{self.store}"

    def config(self, **overrides: t.Any) -> dict:  # noqa: ANN401
        """Tap config for this store (Bearer); an override of None leaves the setting out."""
        settings = {
            "base_url": f"{self.url}/stores/{self.store}",
            "store_id": self.store,
            "access_token": self.token,
            "request_timeout": 10,
            "max_retries": 3,
            **overrides,
        }
        return {k: v for k, v in settings.items() if v is not None}

    def oauth_config(self, **overrides: t.Any) -> dict:  # noqa: ANN401
        """Tap config signing with OAuth 1.0a (the sandbox's credentials for this store)."""
        creds = self.control("GET", "oauth", store=self.store)
        return self.config(**{"auth_method": "oauth1", **creds, **overrides})


def start_sandbox(tmp_dir: Path, *extra: str, store: str = "demo-store", items: int = 60) -> Sandbox:
    """Start a Magento sandbox store (`items` simple products, seed 7)."""
    return testing.start_sandbox(Sandbox, tmp_dir, "--items", str(items), "--seed", "7", *extra, store=store)


sandbox, fresh_sandbox = sandbox_fixtures(start_sandbox)
