"""The README's contract tables are contract.py printed: they may not drift."""

from __future__ import annotations

import re
from pathlib import Path

from inventory_forecast import contract

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_contract_tables_match_the_code():
    text = README.read_text()
    found = dict(re.findall(r"<!-- contract:(\w+) -->\n(.*?)\n<!-- /contract -->", text, flags=re.S))
    assert set(found) == {"HISTORY", "POSITIONS", "SERIES_SETTINGS", "FORECAST", "REORDER"}
    for name, table in found.items():
        assert table == contract.markdown_table(getattr(contract, name)), f"README table {name} drifted"
