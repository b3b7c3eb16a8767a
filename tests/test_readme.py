"""The README stays true: its settings tables are the taps' own `--about` output."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import ROOT, needs, tap_dirs, which


@pytest.mark.parametrize("tap_dir", tap_dirs(), ids=lambda p: p.name)
def test_readme_settings_table_matches_about(tap_dir, tmp_path) -> None:
    executable = which(tap_dir.name)
    needs(f"{tap_dir.name} is not installed: run scripts/setup.sh", available=executable is not None)
    about = subprocess.run(
        [executable, "--about", "--format=markdown"], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    start = about.index("| Setting |")
    generated = about[start : about.index("\n\n", start)]
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- settings:{tap_dir.name} -->\n(.*?)\n<!-- /settings -->", readme, re.S)
    assert match, f"README.md has no settings table for {tap_dir.name}"
    assert match.group(1) == generated, "README settings table drifted: paste --about --format=markdown again"


def test_readme_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    for command in ("scripts/demo.sh", "scripts/test.sh"):
        assert command in readme
        assert (ROOT / command).stat().st_mode & 0o111, f"{command} is not executable"
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
