"""A small fake Magento 2 REST API for offline tests, served through `responses`.

It answers the routes the tap reads with Magento's shapes: searchCriteria filters (eq, gt,
gteq, lt, lteq, in), sort orders, `total_count`, the clamp of a page past the end to the
last page (switchable), Bearer tokens and OAuth 1.0a signatures checked by an independent
implementation of RFC 5849 (not the library the tap signs with).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import typing as t
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import responses

BASE_URL = "https://shop.example.com"
REST = f"{BASE_URL}/rest/default"
TOKEN = "tok_integration_secret_123"
CONSUMER_KEY = "ck_abc"
CONSUMER_SECRET = "cs_shhh_456"
TOKEN_SECRET = "ts_shhh_789"


def config(**overrides: t.Any) -> dict:  # noqa: ANN401
    """Tap config for the fake store (an override of None leaves the setting out)."""
    settings = {
        "base_url": BASE_URL,
        "store_id": "demo-magento",
        "access_token": TOKEN,
        "page_size": 3,
        "max_retries": 2,
        **overrides,
    }
    return {k: v for k, v in settings.items() if v is not None}


def oauth_config(**overrides: t.Any) -> dict:  # noqa: ANN401
    """Tap config signing with OAuth 1.0a."""
    return config(
        **{
            "auth_method": "oauth1",
            "consumer_key": CONSUMER_KEY,
            "consumer_secret": CONSUMER_SECRET,
            "access_token_secret": TOKEN_SECRET,
            **overrides,
        }
    )


STOCK_ITEM_CRITERIA_MAPPER = "Magento\\CatalogInventory\\Model\\ResourceModel\\Stock\\Item\\StockItemCriteriaMapper"


def store_view(view_id: int, code: str, secure_base_url: str, currency: str) -> dict:
    """One entry of `/V1/store/storeConfigs` with every field of Magento's StoreConfigInterface."""
    unsecure = secure_base_url.replace("https://", "http://")
    return {"id": view_id, "code": code, "website_id": view_id, "locale": "en_US", "base_currency_code": currency,
            "default_display_currency_code": currency, "timezone": "America/Chicago", "weight_unit": "lbs",
            "base_url": unsecure, "base_link_url": unsecure, "base_static_url": f"{unsecure}static/",
            "base_media_url": f"{unsecure}media/", "secure_base_url": secure_base_url,
            "secure_base_link_url": secure_base_url, "secure_base_static_url": f"{secure_base_url}static/",
            "secure_base_media_url": f"{secure_base_url}media/"}  # fmt: skip


def _enc(value: str) -> str:
    return quote(value, safe="~")


def oauth_signature_ok(method: str, url: str, header: str, consumer_secret: str, token_secret: str) -> bool:
    """Verify an `Authorization: OAuth ...` header against the request (RFC 5849 section 3.4)."""
    params = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}
    algorithm = {"HMAC-SHA256": hashlib.sha256, "HMAC-SHA1": hashlib.sha1}.get(params.get("oauth_signature_method", ""))
    if algorithm is None or "oauth_signature" not in params:
        return False
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    pairs += [(k, v) for k, v in params.items() if k not in {"oauth_signature", "realm"}]
    normalized = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in pairs))
    base_uri = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"
    base = "&".join([method.upper(), _enc(base_uri), _enc(normalized)])
    key = f"{_enc(consumer_secret)}&{_enc(token_secret)}".encode()
    expected = base64.b64encode(hmac.new(key, base.encode(), algorithm).digest()).decode()
    return hmac.compare_digest(expected, params["oauth_signature"])


