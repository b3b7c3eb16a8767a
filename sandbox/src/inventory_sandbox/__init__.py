"""Local stand-ins for commerce platform APIs; currently the Shopify GraphQL Admin API (inventory subset)."""

from .sandbox import ShopifySandbox
from .server import SandboxServer, ShopifyApp, token_for

__all__ = ["ShopifySandbox", "ShopifyApp", "SandboxServer", "token_for"]
__version__ = "0.1.0"
