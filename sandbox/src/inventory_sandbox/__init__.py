"""Local stand-ins for commerce platform APIs (Shopify, BigCommerce, Magento; inventory subsets).

Each platform lives in its own subpackage and runs as its own server. Platform sandboxes are imported
lazily, so a platform that is missing or broken never stops the others from loading.
"""

from __future__ import annotations

import importlib

from .server import Reply, SandboxServer

__version__ = "0.1.0"

_LAZY = {
    "ShopifySandbox": ("shopify", "ShopifySandbox"),
    "ShopifyApp": ("shopify", "ShopifyApp"),
    "token_for": ("shopify", "token_for"),  # Shopify's, kept for backward compatibility
    "BigCommerceSandbox": ("bigcommerce", "BigCommerceSandbox"),
    "BigCommerceApp": ("bigcommerce", "BigCommerceApp"),
    "MagentoSandbox": ("magento", "MagentoSandbox"),
    "MagentoApp": ("magento", "MagentoApp"),
}

__all__ = ["Reply", "SandboxServer", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        try:
            value = getattr(importlib.import_module(f".{module}", __name__), attr)
        except (ImportError, AttributeError) as exc:
            raise AttributeError(f"inventory_sandbox.{name} is not available: {exc}") from exc
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
