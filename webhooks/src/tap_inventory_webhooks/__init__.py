"""Singer tap reading the inventory-webhooks receiver's durable store (see webhooks/README.md)."""
