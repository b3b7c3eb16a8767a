"""The kit's tests: a small tap built on the kit (`demo_tap`), served offline through `responses`."""

from __future__ import annotations

import sys
from pathlib import Path

from singer_inventory_kit.testing import sleeps  # noqa: F401 - the fixture, opted in as a tap's conftest does

sys.path.insert(0, str(Path(__file__).parent))

pytest_plugins = ["pytester"]  # test_testing runs small test files in-process
