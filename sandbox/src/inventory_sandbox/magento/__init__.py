"""Magento 2 REST (MSI inventory, products, legacy stock items) with searchCriteria, Bearer and OAuth 1.0a."""

from .app import MagentoApp, oauth_credentials, token_for
from .sandbox import MagentoSandbox

__all__ = ["MagentoApp", "MagentoSandbox", "oauth_credentials", "token_for"]
