"""Access scopes: a store's token can lack some, and a query that needs one is refused as Shopify does.

Each store has two tokens, as a store with two custom apps would: the store's token `shpat_sandbox_{store}` (the
taps'; by default the read scopes only) and its write token `shpat_sandbox_{store}_write` (by default every
scope, `write_inventory` included). `POST /_sandbox/config {"scopes": [...], "store": S}` sets the scopes of S's
token, `{"write_scopes": [...]}` those of its write token (all stores without `store`). A query selecting a field
whose scope the token lacks answers HTTP 200 with an `ACCESS_DENIED` error per field and `data: null`, before
any cost is charged. Bulk queries are not checked (they are a string argument).
"""

from __future__ import annotations

from graphql import DocumentNode, FieldNode, visit
from graphql.language import Visitor

#: The scopes a store's token has by default (the taps need only these).
READ_SCOPES = ("read_inventory", "read_locations", "read_products")
#: Every scope the sandbox knows; a store's write token has all of them by default.
ALL_SCOPES = (*READ_SCOPES, "write_inventory")

#: Field name -> the scope reading it needs (Admin API access scopes).
FIELD_SCOPES = {
    "locations": "read_locations",
    "location": "read_locations",
    "inventoryItems": "read_inventory",
    "inventoryItem": "read_inventory",
    "inventoryLevels": "read_inventory",
    "variant": "read_products",
    "product": "read_products",
    "inventorySetQuantities": "write_inventory",
    "inventoryAdjustQuantities": "write_inventory",
}

DOCS = "https://shopify.dev/api/usage/access-scopes"


def check_scopes(scopes: set[str] | list[str] | tuple[str, ...]) -> set[str]:
    unknown = set(scopes) - set(ALL_SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes {sorted(unknown)}; known: {', '.join(ALL_SCOPES)}")
    return set(scopes)


def access_denied(document: DocumentNode, scopes: set[str]) -> list[dict]:
    """One Shopify `ACCESS_DENIED` error per selected field whose scope the token lacks (first use only)."""
    denied: dict[str, str] = {}

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_args) -> None:
            scope = FIELD_SCOPES.get(node.name.value)
            if scope and scope not in scopes:
                denied.setdefault(node.name.value, scope)

    visit(document, Fields())
    return [{"message": f"Access denied for {field} field. Required access: `{scope}` access scope.",
             "extensions": {"code": "ACCESS_DENIED", "documentation": DOCS,
                            "requiredAccess": f"`{scope}` access scope."},
             "path": [field]} for field, scope in denied.items()]
