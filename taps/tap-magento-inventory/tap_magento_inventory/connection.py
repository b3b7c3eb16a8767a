"""`--test` for Magento: how to read the tap's one-line errors (the check itself is the kit's).

Magento answers 401 "The consumer isn't authorized to access <resource>" both for wrong credentials and for a
missing ACL resource. One stream refused while another was read means a missing resource; every stream refused
means the credentials (or an integration without any of the resources). Without `store_id` every stream first
reads the store view's address (Magento_Backend::store): when that is all that was refused, it may be either.
"""

from __future__ import annotations

import re
import typing as t

from singer_inventory_kit.connection import Check, ConnectionTest, Outcome

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

STORE_RESOURCE = "Magento_Backend::store"
BAD_CREDENTIALS = (
    "bad credentials",
    "check access_token (or the OAuth settings) and auth_method; with Bearer, Magento 2.4.4+ needs 'Allow OAuth "
    "Access Tokens to be used as standalone Bearer tokens'",
)


class MagentoConnectionTest(ConnectionTest):
    """Outcomes of Magento's errors, first match wins; all streams refused means the credentials."""

    outcomes = (
        Outcome("missing ACL resource", re.compile(r"HTTP 401: .*needs ACL resource (?P<scope>[\w:]+)"),
                "tick them in the integration's API resources (System > Extensions > Integrations) and reactivate "
                "it"),
        Outcome("store not found", re.compile(r"HTTP 404|not a Magento REST endpoint"),
                "check base_url and store_code"),
        Outcome("unreachable", re.compile(r"gave up after|could not get an answer"), "check base_url and the network"),
    )  # fmt: skip
    missing = "ACL resources"

    def store_label(self) -> str:
        """The `store_id` setting, else the base URL."""
        return str(self.tap.config.get("store_id") or self.tap.config.get("base_url"))

    def without_request(self, stream: Stream) -> str | None:
        """sync_runs, and salable_quantities while include_salable_quantity is off."""
        if stream.name == "salable_quantities" and not stream.config.get("include_salable_quantity"):
            return "off (include_salable_quantity is false)"
        return super().without_request(stream)

    def review(self, checks: list[Check]) -> None:  # noqa: PLR6301
        """Nothing could be read: the credentials, not one resource."""
        refused = [c for c in checks if c.outcome == "missing ACL resource"]
        if refused and not any(c.outcome == "ok" for c in checks):
            store_view_only = {c.scope for c in refused} == {STORE_RESOURCE}
            for c in refused:
                c.outcome, c.advice, c.scope = *BAD_CREDENTIALS, ""
                if store_view_only:
                    c.advice += (f"; if they are right, tick {STORE_RESOURCE}: without store_id the tap reads the "
                                 "store view's address with it")
