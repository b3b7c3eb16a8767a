#!/usr/bin/env python
"""Write every file derived from the platform registry (platforms.yml) and each tap's `--about`.

    .venv/bin/python scripts/generate.py           # (re)write the generated files
    .venv/bin/python scripts/generate.py --check   # exit 1 naming each file that is not what it would write

It writes, per platform in platforms.yml:

- plugins/meltano/extractors.meltano.yml: the tap's Meltano extractor (settings, kinds, labels, descriptions,
  secrets and the required group from `--about --format=json`; capabilities, streams and raw schema from the
  registry) and its nightly `--reconcile` child; meltano.yml includes the file;
- hub/extractors/<tap>/<variant>.yml: the Meltano Hub definition, in the layout of the Hub's own repository
  (`_data/meltano/extractors/<name>/<variant>.yml` in github.com/meltano/hub), so publishing is a copy into a
  pull request there (hub/README.md);
- the settings tables (`--about --format=markdown`) in the tap's README and in the root README.

tests/test_generate.py fails when a generated file is stale; tests/test_hub_definitions.py checks the
definitions against --about, the Meltano extractors and each tap's README.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "platforms.yml"
HUB = ROOT / "hub" / "extractors"
EXTRACTORS = ROOT / "plugins" / "meltano" / "extractors.meltano.yml"

#: The GitHub organisation that publishes the taps: the Hub variant name and the repository.
VARIANT = "inventory-connectors"
REPO = "https://github.com/inventory-connectors/inventory-connectors"
#: Every tap: active, SDK-built, tested against local copies of the APIs in CI but not yet rated by the Hub.
MAINTENANCE_STATUS = "active"
QUALITY = "silver"

#: Capabilities the Hub schema accepts (schemas/common/extractors_specific.schema.json in meltano/hub).
HUB_CAPABILITIES = {
    "properties", "catalog", "discover", "state", "about", "stream-maps", "schema-flattening",
    "activate-version", "batch", "test", "log-based", "structured-logging",
}  # fmt: skip
#: Settings the SDK gives every tap (stream maps, flattening, batch): the Hub lists them, meltano.yml leaves them
#: out (Meltano passes unknown settings through as custom ones).
SDK_SETTINGS = {
    "stream_maps", "stream_map_config", "faker_config", "flattening_enabled", "flattening_max_depth",
    "flattening_max_key_length", "flattening_separator", "batch_config",
}  # fmt: skip
CHANNEL = re.compile(r"^[a-z][a-z0-9]*$")
ENTRY_KEYS = {"channel", "store_setting", "streams", "capabilities", "hub"}
HUB_KEYS = {"label", "description", "domain_url", "keywords"}


class RegistryError(ValueError):
    """platforms.yml cannot be used; the message is the one line to print."""


# --- the registry ---------------------------------------------------------------------------------------------


def tap_of(channel: str) -> str:
    return f"tap-{channel}-inventory"


def namespace_of(channel: str) -> str:
    return tap_of(channel).replace("-", "_")


def load_registry(path: Path = REGISTRY) -> list[dict]:
    """The platforms of platforms.yml, checked; RegistryError names the first problem."""
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise RegistryError(f"{path.name}: {exc}".splitlines()[0]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("platforms"), list) or not doc["platforms"]:
        raise RegistryError(f"{path.name}: expected a mapping with a non-empty `platforms:` list")
    seen = set()
    for i, entry in enumerate(doc["platforms"]):
        where = f"{path.name}: platform {i}"
        if not isinstance(entry, dict):
            raise RegistryError(f"{where}: expected a mapping")
        if set(entry) != ENTRY_KEYS:
            raise RegistryError(f"{where}: keys must be {sorted(ENTRY_KEYS)}, not {sorted(entry)}")
        channel = entry["channel"]
        if not isinstance(channel, str) or not CHANNEL.match(channel):
            raise RegistryError(f"{where}: channel must be lower-case letters and digits, not {channel!r}")
        if channel in seen:
            raise RegistryError(f"{where}: channel {channel} is listed twice")
        seen.add(channel)
        if not isinstance(entry["hub"], dict) or set(entry["hub"]) != HUB_KEYS:
            raise RegistryError(f"{where} ({channel}): hub must have {sorted(HUB_KEYS)}")
        for key in ("streams", "capabilities"):
            if not isinstance(entry[key], list) or not entry[key]:
                raise RegistryError(f"{where} ({channel}): {key} must be a non-empty list")
    return doc["platforms"]


def channels(path: Path = REGISTRY) -> list[str]:
    """The channel names, in registry order."""
    return [p["channel"] for p in load_registry(path)]


# --- --about ---------------------------------------------------------------------------------------------------


@cache
def _run_about(tap: str, fmt: str) -> str:
    beside = Path(sys.executable).parent / tap
    command = str(beside) if beside.exists() else shutil.which(tap)
    if command is None:
        sys.exit(f"{tap} is not installed: run scripts/setup.sh")
    result = subprocess.run([command, "--about", f"--format={fmt}"], capture_output=True, text=True, check=False,
                            cwd=ROOT, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        sys.exit(f"{tap} --about failed: {result.stderr.strip()[-500:]}")
    return result.stdout


def about(tap: str) -> dict:
    """`<tap> --about --format=json`, from the tap installed beside this interpreter (else on PATH)."""
    return json.loads(_run_about(tap, "json"))


def settings_table(tap: str) -> str:
    """The settings table of `<tap> --about --format=markdown` (header to last row, no trailing newline)."""
    text = _run_about(tap, "markdown")
    start = text.index("| Setting |")
    end = text.find("\n\n", start)
    return text[start : end if end >= 0 else len(text.rstrip("\n"))]


# --- Hub definitions -------------------------------------------------------------------------------------------


def kind(prop: dict) -> str:
    """Meltano setting kind of a JSON-schema property."""
    types = prop.get("type", "string")
    types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
    if prop.get("secret"):
        return "password"
    if "enum" in prop:
        return "options"
    if prop.get("format") in {"date-time", "date"}:
        return "date_iso8601"
    for name in ("boolean", "integer", "object", "array"):
        if name in types:
            return name
    return "string"


def setting(name: str, prop: dict) -> dict:
    """One setting: name, kind, label, description (with the tap's default), sensitive, options."""
    out: dict = {"name": name, "kind": kind(prop), "label": prop.get("title") or name}
    description = " ".join(str(prop.get("description", "")).split())
    if prop.get("default") is not None:
        default = json.dumps(prop["default"]) if not isinstance(prop["default"], str) else prop["default"]
        description = f"{description} (tap default `{default}`)".strip()
    if description:
        out["description"] = description
    if prop.get("secret"):
        out["sensitive"] = True
    if out["kind"] == "options":
        out["options"] = [{"label": str(v), "value": str(v)} for v in prop["enum"] if v is not None]
    return out


def definition(platform: dict, info: dict | None = None) -> dict:
    """The Hub definition of one platform's tap."""
    tap = tap_of(platform["channel"])
    info = info or about(tap)
    extra = platform["hub"]
    settings = info["settings"]
    return {
        "name": tap,
        "namespace": namespace_of(platform["channel"]),
        "variant": VARIANT,
        "label": extra["label"],
        "description": extra["description"],
        "pip_url": tap,
        "executable": tap,
        "repo": REPO,
        "docs": f"{REPO}/tree/main/taps/{tap}#readme",
        "domain_url": extra["domain_url"],
        "maintenance_status": MAINTENANCE_STATUS,
        "quality": QUALITY,
        "keywords": ["meltano_sdk", *extra["keywords"]],
        "capabilities": sorted(c for c in info["capabilities"] if c in HUB_CAPABILITIES),
        "settings_group_validation": [list(settings.get("required", []))],
        "settings": [setting(name, prop) for name, prop in settings["properties"].items()],
    }


def path_of(tap: str) -> Path:
    return HUB / tap / f"{VARIANT}.yml"


def render(data: dict) -> str:
    header = "# Generated by scripts/generate.py from `--about`: regenerate, don't edit.\n"
    return header + yaml.safe_dump(data, sort_keys=False, width=120, allow_unicode=True)


# --- Meltano extractors ----------------------------------------------------------------------------------------

EXTRACTORS_HEADER = """\
# GENERATED by `.venv/bin/python scripts/generate.py` from platforms.yml and each tap's `--about`: edit those
# (the tap's config_jsonschema, the registry) and run it again, never this file (tests/test_generate.py fails
# when it is stale). Per platform: its tap, defined in full (the Meltano Hub is unreachable), and the nightly
# full snapshot `<tap>--reconcile` (same settings and select, reconcile on; its own state id, so it never moves
# the incremental job's bookmarks). A start_date is kind `string`: the tap checks it as ISO 8601, where Meltano's
# date kind would reinterpret 05/12/2025.
"""


def extractor(platform: dict, info: dict | None = None) -> list[dict]:
    """The Meltano extractor of one platform and its reconcile child."""
    channel = platform["channel"]
    tap = tap_of(channel)
    hub = definition(platform, info)
    unknown = set(platform["capabilities"]) - set(hub["capabilities"])
    if unknown:
        raise RegistryError(f"platforms.yml ({channel}): capabilities {sorted(unknown)} are not in {tap} --about")
    own = [s for s in hub["settings"] if s["name"] not in SDK_SETTINGS]
    if platform["store_setting"] not in {s["name"] for s in own}:
        raise RegistryError(f"platforms.yml ({channel}): store_setting {platform['store_setting']} is no {tap} setting")
    return [
        {
            "name": tap,
            "namespace": namespace_of(channel),
            "pip_url": f"-e kit -e taps/{tap}",
            "executable": tap,
            "capabilities": list(platform["capabilities"]),
            "settings_group_validation": hub["settings_group_validation"],
            "settings": own,
            "load_schema": f"raw_{channel}",
            "select": [f"{stream}.*" for stream in platform["streams"]],
        },
        {"name": f"{tap}--reconcile", "inherit_from": tap, "config": {"reconcile": True}},
    ]


def render_extractors(platforms: list[dict]) -> str:
    plugins = [p for platform in platforms for p in extractor(platform)]
    body = yaml.safe_dump({"plugins": {"extractors": plugins}}, sort_keys=False, width=120, allow_unicode=True)
    return EXTRACTORS_HEADER + body


# --- README settings tables ------------------------------------------------------------------------------------


def tap_readme(tap: str, text: str) -> str:
    """The tap's README with its settings table (the one starting `| Setting |`) replaced."""
    start = text.find("| Setting |")
    if start < 0:
        raise RegistryError(f"taps/{tap}/README.md has no settings table (a line starting `| Setting |`)")
    following = re.compile(r"\n(?!\|)").search(text, start)
    end = following.start() if following else len(text.rstrip("\n"))
    return text[:start] + settings_table(tap) + text[end:]


def root_readme(taps: list[str], text: str) -> str:
    """The root README with each `<!-- settings:<tap> -->` block replaced."""
    for tap in taps:
        pattern = re.compile(rf"(<!-- settings:{re.escape(tap)} -->\n).*?(\n<!-- /settings -->)", re.DOTALL)
        if not pattern.search(text):
            raise RegistryError(f"README.md has no <!-- settings:{tap} --> ... <!-- /settings --> block")
        table = settings_table(tap)
        text = pattern.sub(lambda m, table=table: m.group(1) + table + m.group(2), text, count=1)
    return text


# --- all of it -------------------------------------------------------------------------------------------------


def outputs(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file and the text it should hold."""
    platforms = load_registry(root / "platforms.yml")
    taps = [tap_of(p["channel"]) for p in platforms]
    files = {root / EXTRACTORS.relative_to(ROOT): render_extractors(platforms)}
    for platform, tap in zip(platforms, taps, strict=True):
        files[root / path_of(tap).relative_to(ROOT)] = render(definition(platform))
        readme = root / "taps" / tap / "README.md"
        files[readme] = tap_readme(tap, readme.read_text())
    files[root / "README.md"] = root_readme(taps, (root / "README.md").read_text())
    return files


def stale(root: Path = ROOT) -> list[str]:
    """The generated files that differ from what would be written (relative paths)."""
    return [str(path.relative_to(root)) for path, text in outputs(root).items()
            if not path.exists() or path.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    args = parser.parse_args(argv)
    try:
        if args.check:
            out_of_date = stale()
            if out_of_date:
                print(f"generate: out of date (run scripts/generate.py): {', '.join(out_of_date)}", file=sys.stderr)
                return 1
            return 0
        for path, text in outputs().items():
            if path.exists() and path.read_text() == text:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    except RegistryError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