def _criteria(query: dict[str, str]) -> tuple[list[list[tuple[str, str, str]]], list[tuple[str, str]], int, int]:
    groups: dict[int, dict[int, dict[str, str]]] = {}
    sorts: dict[int, dict[str, str]] = {}
    for key, value in query.items():
        if m := re.fullmatch(r"searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(\w+)\]", key):
            groups.setdefault(int(m[1]), {}).setdefault(int(m[2]), {})[m[3]] = value
        elif m := re.fullmatch(r"searchCriteria\[sortOrders\]\[(\d+)\]\[(\w+)\]", key):
            sorts.setdefault(int(m[1]), {})[m[2]] = value
    filters = [
        [(f["field"], f.get("value", ""), f.get("condition_type", "eq")) for _, f in sorted(g.items())]
        for _, g in sorted(groups.items())
    ]
    order = [(s["field"], s.get("direction", "ASC")) for _, s in sorted(sorts.items())]
    size = int(query.get("searchCriteria[pageSize]", query.get("pageSize", "0")) or 0)
    page = int(query.get("searchCriteria[currentPage]", query.get("currentPage", "1")) or 1)
    return filters, order, size, page


def _matches(row: dict, field: str, value: str, condition: str) -> bool:
    actual = row.get("id" if field == "entity_id" else field)
    if condition == "in":
        return str(actual) in value.split(",")
    a, v = (float(actual), float(value)) if isinstance(actual, (int, float)) else (str(actual), value)
    return {
        "eq": a == v, "neq": a != v, "gt": a > v, "gteq": a >= v, "lt": a < v, "lteq": a <= v,  # type: ignore[operator]
    }[condition]  # fmt: skip


