"""The GraphQL the tap sends: paged and bulk queries built from a stream's declaration, and one request as a value.

A paged request's page size is not part of the request: `GraphQLRequest` holds the query and its other
variables, and each try sends it as a `Page` (the query and the size the cost governor allows at that moment),
so a retry after a too expensive page goes out smaller. The governor knows a request by its `Page`.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass, field

#: The eight named quantities of an inventory level.
QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "reserved",
    "incoming",
    "damaged",
    "quality_control",
    "safety_stock",
)

#: Arguments that make `locations` return deactivated and fulfillment-app locations too.
ALL_LOCATIONS_ARGS = "includeInactive: true, includeLegacy: true"


class Page(t.NamedTuple):
    """What pacing knows a request by: its query text (the shape) and its page size (`first`; None: not paged)."""

    query: str
    size: int | None


@dataclass(frozen=True)
class GraphQLRequest:
    """One GraphQL request: the query and its variables; a paged one gets `first` when it is sent."""

    query: str
    variables: t.Mapping[str, t.Any] = field(default_factory=dict)
    paged: bool = False

    def body(self, size: int | None) -> dict[str, t.Any]:
        """The JSON body of a try with page size `size` (None: as it is)."""
        variables = dict(self.variables) if size is None else {"first": size, **self.variables}
        return {"query": self.query, "variables": variables}


def paged_query(
    connection: str, node_fields: str, *, args: str = "", per_location: bool = False, filtered: bool = False
) -> str:
    """`connection(first:, after:[, query:][, args]) { nodes { node_fields } pageInfo {...} }`, under
    `location(id:)` when per location."""
    arguments = ["first: $first", "after: $after"]
    params = ["$first: Int!", "$after: String"]
    if filtered:
        arguments.append("query: $query")
        params.append("$query: String")
    if args:
        arguments.append(args)
    body = f"{connection}({', '.join(arguments)}) {{ nodes {{ {node_fields} }} pageInfo {{ hasNextPage endCursor }} }}"
    if per_location:
        params.insert(0, "$id: ID!")
        body = f"location(id: $id) {{ {body} }}"
    return f"query({', '.join(params)}) {{ {body} }}"


def bulk_query(
    connection: str, node_fields: str, *, args: str = "", per_location: bool = False, search: str | None = None
) -> str:
    """The same selection for `bulkOperationRunQuery` (edges, no paging arguments), under every location when
    per location."""
    arguments = []
    if search:
        arguments.append(f"query: {json.dumps(search)}")
    if args:
        arguments.append(args)
    arg_text = f"({', '.join(arguments)})" if arguments else ""
    body = f"{connection}{arg_text} {{ edges {{ node {{ {node_fields} }} }} }}"
    if per_location:
        body = f"locations({ALL_LOCATIONS_ARGS}) {{ edges {{ node {{ id {body} }} }} }}"
    return f"{{ {body} }}"


def search_filter(since: str | None) -> str | None:
    """Shopify search syntax for `updated_at >= since` (quoted: compared to the second); None without one."""
    return f"updated_at:>='{since}'" if since else None


__all__ = [
    "ALL_LOCATIONS_ARGS",
    "QUANTITY_NAMES",
    "GraphQLRequest",
    "Page",
    "bulk_query",
    "paged_query",
    "search_filter",
]
