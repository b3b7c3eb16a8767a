"""Which store each extractor reads, from the Meltano project's own settings, and the state id suffix they make.

Meltano keys bookmarks by environment and plugin name. A merchant who points the same plugin at another store
(or a demo's plugin at a real one) would otherwise resume from the other store's bookmark; the runner adds the
stores to every state id (`--state-id-suffix`), so a new store always starts with a full sync.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

#: The setting that names the store, per tap (the extractor's namespace), and the channel it feeds: one entry per
#: platform of the registry platforms.yml, in its order (tests/test_generate.py checks they agree).
PLATFORMS = {
    "tap_shopify_inventory": ("shopify", "store"),
    "tap_bigcommerce_inventory": ("bigcommerce", "store_hash"),
    "tap_magento_inventory": ("magento", "base_url"),
}


class StoreError(ValueError):
    """A source that cannot be run as asked; the message is the one line to print."""


@dataclass(frozen=True)
class Source:
    plugin: str  # the extractor's name in meltano.yml
    channel: str  # shopify | bigcommerce | magento
    setting: str  # the setting that names the store
    store: str | None  # its value (None: not set)

    @property
    def key(self) -> str:
        """The store as a state id can carry it: no scheme, nothing but letters, digits, `.`, `_`, `-`."""
        value = re.sub(r"^[a-z]+://", "", (self.store or "").strip().lower()).rstrip("/")
        return re.sub(r"[^a-z0-9._-]+", "-", value).strip("-")


def resolve(project_root: Path, environment: str, plugins: list[str]) -> list[Source]:
    """Each extractor's channel and store, as `meltano run` would configure it in ``environment`` (meltano.yml,
    .env, environment variables). Raises StoreError for a name that is not an extractor of ours."""
    with _quiet():
        from meltano.core.plugin import PluginType
        from meltano.core.plugin.error import PluginNotFoundError
        from meltano.core.plugin.settings_service import PluginSettingsService
        from meltano.core.project import Project

        project = Project(root=project_root)
        project.activate_environment(environment)
        sources = []
        for name in plugins:
            try:
                plugin = project.plugins.find_plugin(name, plugin_type=PluginType.EXTRACTORS)
            except PluginNotFoundError:
                raise StoreError(f"no extractor named {name} in meltano.yml") from None
            root = plugin
            while root.inherit_from and getattr(root, "parent", None) is not None:  # a store's own plugin
                root = root.parent
            platform = PLATFORMS.get(root.namespace)
            if platform is None:
                raise StoreError(f"{name} is not one of the inventory taps ({', '.join(sorted(PLATFORMS))})")
            channel, setting = platform
            value = PluginSettingsService(project, plugin).get(setting)
            sources.append(Source(name, channel, setting, str(value) if value else None))
    return sources


def state_id_suffix(sources: list[Source]) -> str:
    """One suffix naming every store of the run: readable where it is short, always unique (a hash of all)."""
    keys = sorted(f"{s.channel}.{s.key}" for s in sources if s.store)
    digest = hashlib.sha256("|".join(keys).encode()).hexdigest()[:10]
    first = sorted(s.key for s in sources if s.store)[:1]
    return "-".join([*(k[:40] for k in first), digest])


@contextlib.contextmanager
def _quiet():
    """Meltano's project API logs and warns as it activates; the runner prints its own lines."""
    loggers = [logging.getLogger(name) for name in ("meltano", "")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
