"""The runner's tests: the stand-in `meltano` every test plays its scenario with (test_runner.py, FAKE), and the
repo's CI guard (under CI no skip passes; from the kit the root test venv installs)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401
from test_runner import FAKE


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    path = tmp_path / "meltano"
    path.write_text(FAKE.format(python=sys.executable))
    path.chmod(0o755)
    return path
