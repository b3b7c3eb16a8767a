"""Every tap's discovered catalog honours the normalized contract in tests/contracts/.

The contract is checked, never imported: a tap passes by declaring the same stream names,
primary keys and property types, whatever else it adds beside them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, needs, tap_dirs, which

CONTRACTS = sorted((ROOT / "tests" / "contracts").glob("*.schema.json"))


def _types(prop: dict) -> set[str]:
    declared = prop.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    if "anyOf" in prop:
        for option in prop["anyOf"]:
            types |= _types(option)
    return types - {"null"}


def _discover(tap_dir: Path, tmp_path: Path) -> dict:
    executable = which(tap_dir.name)
    needs(f"{tap_dir.name} is not installed: run scripts/setup.sh", available=executable is not None)
    proc = subprocess.run(
        [executable, "--discover"], capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_contract_files_are_valid_json_schema() -> None:
    assert {p.name.split(".")[0] for p in CONTRACTS} == {"locations", "inventory_items", "inventory_levels"}
    for path in CONTRACTS:
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


@pytest.mark.parametrize("tap_dir", tap_dirs(), ids=lambda p: p.name)
def test_discovered_catalog_honours_contract(tap_dir: Path, tmp_path: Path) -> None:
    catalog = {entry["tap_stream_id"]: entry for entry in _discover(tap_dir, tmp_path)["streams"]}
    problems = []
    for path in CONTRACTS:
        contract = json.loads(path.read_text())
        stream = contract["title"]
        entry = catalog.get(stream)
        if entry is None:
            problems.append(f"{stream}: stream missing")
            continue
        if sorted(entry.get("key_properties", [])) != sorted(contract["x-primary-key"]):
            problems.append(f"{stream}: primary key {entry.get('key_properties')} != {contract['x-primary-key']}")
        properties = entry["schema"]["properties"]
        for name, expected in contract["properties"].items():
            actual = properties.get(name)
            if actual is None:
                problems.append(f"{stream}.{name}: missing")
                continue
            want, got = _types(expected), _types(actual)
            if want == {"number"} and got == {"integer"}:
                got = want  # an integer column satisfies a numeric contract
            if want != got:
                problems.append(f"{stream}.{name}: type {sorted(got)} != contract {sorted(want)}")
            if expected.get("format") == "date-time" and actual.get("format") != "date-time":
                problems.append(f"{stream}.{name}: format {actual.get('format')} != date-time")
            if "null" in str(expected.get("type")) and "null" not in str(actual.get("type")) and "anyOf" not in actual:
                problems.append(f"{stream}.{name}: contract allows null but the tap's schema does not")
        if not entry["schema"].get("properties", {}).get("store_id"):
            problems.append(f"{stream}: no store_id")
    assert not problems, "\n".join(problems)


def test_contract_rejects_a_broken_record() -> None:
    """The contract is strict enough to catch a level with a numeric id or a text quantity."""
    contract = json.loads((ROOT / "tests" / "contracts" / "inventory_levels.schema.json").read_text())
    good = {
        "store_id": "s", "inventory_item_id": "1", "location_id": "2", "sku": None, "available": 1,
        "on_hand": 1, "committed": 0, "reserved": 0, "incoming": 0, "updated_at": None,
    }
    jsonschema.validate(good, contract)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "inventory_item_id": 1}, contract)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "available": "3"}, contract)
