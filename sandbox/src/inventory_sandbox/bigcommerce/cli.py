"""BigCommerce flags of ``inventory-sandbox serve --platform bigcommerce``."""

from __future__ import annotations

import argparse

from .app import BigCommerceApp

DEFAULT_STORES = ["demostore"]


def add_arguments(parser) -> None:
    parser.add_argument("--window-ms", type=int, default=30_000, help="quota window length (BigCommerce: 30000)")
    parser.add_argument("--quota", type=int, default=150, help="requests per window and store (Standard plan: 150)")
    parser.add_argument("--lowercase-headers", action="store_true", help="send response header names in lower case")
    parser.add_argument("--read-lag-ms", type=float, default=0,
                        help="written stock shows in reads only this much later (the API is asynchronous; default 0)")


def make_app(args: argparse.Namespace, stores: list[str]) -> BigCommerceApp:
    return BigCommerceApp(stores, locations=args.locations, items=args.items, seed=args.seed,
                          window_ms=args.window_ms, quota=args.quota, lowercase_headers=args.lowercase_headers,
                          read_lag_ms=args.read_lag_ms)
