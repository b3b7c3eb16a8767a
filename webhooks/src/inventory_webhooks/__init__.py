"""Webhook receiver for Shopify and BigCommerce inventory events (see webhooks/README.md)."""

from .store import EventStore
from .verify import Rejected, verify_bigcommerce, verify_shopify

__all__ = ["EventStore", "Rejected", "verify_bigcommerce", "verify_shopify"]
