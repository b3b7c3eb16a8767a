"""`--test` for Shopify: how to read the tap's one-line errors (the check itself is the kit's).

A token lacking a scope is named per stream (`missing scope read_locations (...)`); a wrong token is HTTP 401,
a wrong store HTTP 404; no answer at all means the URL or the network.
"""

from __future__ import annotations

import re

from singer_inventory_kit.connection import ConnectionTest, Outcome


class ShopifyConnectionTest(ConnectionTest):
    """Outcomes of Shopify's errors, first match wins."""

    outcomes = (
        Outcome("bad credentials", re.compile(r"HTTP 401"), "check access_token (and that it belongs to this store)"),
        Outcome("missing scope", re.compile(r"missing scope (?P<scope>[\w, ]+?) \("),
                "add them to the app's Admin API access scopes, reinstall it and use the new token"),
        Outcome("store not found", re.compile(r"HTTP 404"), "check store and api_url"),
        Outcome("unreachable", re.compile(r"could not get an answer|expected JSON"), "check api_url and the network"),
    )  # fmt: skip
    missing = "scopes"
