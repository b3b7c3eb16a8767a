"""BigCommerce REST v3 (catalog and multi-location Inventory API subset)."""

from .app import BigCommerceApp, token_for
from .sandbox import BigCommerceSandbox

__all__ = ["BigCommerceApp", "BigCommerceSandbox", "token_for"]
