"""Shopify flags of ``inventory-sandbox serve --platform shopify``."""

from __future__ import annotations

import argparse

from .app import ShopifyApp
from .cost import MODELS

DEFAULT_STORES = ["demo-store"]


def add_arguments(parser) -> None:
    parser.add_argument("--bucket-size", type=float, default=2000)
    parser.add_argument("--restore-rate", type=float, default=100)
    parser.add_argument("--cost-model", choices=MODELS, default="measured")
    parser.add_argument("--max-cost", type=int, default=1000)
    parser.add_argument("--bulk-delay-ms", type=int, default=300)


def make_app(args: argparse.Namespace, stores: list[str]) -> ShopifyApp:
    return ShopifyApp(stores, locations=args.locations, items=args.items, seed=args.seed,
                      bucket_size=args.bucket_size, restore_rate=args.restore_rate, cost_model=args.cost_model,
                      max_cost=args.max_cost, bulk_delay_ms=args.bulk_delay_ms)
