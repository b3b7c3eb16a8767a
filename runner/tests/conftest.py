"""The stand-in `meltano` every runner test plays its scenario with (test_runner.py, FAKE)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_runner import FAKE


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    path = tmp_path / "meltano"
    path.write_text(FAKE.format(python=sys.executable))
    path.chmod(0o755)
    return path
