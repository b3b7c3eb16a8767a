"""Alerts and the inventory health report, read from the inventory mart (docs/monitoring.md)."""
