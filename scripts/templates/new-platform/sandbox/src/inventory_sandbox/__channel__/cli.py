"""__Channel__ flags of ``inventory-sandbox serve --platform __channel__``."""

from __future__ import annotations

import argparse

from .app import __Channel__App

DEFAULT_STORES = ["demo-store"]


def add_arguments(parser) -> None:  # noqa: ARG001  (no platform flags yet)
    """The platform's own flags (none yet)."""


def make_app(args: argparse.Namespace, stores: list[str]) -> __Channel__App:
    return __Channel__App(stores, locations=args.locations, items=args.items, seed=args.seed)
