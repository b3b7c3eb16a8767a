"""One truth about each tap's settings: its `--about`, its Hub definition, its Meltano extractor and its README agree.

- hub/extractors/<tap>/<variant>.yml is exactly what scripts/generate.py makes from `--about` now;
- it is a valid Hub definition (required fields, known kinds and capabilities, `meltano_sdk` keyword);
- the Meltano project (plugins/meltano/extractors.meltano.yml, included by meltano.yml) declares the tap's own settings in the same order, with the same kind, label, secrecy, options
  and required group, and no capability the tap lacks;
- the tap README's settings table lists the same settings, required flags, defaults and descriptions.
"""

from __future__ import annotations

import pytest
import yaml
from singer_sdk.helpers.capabilities import BATCH_CONFIG, FLATTENING_CONFIG, STREAM_MAPS_CONFIG

from conftest import ROOT, generator, needs, tap_dirs, which
from orchestrate.generate import meltano_project

#: Settings every SDK tap gets; meltano.yml may leave them out (Meltano passes unknown settings as custom ones).
SDK_SETTINGS = {*STREAM_MAPS_CONFIG["properties"], *FLATTENING_CONFIG["properties"], *BATCH_CONFIG["properties"]}
KINDS = {"oauth", "hidden", "password", "date_iso8601", "file", "email", "integer", "options", "object", "array",
         "boolean", "string"}
SETTING_KEYS = {"name", "kind", "label", "description", "sensitive", "options", "value", "aliases", "env",
                "placeholder", "documentation", "tooltip"}
REQUIRED_KEYS = ("name", "namespace", "variant", "pip_url", "repo", "label", "description", "capabilities",
                 "settings", "settings_group_validation", "keywords", "domain_url", "maintenance_status", "quality")


hub = generator()
TAPS = [p.name for p in tap_dirs()]


@pytest.fixture(scope="module")
def abouts() -> dict[str, dict]:
    for tap in TAPS:
        needs(f"{tap} is not installed: run scripts/setup.sh", available=which(tap) is not None)
    return {tap: hub.about(tap) for tap in TAPS}


def platform(tap: str) -> dict:
    return next(p for p in hub.load_registry() if hub.tap_of(p["channel"]) == tap)


def committed(tap: str) -> dict:
    path = hub.path_of(tap)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run scripts/generate.py"
    return yaml.safe_load(path.read_text())


def test_every_tap_has_a_definition() -> None:
    assert set(TAPS) == {hub.tap_of(c) for c in hub.channels()}, "platforms.yml must list every tap in taps/"


@pytest.mark.parametrize("tap", TAPS)
def test_definition_is_what_about_gives_now(tap: str, abouts: dict) -> None:
    expected = hub.render(hub.definition(platform(tap), abouts[tap]))
    assert hub.path_of(tap).read_text() == expected, "stale Hub definition: run scripts/generate.py"


@pytest.mark.parametrize("tap", TAPS)
def test_definition_is_a_valid_hub_plugin(tap: str, abouts: dict) -> None:
    data = committed(tap)
    missing = [k for k in REQUIRED_KEYS if not data.get(k)]
    assert not missing, f"Hub definition lacks {missing}"
    assert data["name"] == tap == abouts[tap]["name"]
    assert data["namespace"] == tap.replace("-", "_")
    assert "meltano_sdk" in data["keywords"]
    assert data["maintenance_status"] in {"active", "beta", "development", "inactive", "unknown"}
    assert data["quality"] in {"gold", "silver", "bronze", "unknown"}
    assert set(data["capabilities"]) <= hub.HUB_CAPABILITIES
    assert {"about", "catalog", "discover", "state", "stream-maps", "schema-flattening"} <= set(data["capabilities"])
    names = [s["name"] for s in data["settings"]]
    assert len(names) == len(set(names)), "a setting is listed twice"
    for group in data["settings_group_validation"]:
        assert set(group) <= set(names)
    for entry in data["settings"]:
        assert set(entry) <= SETTING_KEYS, entry
        assert entry["kind"] in KINDS, entry
        assert entry.get("label"), f"{entry['name']} has no label"
        if entry["name"] not in SDK_SETTINGS:
            assert entry.get("description"), f"{entry['name']} has no description"
        assert entry.get("sensitive", False) == (entry["kind"] == "password"), f"{entry['name']}: secret but shown?"


@pytest.mark.parametrize("tap", TAPS)
def test_meltano_yml_declares_the_same_settings(tap: str) -> None:
    project = meltano_project()
    extractors = project["plugins"]["extractors"]
    plugin = next(p for p in extractors if p["name"] == tap)
    data = committed(tap)
    own = [s for s in data["settings"] if s["name"] not in SDK_SETTINGS]
    declared = plugin["settings"]
    assert [s["name"] for s in declared] == [s["name"] for s in own], "meltano.yml settings differ from --about"
    for mine, theirs in zip(declared, own, strict=True):
        name = mine["name"]
        assert mine.get("kind") == theirs["kind"], f"{name}: kind {mine.get('kind')} in meltano.yml"
        assert mine.get("label") == theirs["label"], f"{name}: label {mine.get('label')!r} in meltano.yml"
        assert bool(mine.get("sensitive")) == bool(theirs.get("sensitive")), f"{name}: sensitive differs"
        if "options" in theirs:
            assert [o["value"] for o in mine.get("options", [])] == [o["value"] for o in theirs["options"]]
        assert mine.get("description"), f"{name} has no description in meltano.yml"
    assert plugin["namespace"] == data["namespace"]
    assert plugin.get("executable", tap) == data["executable"]
    assert plugin["settings_group_validation"] == data["settings_group_validation"]
    assert set(plugin["capabilities"]) <= set(data["capabilities"]), "meltano.yml promises a capability the tap lacks"
    # Plugins inheriting from the tap (nightly reconcile, one per store) only set config, never redefine settings.
    for child in (p for p in extractors if p.get("inherit_from") == tap):
        assert "settings" not in child, f"{child['name']} redefines settings; set config only"
        assert set(child.get("config", {})) <= {s["name"] for s in data["settings"]}, f"{child['name']}: unknown config"


def readme_rows(tap: str) -> dict[str, dict]:
    text = (ROOT / "taps" / tap / "README.md").read_text()
    lines = text[text.index("| Setting |") :].splitlines()
    table = lines[2 : next((i for i, x in enumerate(lines) if not x.startswith("|")), len(lines))]
    rows = {}
    for line in table:
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        name, required, default, description = cells[0], cells[1], cells[2], " | ".join(cells[3:])
        rows[name] = {"required": required == "True", "default": default, "description": description}
    return rows


@pytest.mark.parametrize("tap", TAPS)
def test_readme_table_lists_the_same_settings(tap: str, abouts: dict) -> None:
    rows = readme_rows(tap)
    settings = abouts[tap]["settings"]
    properties, required = settings["properties"], set(settings.get("required", []))
    top = [r for r in rows if "." not in r]
    assert top == list(properties), "README settings table lists other settings than --about"
    assert all(r.split(".", 1)[0] in properties for r in rows), "README lists a nested setting of nothing"
    for name, prop in properties.items():
        row = rows[name]
        assert row["required"] == (name in required), f"{name}: Required column"
        assert row["default"] == str(prop.get("default")), f"{name}: Default column"
        assert row["description"] == " ".join(prop.get("description", "").split()) or not prop.get("description")
    hub_names = [s["name"] for s in committed(tap)["settings"]]
    assert hub_names == top, "Hub definition and README list different settings"
    # The README documents the required settings the Hub asks for first.
    assert set(committed(tap)["settings_group_validation"][0]) == required

