"""Shopify GraphQL Admin API (inventory subset)."""

from .app import ShopifyApp, token_for
from .sandbox import ShopifySandbox

__all__ = ["ShopifyApp", "ShopifySandbox", "token_for"]
