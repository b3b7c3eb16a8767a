"""A tiny in-memory Shopify GraphQL endpoint for offline tests (driven by `responses`).

It answers the handful of query shapes the tap sends, pages with opaque cursors, applies
the `updated_at:>='...'` filter, reports `extensions.cost` and can replay queued faults.
It is deliberately small: the full behaviour is the sandbox's job (integration tests).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import typing as t
from dataclasses import dataclass, field

import responses

STORE = "demo-store"
API_URL = f"https://{STORE}.myshopify.com"
ENDPOINT = f"{API_URL}/admin/api/2026-10/graphql.json"
TOKEN = "shpat_offline_secret_token"
QUANTITIES = (
    "available",
    "on_hand",
    "committed",
    "reserved",
    "incoming",
    "damaged",
    "quality_control",
    "safety_stock",
)


def _day(base: dt.datetime, days: int) -> str:
    return (base + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def config(**overrides: t.Any) -> dict:  # noqa: ANN401
    """Tap config pointing at the fake."""
    return {"store": STORE, "access_token": TOKEN, **overrides}


def cost_block(requested: float, available: float = 2000, maximum: float = 2000, rate: float = 100) -> dict:
    """An `extensions.cost` block."""
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": requested,
        "throttleStatus": {
            "maximumAvailable": maximum,
            "currentlyAvailable": available,
            "restoreRate": rate,
        },
    }


@dataclass
class FakeShopify:
    """Store data plus a `responses` callback that serves it."""

    n_locations: int = 2
    n_items: int = 7
    #: requested cost of a page as a function of `first` (None: 2 + first).
    cost_of: t.Callable[[int], float] | None = None
    max_cost: float = 1000
    faults: list[tuple[int, dict, dict]] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    bulk_lines_seed: int | None = 3

    def __post_init__(self) -> None:
        """Build deterministic data."""
        self.locations = [
            {
                "id": f"gid://shopify/Location/{i}",
                "name": f"Location {i}",
                "isActive": i != self.n_locations,
                "fulfillsOnlineOrders": i == 1,
                "updatedAt": f"2026-01-0{i}T10:00:00Z",
            }
            for i in range(1, self.n_locations + 1)
        ]
        self.items = [
            {
                "id": f"gid://shopify/InventoryItem/{100 + i}",
                "sku": f"SKU-{i}" if i % 3 else None,
                "tracked": i % 4 != 0,
                "createdAt": "2025-12-01T00:00:00Z",
                "updatedAt": _day(dt.datetime(2026, 2, 1, 8), i),
                "unitCost": {"amount": f"{i}.50", "currencyCode": "USD"} if i % 2 else None,
                "variant": {
                    "id": f"gid://shopify/ProductVariant/{200 + i}",
                    "inventoryPolicy": "CONTINUE" if i % 2 else "DENY",
                    "product": {"id": f"gid://shopify/Product/{300 + i}"},
                },
            }
            for i in range(1, self.n_items + 1)
        ]
        self.levels: dict[str, list[dict]] = {}
        for loc_index, loc in enumerate(self.locations, start=1):
            rows = []
            for item_index, item in enumerate(self.items, start=1):
                qty = {name: (loc_index * 10 + item_index + k) for k, name in enumerate(QUANTITIES)}
                rows.append(
                    {
                        "id": f"gid://shopify/InventoryLevel/{loc_index}?inventory_item_id={100 + item_index}",
                        "updatedAt": _day(dt.datetime(2026, 3, 1, loc_index), item_index - 1),
                        "item": {"id": item["id"], "sku": item["sku"]},
                        "quantities": [{"name": n, "quantity": q} for n, q in qty.items()],
                    },
                )
            self.levels[loc["id"]] = rows
        self.bulk: dict[str, dict] = {}
        self.running_other: str | None = None

    # -- wiring

    def install(self, rsps: responses.RequestsMock, endpoint: str = ENDPOINT) -> None:
        """Serve the GraphQL endpoint and bulk downloads."""
        rsps.add_callback(responses.POST, endpoint, callback=self._callback)
        rsps.add_callback(
            responses.GET,
            re.compile(r"https://storage\.example/bulk/.*"),
            callback=self._download,
        )

    def queue(self, status: int, body: t.Any, headers: dict | None = None) -> None:  # noqa: ANN401
        """Answer the next GraphQL request with this instead of data."""
        self.faults.append((status, body, headers or {}))

    # -- GraphQL

    def _callback(self, request: t.Any) -> tuple[int, dict, str]:  # noqa: ANN401
        payload = json.loads(request.body)
        self.requests.append({"payload": payload, "headers": dict(request.headers)})
        if self.faults:
            status, body, headers = self.faults.pop(0)
            text = body if isinstance(body, str) else json.dumps(body)
            headers = {"Content-Type": "application/json", **headers}
            return status, headers, text
        query, variables = payload["query"], payload.get("variables") or {}
        first = variables.get("first")
        requested = (self.cost_of(first) if self.cost_of else 2 + first) if first else 10
        if requested > self.max_cost:
            return self._json(
                {
                    "errors": [
                        {
                            "message": (
                                f"Query cost is {requested}, which exceeds the single query "
                                f"max cost limit ({self.max_cost})."
                            ),
                            "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": self.max_cost},
                        },
                    ],
                    "extensions": {"cost": cost_block(requested)},
                },
            )
        data = self._execute(query, variables)
        return self._json({"data": data, "extensions": {"cost": cost_block(requested)}})

    @staticmethod
    def _json(body: dict) -> tuple[int, dict, str]:
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _execute(self, query: str, variables: dict) -> dict:
        if "bulkOperationRunQuery" in query:
            return {"bulkOperationRunQuery": self._bulk_start(variables["query"])}
        if "bulkOperationCancel" in query:
            return {"bulkOperationCancel": {"bulkOperation": None, "userErrors": []}}
        if "node(id:" in query:
            return {"node": self._bulk_poll(variables["id"])}
        if "location(id:" in query:
            rows = self._filter(self.levels[variables["id"]], variables.get("query"))
            return {"location": {"inventoryLevels": self._page(rows, variables)}}
        if "inventoryItems(" in query:
            return {"inventoryItems": self._page(self._filter(self.items, variables.get("query")), variables)}
        if "locations(" in query:
            return {"locations": self._page(self.locations, variables)}
        msg = f"fake cannot answer {query}"
        raise AssertionError(msg)

    @staticmethod
    def _filter(rows: list[dict], search: str | None) -> list[dict]:
        if not search:
            return rows
        match = re.fullmatch(r"updated_at:>='([^']+)'", search)
        assert match, search
        return [r for r in rows if r["updatedAt"] >= match.group(1)]

    @staticmethod
    def _page(rows: list[dict], variables: dict) -> dict:
        first, after = variables["first"], variables.get("after")
        start = int(after.split(":")[1]) if after else 0
        chunk = rows[start : start + first]
        end = start + len(chunk)
        return {
            "nodes": chunk,
            "pageInfo": {"hasNextPage": end < len(rows), "endCursor": f"cursor:{end}" if chunk else None},
        }

    # -- bulk

    def _bulk_start(self, query: str) -> dict:
        if self.running_other:
            other, self.running_other = self.running_other, None
            self.bulk[other] = {"id": other, "status": "COMPLETED", "polls": 1, "lines": []}
            return {
                "bulkOperation": None,
                "userErrors": [
                    {
                        "field": None,
                        "message": f"A bulk query operation for this app and shop is already in progress: {other}",
                    },
                ],
            }
        op_id = f"gid://shopify/BulkOperation/{len(self.bulk) + 1}"
        if "inventoryLevels" in query:
            search = re.search(r'inventoryLevels\(query: "([^"]+)"', query)
            lines = []
            for loc in self.locations:
                lines.append({"id": loc["id"]})
                lines += [
                    {**lvl, "__parentId": loc["id"]}
                    for lvl in self._filter(self.levels[loc["id"]], search and search.group(1))
                ]
        elif "inventoryItems" in query:
            search = re.search(r'inventoryItems\(query: "([^"]+)"', query)
            lines = list(self._filter(self.items, search and search.group(1)))
        else:
            lines = list(self.locations)
        if self.bulk_lines_seed is not None:
            random.Random(self.bulk_lines_seed).shuffle(lines)
        self.bulk[op_id] = {"id": op_id, "status": "CREATED", "polls": 0, "lines": lines}
        return {"bulkOperation": {"id": op_id, "status": "CREATED"}, "userErrors": []}

    def _bulk_poll(self, op_id: str) -> dict:
        op = self.bulk[op_id]
        op["polls"] += 1
        if op["status"] not in {"COMPLETED", "FAILED"}:
            op["status"] = "RUNNING" if op["polls"] < 2 else "COMPLETED"  # noqa: PLR2004
        done = op["status"] == "COMPLETED"
        return {
            "id": op_id,
            "status": op["status"],
            "errorCode": op.get("errorCode"),
            "objectCount": str(len(op["lines"])),
            "url": f"https://storage.example/bulk/{op_id.rsplit('/', 1)[1]}.jsonl" if done and op["lines"] else None,
            "partialDataUrl": None,
        }

    def _download(self, request: t.Any) -> tuple[int, dict, str]:  # noqa: ANN401
        op_id = "gid://shopify/BulkOperation/" + request.url.rsplit("/", 1)[1].split(".")[0]
        self.requests.append({"download": request.url, "headers": dict(request.headers)})
        body = "\n".join(json.dumps(line) for line in self.bulk[op_id]["lines"]) + "\n"
        return 200, {"Content-Type": "application/jsonl"}, body
