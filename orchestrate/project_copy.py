"""A throwaway copy of this Meltano project with another store list (the 500-store parse test, the fan-out
benchmark): its own meltano.yml include, generated store file, `.meltano/run` folders and manifests; the
installed plugin venvs, the taps, the dbt project and the root venv are linked, not copied or reinstalled.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from orchestrate.generate import ROOT, render

LINKED = (".venv", "taps", "utilities", "webhooks", "transform", "sandbox")
# Copied, not linked: meltano.yml includes files from here (plugins/meltano/*.meltano.yml), and Meltano refuses an
# include path that resolves outside the project (a symlink to this checkout does).
COPIED = ("plugins",)
LINKED_PLUGINS = ("extractors", "loaders", "utilities")


def project_with_stores(stores: Path, dest: Path) -> Path:
    """Make `dest` a project whose store list is `stores`; returns `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "meltano.yml", dest / "meltano.yml")
    for name in LINKED:
        (dest / name).symlink_to(ROOT / name)
    for name in COPIED:
        shutil.copytree(ROOT / name, dest / name)
    (dest / "orchestrate").mkdir()
    (dest / "orchestrate" / "dags").symlink_to(ROOT / "orchestrate" / "dags")
    shutil.copy2(ROOT / "orchestrate" / "pools.json", dest / "orchestrate" / "pools.json")
    shutil.copy2(stores, dest / "orchestrate" / "stores.yml")
    (dest / "orchestrate" / "stores.meltano.yml").write_text(render(stores, ROOT / "meltano.yml"))
    (dest / ".meltano").mkdir()
    for kind in LINKED_PLUGINS:
        if (ROOT / ".meltano" / kind).exists():
            (dest / ".meltano" / kind).symlink_to(ROOT / ".meltano" / kind)
    return dest


def synthetic_stores(counts: dict[str, int], fanout: dict | None = None) -> dict:
    """A store list with `counts[platform]` stores per platform (names s0001...), for scale tests."""
    stores = []
    for platform, n in counts.items():
        for i in range(1, n + 1):
            name = f"s{i:04d}"
            key = f"{platform[:2]}{name}"
            config = {"shopify": {"store": key}, "bigcommerce": {"store_hash": key},
                      "magento": {"base_url": f"https://{key}.example", "store_id": key}}[platform]
            stores.append({"name": name, "platform": platform, "config": config,
                           "credentials": {"access_token": f"{key.upper()}_{platform.upper()}_TOKEN"}})
    return {"fanout": fanout or {"warehouse": "postgres", "every": "*/5 * * * *"}, "stores": stores}
