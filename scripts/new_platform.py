"""Scaffold a new platform: `scripts/new-platform.sh NAME` (docs/architecture.md, "Adding a platform").

Writes, from scripts/templates/new-platform/ (`__channel__`, `__Channel__` replaced by the name):

- taps/tap-NAME-inventory/: a tap on singer-inventory-kit with the contract's streams, reading the template's
  REST API;
- sandbox/src/inventory_sandbox/NAME/: a sandbox serving that API;
- transform/models/staging/NAME/: its sources and staging models;

and adds the platform where the platforms are listed: platforms.yml, `known_channels` and the staging switches
in transform/dbt_project.yml, the sandbox's and the runner's PLATFORMS, the warehouse-check schemas and the
Airflow queues, a settings block in README.md. It installs nothing and runs nothing: next steps are printed.
Bad input stops it with one line and exit code 2 before anything is written.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates" / "new-platform"
NAME = re.compile(r"^[a-z][a-z0-9]*$")


class ScaffoldError(ValueError):
    """The platform cannot be added; the message is the one line to print."""


def _replace_once(text: str, old: str, new: str, where: str) -> str:
    if text.count(old) < 1:
        raise ScaffoldError(f"{where}: cannot find {old.strip()!r} to extend")
    return text.replace(old, new)


def edits(root: Path, name: str, channels: list[str]) -> dict[Path, str]:
    """Every existing file the new platform is added to, with its new text."""
    last = channels[-1]
    out: dict[Path, str] = {}

    path = root / "platforms.yml"
    out[path] = path.read_text().rstrip("\n") + (
        f"\n- channel: {name}\n"
        f"  store_setting: store\n"
        f"  streams: [locations, inventory_items, inventory_levels, sync_runs]\n"
        f"  capabilities: [catalog, discover, state, about, stream-maps, schema-flattening]\n"
        f"  hub:\n"
        f"    label: {name.capitalize()} Inventory\n"
        f"    description: Multi-location inventory levels, items and locations from {name.capitalize()}\n"
        f"    domain_url: https://www.example.com\n"
        f"    keywords: [{name}, inventory, ecommerce]\n")

    path = root / "transform" / "dbt_project.yml"
    text = path.read_text()
    known = f"known_channels: [{', '.join(channels)}]"
    text = _replace_once(text, known, f"known_channels: [{', '.join([*channels, name])}]", "dbt_project.yml")
    switch = f"      {last}:\n        +enabled: \"{{{{ '{last}' in (env_var('INVENTORY_CHANNELS', '') or '{last}') }}}}\"\n"
    added = f"      {name}:\n        +enabled: \"{{{{ '{name}' in (env_var('INVENTORY_CHANNELS', '') or '{name}') }}}}\"\n"
    out[path] = _replace_once(text, switch, switch + added, "dbt_project.yml")

    path = root / "sandbox" / "src" / "inventory_sandbox" / "cli.py"
    line = f'    "{last}": "inventory_sandbox.{last}.cli",\n'
    out[path] = _replace_once(path.read_text(), line, line + f'    "{name}": "inventory_sandbox.{name}.cli",\n',
                              "sandbox cli.py")

    path = root / "runner" / "inventory_runner" / "stores.py"
    text = path.read_text()
    match = re.search(rf'    "tap_{last}_inventory": \("{last}", "\w+"\),\n', text)
    if not match:
        raise ScaffoldError(f"runner stores.py: cannot find the {last} entry of PLATFORMS to extend")
    out[path] = text.replace(match.group(0), match.group(0) + f'    "tap_{name}_inventory": ("{name}", "store"),\n')

    path = root / "plugins" / "meltano" / "utilities.meltano.yml"
    text = path.read_text()
    schemas = ",".join(f"raw_{c}" for c in channels)
    text = _replace_once(text, f"--schemas {schemas},analytics", f"--schemas {schemas},raw_{name},analytics",
                         "utilities.meltano.yml")
    queues = ",".join(["default", *channels])
    out[path] = _replace_once(text, f"--queues {queues}", f"--queues {queues},{name}", "utilities.meltano.yml")

    path = root / "README.md"
    text = path.read_text()
    anchor = f"<!-- settings:tap-{last}-inventory -->"
    start = text.find(anchor)
    end = text.find("<!-- /settings -->", start)
    if start < 0 or end < 0:
        raise ScaffoldError(f"README.md: no settings block of tap-{last}-inventory to add one after")
    end += len("<!-- /settings -->")
    block = (f"\n\n## Settings of tap-{name}-inventory\n\n"
             f"Generated from `tap-{name}-inventory --about --format=markdown`; in Meltano each is also "
             f"`TAP_{name.upper()}_INVENTORY_<SETTING>`.\n\n"
             f"<!-- settings:tap-{name}-inventory -->\n| Setting | Required | Default | Description |\n"
             f"<!-- /settings -->")
    out[path] = text[:end] + block + text[end:]
    return out


def rendered(name: str) -> dict[Path, str]:
    """The template files, relative to the repository, with their text."""
    files = {}
    for template in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()):
        if any(part.startswith(".") or part == "__pycache__" for part in template.relative_to(TEMPLATES).parts):
            continue  # caches of tools run in the templates folder
        rel = str(template.relative_to(TEMPLATES))
        text = template.read_text()
        for old, new in (("__Channel__", name.capitalize()), ("__channel__", name)):
            rel, text = rel.replace(old, new), text.replace(old, new)
        files[Path(rel)] = text
    return files


def scaffold(root: Path, name: str) -> list[Path]:
    """Write the new platform into the repository at `root`; the paths written, relative to it."""
    if not NAME.match(name):
        raise ScaffoldError(f"platform name {name!r}: lower-case letters and digits, starting with a letter")
    import yaml

    channels = [p["channel"] for p in yaml.safe_load((root / "platforms.yml").read_text())["platforms"]]
    if name in channels:
        raise ScaffoldError(f"platform {name} is already in platforms.yml")
    for folder in (f"taps/tap-{name}-inventory", f"sandbox/src/inventory_sandbox/{name}",
                   f"transform/models/staging/{name}"):
        if (root / folder).exists():
            raise ScaffoldError(f"{folder} exists already")
    files = rendered(name)
    changed = edits(root, name, channels)  # computed in full before anything is written
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for path, text in changed.items():
        path.write_text(text)
    return [*files, *(p.relative_to(root) for p in changed)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="new-platform.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the platform's channel name: lower-case letters and digits, e.g. woo")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.root, args.name)
    except ScaffoldError as exc:
        print(f"new-platform: {exc}", file=sys.stderr)
        return 2
    for rel in written:
        print(f"wrote {rel}")
    name = args.name
    print(f"""
Next (docs/architecture.md, "Adding a platform"):
  1. make taps/tap-{name}-inventory and sandbox/src/inventory_sandbox/{name} speak the platform's real API;
     fill in platforms.yml's hub entry for {name}
  2. scripts/setup.sh                              # installs the tap into .venv and .meltano
  3. .venv/bin/python scripts/generate.py          # its Meltano extractor, Hub definition, settings tables
  4. .venv/bin/python -m pytest tests/test_generate.py tests/test_contract.py -q -p no:cacheprovider
     .venv/bin/meltano invoke dbt-duckdb parse""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