class FakeMagento:
    """State and handlers of the fake store."""

    def __init__(self, *, msi: bool = True, repeat_last_page: bool = True, oauth: bool = False) -> None:
        """Seed a small store: 3 sources (one disabled), 2 stocks, 7 products, 9 source items."""
        self.msi = msi
        self.repeat_last_page = repeat_last_page
        self.oauth = oauth
        self.requests: list[dict] = []
        self.queued: list[tuple[int, str, dict]] = []
        self.sources = [
            {"source_code": "default", "name": "Default Source", "enabled": True, "country_id": "US"},
            {"source_code": "eu", "name": "EU Warehouse", "enabled": True, "country_id": "DE", "city": "Berlin"},
            {"source_code": "old", "name": "Closed Store", "enabled": False, "country_id": "US"},
        ]
        self.stocks = [
            {"stock_id": 1, "name": "Default Stock", "extension_attributes": {"sales_channels": [
                {"type": "website", "code": "base"}]}},
            {"stock_id": 2, "name": "EU Stock", "extension_attributes": {"sales_channels": [
                {"type": "website", "code": "eu"}]}},
        ]  # fmt: skip
        self.links = [
            {"stock_id": 1, "source_code": "default", "priority": 1},
            {"stock_id": 2, "source_code": "eu", "priority": 1},
            {"stock_id": 2, "source_code": "default", "priority": 2},
        ]
        # The store views as GET /V1/store/storeConfigs lists them (StoreConfigInterface): the storefront's own
        # address differs from the base_url the tap is given.
        self.store_views = [store_view(1, "default", "https://www.shop-example.com/", "USD"),
                            store_view(2, "eu_de", "https://de.shop-example.com/", "EUR")]
        # Four products share one second, so page boundaries fall inside a same-second cluster.
        same = "2026-02-02 08:00:00"
        self.products = [
            self._product(1, "SKU-1", "2026-01-05 10:00:00", cost="1.50"),
            self._product(2, "SKU-2", same),
            self._product(3, "SKU-3", same),
            self._product(4, "SKU-4", same),
            self._product(5, "SKU-5", same),
            self._product(6, "CONF-1", "2026-02-03 09:30:00", type_id="configurable"),
            self._product(7, "SKU-7", "2026-02-04 12:00:00", status=2),
        ]
        self.stock_items = {
            1: {"manage_stock": True, "use_config_manage_stock": True, "backorders": 0, "use_config_backorders": True},
            2: {"manage_stock": True, "use_config_manage_stock": False, "backorders": 1,
                "use_config_backorders": False},
            3: {"manage_stock": False, "use_config_manage_stock": False, "backorders": 0,
                "use_config_backorders": True},
        }  # fmt: skip
        self.source_items = [
            {"sku": "SKU-1", "source_code": "default", "quantity": 10.0, "status": 1},
            {"sku": "SKU-1", "source_code": "eu", "quantity": 4.0, "status": 1},
            {"sku": "SKU-2", "source_code": "default", "quantity": 0.0, "status": 0},
            {"sku": "SKU-2", "source_code": "eu", "quantity": 7.5, "status": 1},
            {"sku": "SKU-3", "source_code": "default", "quantity": 3.0, "status": 0},
            {"sku": "SKU-4", "source_code": "old", "quantity": 2.0, "status": 1},
            {"sku": "SKU-5", "source_code": "default", "quantity": 100.0, "status": 1},
            {"sku": "SKU-7", "source_code": "eu", "quantity": 1.0, "status": 1},
            {"sku": "GHOST", "source_code": "eu", "quantity": 5.0, "status": 1},
        ]

    @staticmethod
    def _product(pid: int, sku: str, updated: str, *, type_id: str = "simple", status: int = 1,
                 cost: str | None = None) -> dict:  # fmt: skip
        product = {
            "id": pid, "sku": sku, "name": f"Product {pid}", "attribute_set_id": 4, "price": 10, "status": status,
            "visibility": 4, "type_id": type_id, "created_at": "2025-12-01 00:00:00", "updated_at": updated,
            "extension_attributes": {"website_ids": [1]}, "custom_attributes": [],
        }  # fmt: skip
        if cost:
            product["custom_attributes"].append({"attribute_code": "cost", "value": cost})
        return product

    # -- wiring

    def install(self, rsps: responses.RequestsMock) -> None:
        """Answer every GET under the REST root."""
        rsps.add_callback(responses.GET, re.compile(re.escape(REST) + r"/.*"), callback=lambda r: self._handle(r))

    def queue(self, status: int, body: str, headers: dict | None = None) -> None:
        """Answer the next request with this instead."""
        self.queued.append((status, body, headers or {}))

    def calls(self, path: str) -> list[dict]:
        """Recorded requests to a path."""
        return [r for r in self.requests if r["path"] == path]

    # -- handling

    def _handle(self, request: t.Any) -> tuple[int, dict, str]:  # noqa: ANN401
        parts = urlsplit(request.url)
        path = parts.path.removeprefix(urlsplit(REST).path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        auth = request.headers.get("Authorization", "")
        auth = auth.decode() if isinstance(auth, bytes) else auth
        self.requests.append({"path": path, "query": query, "authorization": auth})
        if self.queued:
            status, body, headers = self.queued.pop(0)
            return status, headers, body
        if not self._authorized(request.method, request.url, auth):
            return self._error(401, "The consumer isn't authorized to access %resources.",
                               {"resources": "Magento_InventoryApi::source"})  # fmt: skip
        if path.startswith("/V1/inventory/") and not self.msi:
            return self._error(404, "Request does not match any route.")
        if m := re.fullmatch(r"/V1/inventory/get-product-salable-quantity/([^/]+)/(\d+)", path):
            return self._salable(unquote(m[1]), int(m[2]))
        if path == "/V1/stockItems/lowStock":
            rows = [self._stock_item(p) for p in self.products]
            return self._low_stock(rows, query)
        if m := re.fullmatch(r"/V1/stockItems/([^/]+)", path):  # one product's stock item, by SKU
            product = next((p for p in self.products if p["sku"] == unquote(m[1])), None)
            if product is None:
                return self._error(404, "The Product with the \"%1\" SKU doesn't exist.", {"1": unquote(m[1])})
            return 200, {"Content-Type": "application/json"}, json.dumps(self._stock_item(product))
        if path == "/V1/store/storeConfigs":
            codes = {v for k, v in query.items() if k.startswith("storeCodes")}
            views = [v for v in self.store_views if not codes or v["code"] in codes]
            return 200, {"Content-Type": "application/json"}, json.dumps(views)
        tables = {
            "/V1/inventory/sources": self.sources,
            "/V1/inventory/stocks": self.stocks,
            "/V1/inventory/stock-source-links": self.links,
            "/V1/inventory/source-items": self.source_items,
            "/V1/products": self.products,
        }
        if path not in tables:
            return self._error(404, "Request does not match any route.")
        if not any(k.startswith("searchCriteria") for k in query):
            return self._error(400, "%fieldName is a required field.", {"fieldName": "searchCriteria"})
        return self._page(tables[path], query)

    def _authorized(self, method: str, url: str, header: str) -> bool:
        if self.oauth:
            return header.startswith("OAuth ") and oauth_signature_ok(method, url, header, CONSUMER_SECRET,
                                                                        TOKEN_SECRET)  # fmt: skip
        return header == f"Bearer {TOKEN}"

    def _stock_item(self, product: dict) -> dict:
        flags = self.stock_items.get(product["id"], {"manage_stock": True, "use_config_manage_stock": True,
                                                     "backorders": 0, "use_config_backorders": True})  # fmt: skip
        rows = [i for i in self.source_items if i["sku"] == product["sku"] and i["source_code"] == "default"]
        qty = sum(i["quantity"] for i in rows)
        in_stock = any(i["status"] for i in rows)
        return {"item_id": product["id"], "product_id": product["id"], "stock_id": 1, "qty": qty,
                "is_in_stock": in_stock, "min_qty": 0, **flags}  # fmt: skip

    def _salable(self, sku: str, stock_id: int) -> tuple[int, dict, str]:
        product = next((p for p in self.products if p["sku"] == sku), None)
        if product is None:
            return self._error(404, "The product that was requested doesn't exist. Verify the product and try again.")
        if product["type_id"] != "simple":
            return self._error(400, "Can't check requested quantity for products without Source Items support.")
        sources = {link["source_code"] for link in self.links if link["stock_id"] == stock_id}
        qty = sum(i["quantity"] for i in self.source_items if i["sku"] == sku and i["source_code"] in sources
                  and i["status"])  # fmt: skip
        return 200, {"Content-Type": "application/json"}, json.dumps(qty)

    def _page(self, table: list[dict], query: dict[str, str]) -> tuple[int, dict, str]:
        filters, order, size, page = _criteria(query)
        rows = [r for r in table if all(any(_matches(r, *f) for f in group) for group in filters)]
        for field, direction in reversed(order):
            name = "id" if field == "entity_id" else field
            rows.sort(key=lambda r, n=name: (r.get(n) is None, r.get(n)), reverse=direction.upper() == "DESC")
        total = len(rows)
        if size:
            last = max(1, -(-total // size))
            if page > last:
                if not self.repeat_last_page:
                    rows = []
                page = last
            rows = rows[(page - 1) * size : page * size] if rows else []
        body = {"items": rows, "search_criteria": {}, "total_count": total}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _low_stock(self, rows: list[dict], query: dict[str, str]) -> tuple[int, dict, str]:
        """`/V1/stockItems/lowStock`: its own `currentPage`/`pageSize`, and the criteria object Magento echoes."""
        status, headers, text = self._page(rows, query)
        body = json.loads(text)
        body["search_criteria"] = {
            "mapper_interface_name": STOCK_ITEM_CRITERIA_MAPPER, "criteria_list": [], "filters": [], "orders": [],
            "limit": [query.get("currentPage", "1"), query.get("pageSize", "0")],
        }  # fmt: skip
        return status, headers, json.dumps(body)

    @staticmethod
    def _error(status: int, message: str, parameters: dict | None = None) -> tuple[int, dict, str]:
        body = {"message": message, "parameters": parameters or []}
        return status, {"Content-Type": "application/json"}, json.dumps(body)
