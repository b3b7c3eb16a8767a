"""Magento flags of ``inventory-sandbox serve --platform magento``."""

from __future__ import annotations

import argparse

from .app import MagentoApp

DEFAULT_STORES = ["demo-store"]


def add_arguments(parser) -> None:
    parser.add_argument("--mode", choices=("msi", "single"), default="msi",
                        help="msi: sources, stocks and /V1/inventory/*; single: a store without MSI modules "
                             "(legacy stock items only, /V1/inventory/* answers 404)")
    parser.add_argument("--no-repeat-last-page", dest="repeat_last_page", action="store_false",
                        help="answer a page past the end with no items instead of the last page again")
    parser.add_argument("--no-bearer", dest="bearer", action="store_false",
                        help="refuse integration tokens as Bearer (Magento 2.4.4+ default): OAuth 1.0a only")


def make_app(args: argparse.Namespace, stores: list[str]) -> MagentoApp:
    return MagentoApp(stores, locations=args.locations, items=args.items, seed=args.seed, mode=args.mode,
                      repeat_last_page=args.repeat_last_page, bearer=args.bearer)
