"""singer-sdk's standard tap tests, run against the sandbox store over real HTTP."""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_bigcommerce_inventory.tap import TapBigCommerceInventory

if t.TYPE_CHECKING:
    from conftest import Sandbox

#: Filled in with the sandbox's URL before the suite syncs (the runner keeps this dict).
SANDBOX_CONFIG: dict[str, t.Any] = {
    "store_hash": "demostore",
    "access_token": "bc_sandbox_demostore",
    "api_url": "http://127.0.0.1:9/stores/demostore",
}

_StandardTests = get_tap_test_class(
    TapBigCommerceInventory,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(
        # No record limit: sync_runs only gets rows for streams that complete, and the
        # sandbox store is small enough (500 variants) for a whole sync to take seconds.
        max_records_limit=None,
    ),
)


@pytest.mark.sandbox
class TestTapBigCommerceInventory(_StandardTests):  # type: ignore[misc,valid-type]
    """Standard tap tests (discovery, sync, schema conformance, attribute checks)."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _point_at_sandbox(cls, sandbox: Sandbox) -> None:
        SANDBOX_CONFIG.update(sandbox.config())
