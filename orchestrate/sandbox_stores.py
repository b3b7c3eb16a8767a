"""Sandbox stores for the stores of a store list: which sandbox store each entry is, and the variables that point
its Meltano plugin at it (its credential variable from the list, its plugin's `api_url` / `base_url`).

Used by `scripts/airflow.sh up`, the tests and the benchmarks; a production deployment sets the credential
variables the store list names and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from orchestrate.generate import STORES, meltano_project, plugin_name, tap_settings, validate

#: The URL setting each platform's plugin is pointed at the sandbox with.
URL_SETTING = {"shopify": "api_url", "bigcommerce": "api_url", "magento": "base_url"}


def load(path: Path = STORES) -> tuple[dict, list[dict]]:
    """The validated (fanout, stores) of a store list."""
    settings = tap_settings(meltano_project())
    return validate(yaml.safe_load(path.read_text()), settings)


def sandbox_name(store: dict) -> str:
    """The store's name inside its platform's sandbox server (the shop, store hash or Magento store id)."""
    config = store["config"]
    return {"shopify": config.get("store"), "bigcommerce": config.get("store_hash"),
            "magento": config.get("store_id")}[store["platform"]] or store["name"]


def token(platform: str, name: str) -> str:
    """The access token the sandbox accepts for one of its stores."""
    from inventory_sandbox.bigcommerce.app import token_for as bigcommerce
    from inventory_sandbox.magento.app import token_for as magento
    from inventory_sandbox.shopify.app import token_for as shopify

    return {"shopify": shopify, "bigcommerce": bigcommerce, "magento": magento}[platform](name)


def setting_env(plugin: str, setting: str) -> str:
    """Meltano's variable for a plugin's setting: TAP_SHOPIFY_INVENTORY__EU_API_URL."""
    return f"{plugin}_{setting}".upper().replace("-", "_")


def store_env(stores: list[dict], urls: dict[str, str]) -> dict[str, str]:
    """Variables pointing every store's plugin at its sandbox server (`urls`: platform -> server URL)."""
    env = {}
    for store in stores:
        name = sandbox_name(store)
        env[store["credentials"]["access_token"]] = token(store["platform"], name)
        env[setting_env(plugin_name(store), URL_SETTING[store["platform"]])] = \
            f"{urls[store['platform']]}/stores/{name}"
    return env
