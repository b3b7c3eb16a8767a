"""tap-inventory-webhooks: the receiver's accepted events, incrementally by their ``seq``.

Streams (both ``replication_key = "seq"``, each with its own bookmark):
  webhook_events          every accepted delivery as stored (payload as JSON text)
  inventory_level_events  one inventory level observation per row (see ``normalize``)
"""

from __future__ import annotations

import json
import typing as t

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from inventory_webhooks.store import EventStore

from .normalize import BigCommerceReader, level_rows, utc

BATCH = 500


class EventsStream(Stream):
    """Reads the store after the bookmark, in ``seq`` order."""

    replication_key = "seq"
    is_sorted = True

    def _events(self, context) -> t.Iterator[list[dict]]:
        after = int(self.get_starting_replication_key_value(context) or 0)
        store = self._tap.event_store()  # type: ignore[attr-defined]
        while True:
            batch = list(store.read(after=after, limit=BATCH))
            if not batch:
                return
            yield batch
            after = batch[-1]["seq"]


class WebhookEventsStream(EventsStream):
    name = "webhook_events"
    primary_keys = ("seq",)
    schema = th.PropertiesList(
        th.Property("seq", th.IntegerType, required=True, description="Receiver's sequence number"),
        th.Property("platform", th.StringType, required=True),
        th.Property("webhook_id", th.StringType, required=True,
                    description="X-Shopify-Webhook-Id, or the BigCommerce payload hash"),
        th.Property("topic", th.StringType, required=True, description="Shopify topic or BigCommerce scope"),
        th.Property("store_id", th.StringType, required=True),
        th.Property("triggered_at", th.DateTimeType, description="The platform's event time"),
        th.Property("received_at", th.DateTimeType, description="When the receiver committed it"),
        th.Property("payload", th.StringType, description="The body as JSON text"),
    ).to_dict()

    def get_records(self, context) -> t.Iterable[dict]:
        for batch in self._events(context):
            for event in batch:
                yield {**event, "triggered_at": utc(event["triggered_at"]), "received_at": utc(event["received_at"]),
                       "payload": json.dumps(event["payload"], separators=(",", ":"))}


class InventoryLevelEventsStream(EventsStream):
    name = "inventory_level_events"
    primary_keys = ("channel", "webhook_id", "store_id", "location_id", "inventory_item_id")
    schema = th.PropertiesList(
        th.Property("seq", th.IntegerType, required=True),
        th.Property("channel", th.StringType, required=True, description="shopify or bigcommerce"),
        th.Property("store_id", th.StringType, required=True),
        th.Property("location_id", th.StringType, required=True),
        th.Property("inventory_item_id", th.StringType, required=True,
                    description="Shopify inventory item id; BigCommerce variant id"),
        th.Property("available", th.IntegerType),
        th.Property("on_hand", th.IntegerType, description="BigCommerce only (Shopify's body has available only)"),
        th.Property("safety_stock", th.IntegerType, description="BigCommerce only"),
        th.Property("is_disconnected", th.BooleanType, description="Shopify inventory_levels/disconnect"),
        th.Property("observed_at", th.DateTimeType, required=True,
                    description="Platform time of this state: Shopify updated_at; BigCommerce the re-read"),
        th.Property("triggered_at", th.DateTimeType),
        th.Property("received_at", th.DateTimeType),
        th.Property("topic", th.StringType),
        th.Property("webhook_id", th.StringType, required=True),
    ).to_dict()

    def get_records(self, context) -> t.Iterable[dict]:
        for batch in self._events(context):
            yield from level_rows(batch, self._tap.bigcommerce_reader)  # type: ignore[attr-defined]


class TapInventoryWebhooks(Tap):
    name = "tap-inventory-webhooks"
    config_jsonschema = th.PropertiesList(
        th.Property("database", th.StringType, required=True, title="Database",
                    description="Path of the receiver's SQLite store (`inventory-webhooks serve --db`)."),
        th.Property("bigcommerce_store_hash", th.StringType, title="BigCommerce Store Hash",
                    description="Store whose thin BigCommerce events are re-read through the Inventory API."),
        th.Property("bigcommerce_access_token", th.StringType, secret=True, title="BigCommerce Access Token",
                    description="`X-Auth-Token` with `store_inventory_read_only`."),
        th.Property("bigcommerce_api_url", th.StringType, title="BigCommerce API URL",
                    description="Replaces `https://api.bigcommerce.com/stores/{store_hash}` (the sandbox uses "
                                "`{url}/stores/{store_hash}`)."),
        th.Property("request_timeout", th.IntegerType, default=60, title="Request Timeout",
                    description="Seconds to wait for each BigCommerce request."),
    ).to_dict()

    def event_store(self) -> EventStore:
        if not hasattr(self, "_event_store"):
            self._event_store = EventStore(self.config["database"], readonly=True)
        return self._event_store

    def bigcommerce_reader(self, store_hash: str) -> BigCommerceReader:
        configured = self.config.get("bigcommerce_store_hash")
        if store_hash != configured or not self.config.get("bigcommerce_access_token"):
            raise RuntimeError(f"a BigCommerce event for store {store_hash!r} needs bigcommerce_store_hash="
                               f"{store_hash!r} and its bigcommerce_access_token")
        if not hasattr(self, "_bc_reader"):
            api_url = self.config.get("bigcommerce_api_url") or f"https://api.bigcommerce.com/stores/{store_hash}"
            self._bc_reader = BigCommerceReader(store_hash, api_url, self.config["bigcommerce_access_token"],
                                                timeout=self.config.get("request_timeout", 60))
        return self._bc_reader

    def discover_streams(self) -> list[Stream]:
        return [WebhookEventsStream(self), InventoryLevelEventsStream(self)]


if __name__ == "__main__":
    TapInventoryWebhooks.cli()
