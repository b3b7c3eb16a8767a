#!/usr/bin/env python
"""Write each tap's Meltano Hub plugin definition from its `--about` output.

    .venv/bin/python scripts/hub_definitions.py           # (re)write hub/extractors/<tap>/<variant>.yml
    .venv/bin/python scripts/hub_definitions.py --check   # exit 1 when a committed file is not what --about gives

The files have the layout of the Hub's own repository (`_data/meltano/extractors/<name>/<variant>.yml` in
github.com/meltano/hub), so publishing is a copy into a pull request there (hub/README.md). Settings, their
kinds, labels, descriptions, secrets and the required group all come from `--about --format=json`; only what
`--about` cannot know (label, links, keywords, quality) is written here, in `PLUGINS`.
tests/test_hub_definitions.py checks these files against --about, meltano.yml and each tap's README.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / "hub" / "extractors"

#: The GitHub organisation that publishes the taps: the Hub variant name and the repository.
VARIANT = "inventory-connectors"
REPO = "https://github.com/inventory-connectors/inventory-connectors"

#: Hub fields --about cannot know.
PLUGINS = {
    "tap-shopify-inventory": {
        "label": "Shopify Inventory",
        "description": "Multi-location inventory levels, items and locations from the Shopify GraphQL Admin API",
        "domain_url": "https://www.shopify.com",
        "keywords": ["shopify", "inventory", "ecommerce"],
    },
    "tap-bigcommerce-inventory": {
        "label": "BigCommerce Inventory",
        "description": "Multi-location inventory levels, items and locations from the BigCommerce Inventory API",
        "domain_url": "https://www.bigcommerce.com",
        "keywords": ["bigcommerce", "inventory", "ecommerce"],
    },
    "tap-magento-inventory": {
        "label": "Magento Inventory",
        "description": "MSI sources, stocks, source items and salable quantities from Magento 2 / Adobe Commerce",
        "domain_url": "https://business.adobe.com/products/magento/magento-commerce.html",
        "keywords": ["magento", "adobe_commerce", "inventory", "ecommerce"],
    },
}
#: Every tap: active, SDK-built, tested against local copies of the APIs in CI but not yet rated by the Hub.
MAINTENANCE_STATUS = "active"
QUALITY = "silver"

#: Capabilities the Hub schema accepts (schemas/common/extractors_specific.schema.json in meltano/hub).
HUB_CAPABILITIES = {
    "properties", "catalog", "discover", "state", "about", "stream-maps", "schema-flattening",
    "activate-version", "batch", "test", "log-based", "structured-logging",
}  # fmt: skip


def about(tap: str) -> dict:
    """`<tap> --about --format=json`, from the tap installed beside this interpreter (else on PATH)."""
    beside = Path(sys.executable).parent / tap
    command = str(beside) if beside.exists() else shutil.which(tap)
    if command is None:
        sys.exit(f"{tap} is not installed: run scripts/setup.sh")
    result = subprocess.run([command, "--about", "--format=json"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{tap} --about failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout)


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
    """One Hub setting: name, kind, label, description (with the tap's default), sensitive, options."""
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


def definition(tap: str, info: dict | None = None) -> dict:
    """The Hub definition of one tap."""
    info = info or about(tap)
    extra = PLUGINS[tap]
    settings = info["settings"]
    return {
        "name": tap,
        "namespace": tap.replace("-", "_"),
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
    header = "# Generated by scripts/hub_definitions.py from `--about`: regenerate, don't edit.\n"
    return header + yaml.safe_dump(data, sort_keys=False, width=120, allow_unicode=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    args = parser.parse_args()
    stale = []
    for tap in PLUGINS:
        text, path = render(definition(tap)), path_of(tap)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"out of date (run scripts/hub_definitions.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
