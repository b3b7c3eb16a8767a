"""singer-sdk's standard tap tests, run against the Magento sandbox store over real HTTP."""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_magento_inventory.tap import TapMagentoInventory

if t.TYPE_CHECKING:
    from conftest import Sandbox

#: Filled in with the sandbox's URL before the suite syncs (the runner keeps this dict).
SANDBOX_CONFIG: dict[str, t.Any] = {
    "base_url": "http://127.0.0.1:9/stores/demo-store",
    "store_id": "demo-store",
    "access_token": "mg_sandbox_demo-store",
    # Every stream must emit rows: the suite fails a stream without records.
    "include_salable_quantity": True,
}

_StandardTests = get_tap_test_class(
    TapMagentoInventory,
    config=SANDBOX_CONFIG,
    suite_config=SuiteConfig(
        # No record limit: sync_runs only gets rows for streams that complete, and the
        # sandbox store is small (60 products) so a whole sync takes a few seconds.
        max_records_limit=None,
    ),
)


@pytest.mark.sandbox
class TestTapMagentoInventory(_StandardTests):  # type: ignore[misc,valid-type]
    """Standard tap tests (discovery, sync, schema conformance, attribute checks)."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _point_at_sandbox(cls, sandbox: Sandbox) -> None:
        SANDBOX_CONFIG.update(sandbox.config(include_salable_quantity=True))
