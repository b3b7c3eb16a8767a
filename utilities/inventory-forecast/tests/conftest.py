from __future__ import annotations

import numpy as np
import pytest

# Under CI no skip passes (the repo's guard, from the kit the root test venv installs).
from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(2026)
