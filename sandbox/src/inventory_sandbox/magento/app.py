"""The Magento platform app: REST ``/V1`` inventory subset with searchCriteria, Bearer and OAuth 1.0a, control API.

Routes (served by the generic ``inventory_sandbox.server``), under ``/stores/{store}/rest[/{store_code}]``:
  GET /V1/inventory/sources[/{code}]                      Magento_InventoryApi::source
  GET /V1/inventory/stocks                                Magento_InventoryApi::stock
  GET /V1/inventory/stock-source-links                    Magento_InventoryApi::stock
  GET /V1/inventory/source-items                          Magento_InventoryApi::source
  GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}   Magento_InventorySalesApi::stock
  GET /V1/products                                        Magento_Catalog::products
  GET /V1/stockItems/lowStock?scopeId&qty&pageSize&currentPage      Magento_CatalogInventory::cataloginventory
  GET /V1/stockItems/{sku}                                Magento_CatalogInventory::cataloginventory
In ``single`` mode (no MSI modules) every ``/V1/inventory/*`` route is 404 "Request does not match any route.".

Auth: ``Authorization: Bearer mg_sandbox_{store}`` (unless ``bearer`` is switched off, as Magento 2.4.4+ does by
default), or OAuth 1.0a signed with consumer key ``mg_ck_{store}`` / secret ``mg_cs_{store}`` and token
``mg_sandbox_{store}`` / secret ``mg_ts_{store}`` (HMAC-SHA256 or HMAC-SHA1; nonces are single-use).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections import OrderedDict
from urllib.parse import quote, unquote

from ..control import ControlApp
from ..faults import HTML_PAGE, Fault, FaultQueue, request_target
from ..log import RequestLog
from ..server import Reply, fmt_seconds
from . import search
from .data import COMPOSITE_TYPES, TRUTH_STREAMS, NotFound, StoreData, mage_time

API_PATH = re.compile(r"^/stores/(?P<store>[^/]+)/rest(?:/(?P<code>[^/]+))?/(?P<rest>V1/.*?)/?$")
STORE_CODES = ("default", "all")
ACL = {
    "sources": "Magento_InventoryApi::source",
    "source-items": "Magento_InventoryApi::source",
    "stocks": "Magento_InventoryApi::stock",
    "stock-source-links": "Magento_InventoryApi::stock",
    "salable": "Magento_InventorySalesApi::stock",
    "products": "Magento_Catalog::products",
    "stockItems": "Magento_CatalogInventory::cataloginventory",
}
ALL_RESOURCES = tuple(sorted(set(ACL.values())))
NO_ROUTE = "Request does not match any route."
#: Filtered and sorted selections kept per store (the lists a sync is paging through); least recently used go.
SELECTIONS_KEPT = 8
MAINTENANCE_PAGE = """<!DOCTYPE html>
<html><head><title>Service Temporarily Unavailable</title></head>
<body><h1>We're sorry, the store is down for maintenance.</h1><p>Please check back soon.</p></body></html>
"""
RATE_PAGE = """<!DOCTYPE html>
<html><head><title>429 Too Many Requests</title></head>
<body><h1>Too Many Requests</h1><p>Rate limited by the CDN (Fastly). Request ID: sandbox-{ray}</p></body></html>
"""


def token_for(store: str) -> str:
    return f"mg_sandbox_{store}"


def oauth_credentials(store: str) -> dict:
    return {"consumer_key": f"mg_ck_{store}", "consumer_secret": f"mg_cs_{store}",
            "access_token": token_for(store), "access_token_secret": f"mg_ts_{store}"}


def error(status: int, message: str, parameters=None, **headers) -> Reply:
    """Magento's error body ``{"message", "parameters"}``."""
    return Reply.json(status, {"message": message, "parameters": parameters if parameters is not None else []},
                      **headers)


class ApiError(Exception):
    def __init__(self, status: int, message: str, parameters=None):
        super().__init__(message)
        self.status, self.message, self.parameters = status, message, parameters


def _enc(value: str) -> str:
    return quote(value, safe="~")


def oauth_signature(method: str, base_uri: str, params: list[tuple[str, str]], consumer_secret: str,
                    token_secret: str, signature_method: str) -> str:
    """RFC 5849 section 3.4 signature over decoded ``params`` (query + oauth_*, without oauth_signature)."""
    normalized = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in params))
    base = "&".join([method.upper(), _enc(base_uri), _enc(normalized)])
    digest = {"HMAC-SHA256": hashlib.sha256, "HMAC-SHA1": hashlib.sha1}[signature_method]
    key = f"{_enc(consumer_secret)}&{_enc(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), digest).digest()).decode()


class MagentoLog(RequestLog):
    entries_key = "calls"

    def _reset_extra(self) -> None:
        self.api_requests = 0
        self.auth_failures = 0
        self.oauth_requests = 0
        self.bearer_requests = 0
        self.routes: dict[str, int] = {}

    def _snapshot_extra(self) -> dict:
        return {"api_requests": self.api_requests, "auth_failures": self.auth_failures,
                "oauth_requests": self.oauth_requests, "bearer_requests": self.bearer_requests,
                "routes": dict(self.routes)}

    def count_api(self, entry: dict) -> None:
        with self._lock:
            self.api_requests += 1
            if entry["status"] == 401:
                self.auth_failures += 1
            if entry["auth"] == "oauth1":
                self.oauth_requests += 1
            elif entry["auth"] == "bearer":
                self.bearer_requests += 1
            self.routes[entry["route"]] = self.routes.get(entry["route"], 0) + 1
            self.entries.append(entry)


class StoreState:
    def __init__(self, data: StoreData):
        self.data = data
        self.resources = set(ALL_RESOURCES)
        self.nonces: set[tuple[str, str]] = set()
        self._selections: OrderedDict[tuple, tuple[int, list]] = OrderedDict()

    def selection(self, key: tuple, build) -> list:
        """The keys ``build()`` selects, reused while the store's data is unchanged (call under ``data.lock``).

        Paging through a list then costs one filter and sort, not one per page; any change to the data
        (``StoreData.changed``) makes every kept selection stale, so a change between pages is seen.
        """
        generation = self.data.generation
        kept = self._selections.get(key)
        if kept is not None and kept[0] == generation:
            self._selections.move_to_end(key)
            return kept[1]
        keys = build()
        self._selections[key] = (generation, keys)
        self._selections.move_to_end(key)
        while len(self._selections) > SELECTIONS_KEPT:
            self._selections.popitem(last=False)
        return keys


class _KeyedRow:
    """A row for filtering and sorting, with the key it is stored under."""

    __slots__ = ("key", "row")

    def __init__(self, key, row: dict):
        self.key, self.row = key, row

    def get(self, name: str, default=None):
        return self.row.get(name, default)


class _ProductView:
    """A product as its API row (``product_body`` plus ``entity_id``) for filtering and sorting, building only
    the fields asked for."""

    __slots__ = ("data", "p")
    _STORED = frozenset({"id", "sku", "name", "attribute_set_id", "price", "status", "visibility", "type_id",
                         "weight"})

    def __init__(self, data: StoreData, p: dict):
        self.data, self.p = data, p

    def get(self, name: str, default=None):
        p = self.p
        if name in self._STORED:
            return p[name]
        if name == "entity_id":
            return p["id"]
        if name == "updated_at":
            return mage_time(p["updated_ts"])
        if name == "created_at":
            return mage_time(p["created_ts"])
        return self.data.product_body(p).get(name, default)


class MagentoApp(ControlApp):
    platform = "magento"
    _not_found = NotFound

    def __init__(self, stores=("demo-store",), locations: int = 4, items: int = 500, seed: int = 7,
                 mode: str = "msi", repeat_last_page: bool = True, bearer: bool = True):
        self.stores = {name: StoreState(StoreData(name, locations, items, seed, mode)) for name in stores}
        self.repeat_last_page = repeat_last_page
        self.bearer = bearer
        self.log = MagentoLog()
        self.faults = FaultQueue()
        self.base_url = ""

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------ API
    def handle(self, method: str, path: str, query: dict, headers, body: bytes) -> Reply:
        m = API_PATH.match(path)
        state = self.stores.get(m["store"]) if m else None
        if state is None:
            self.log.count_request(404)
            return error(404, NO_ROUTE)
        rest = m["rest"][len("V1/"):]
        auth = "none"
        try:
            code = m["code"] or "default"
            if code not in STORE_CODES:
                raise ApiError(404, "The store that was requested wasn't found. Verify the store and try again.")
            resource = self._resource(state, rest)
            auth = self._authenticate(state, method, path, query, headers)
            if resource not in state.resources or auth == "none":
                raise ApiError(401, "The consumer isn't authorized to access %resources.", {"resources": resource})
            reply, truncate, fault = self._faulted(request_target(method, rest, query))
            if reply is None:
                reply = self.faults.answer(fault, self, f"{state.data.name}:{rest}",
                                           lambda: self._answer(state, method, rest, query))
                if truncate:
                    reply.action = "truncate"
        except ApiError as exc:
            reply = error(exc.status, exc.message, exc.parameters)
        except search.SearchError as exc:
            reply = error(400, exc.message, exc.parameters)
        status = reply.status if reply.action != "reset" else 0
        self.log.count_request(status)
        route = re.sub(r"^(inventory/get-product-salable-quantity|stockItems(?!/lowStock))/.*", r"\1", rest)
        self.log.count_api({"store": state.data.name, "method": method, "route": route, "path": rest,
                            "query": query, "status": status, "auth": auth})
        return reply

    def _resource(self, state: StoreState, rest: str) -> str:
        """The route's ACL resource; 404 for unknown routes and, in single mode, every MSI route."""
        if rest.startswith("inventory/"):
            if state.data.mode == "single":
                raise ApiError(404, NO_ROUTE)
            name = rest.split("/")[1]
            if name.startswith("get-product-salable-quantity") or name.startswith("is-product-salable"):
                return ACL["salable"]
            if name in ACL:
                return ACL[name]
            raise ApiError(404, NO_ROUTE)
        if rest == "products":
            return ACL["products"]
        if rest.startswith("stockItems/"):
            return ACL["stockItems"]
        raise ApiError(404, NO_ROUTE)

    def _authenticate(self, state: StoreState, method: str, path: str, query: dict, headers) -> str:
        """"bearer", "oauth1" or "none" (the caller answers 401 naming the route's resource)."""
        header = headers.get("Authorization") or ""
        name = state.data.name
        if header.startswith("Bearer "):
            return "bearer" if self.bearer and header[7:].strip() == token_for(name) else "none"
        if not header.startswith("OAuth "):
            return "none"
        params = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}
        creds = oauth_credentials(name)
        if params.get("oauth_consumer_key") != creds["consumer_key"] or params.get("oauth_token") != token_for(name):
            return "none"
        method_name = params.get("oauth_signature_method", "")
        if method_name not in ("HMAC-SHA256", "HMAC-SHA1") or params.get("oauth_version", "1.0") != "1.0":
            return "none"
        try:
            if abs(time.time() - int(params.get("oauth_timestamp", "0"))) > 600:
                return "none"
        except ValueError:
            return "none"
        nonce = (creds["consumer_key"], params.get("oauth_nonce", ""))
        if not nonce[1] or nonce in state.nonces:
            return "none"
        host = headers.get("Host") or self.base_url.split("://", 1)[-1]
        pairs = list(query.items()) + [(k, v) for k, v in params.items() if k not in ("oauth_signature", "realm")]
        expected = oauth_signature(method, f"http://{host.lower()}{path}", pairs, creds["consumer_secret"],
                                   creds["access_token_secret"], method_name)
        if not hmac.compare_digest(expected, params.get("oauth_signature", "")):
            return "none"
        state.nonces.add(nonce)
        return "oauth1"

    def _faulted(self, target: str) -> tuple[Reply | None, bool, Fault | None]:
        """The fault's answer (None: answer normally), whether to truncate the normal answer, the fault."""
        fault = self.faults.take(target)
        reply = self._fault_reply(fault)
        return (None, True, fault) if reply == "truncate" else (reply, False, fault)

    def _fault_reply(self, fault):
        if fault is None:
            return None
        if fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        kind = fault.kind
        html = {"Content-Type": "text/html; charset=utf-8"}
        retry = {"Retry-After": fmt_seconds(fault.retry_after)} if fault.retry_after is not None else {}
        if kind in ("http_429", "throttled"):  # Magento core never limits: a 429 is the CDN's, in HTML
            return Reply(429, RATE_PAGE.format(ray=uuid.uuid4().hex[:12]).encode(), {**html, **retry})
        if kind == "http_500":
            report = uuid.uuid4().hex[:12]
            return error(500, f"Internal Error. Details are available in Magento log file. Report ID: webapi-{report}")
        if kind == "http_503":
            return Reply(503, MAINTENANCE_PAGE.encode(), {**html, **retry})
        if kind == "reset":
            return Reply(action="reset")
        if kind == "malformed":
            return Reply(200, b'{"items": [{"sku": "MG-0', {"Content-Type": "application/json"})
        if kind == "html":
            title = "Access denied" if fault.status == 403 else "Service temporarily unavailable"
            page = HTML_PAGE.format(status=fault.status, title=title, ray=uuid.uuid4().hex[:16])
            return Reply(fault.status, page.encode(), html)
        if kind == "truncated":
            return "truncate"
        return None  # latency, timeout, none, data faults: answer normally

    def _answer(self, state: StoreState, method: str, rest: str, query: dict) -> Reply:
        if method != "GET":
            raise ApiError(405, "Request does not match any route.")
        data = state.data
        with data.lock:
            if m := re.fullmatch(r"inventory/get-product-salable-quantity/([^/]+)/(\d+)", rest):
                return self._salable(data, unquote(m[1]), int(m[2]))
            if m := re.fullmatch(r"inventory/sources/([^/]+)", rest):
                source = data.sources.get(unquote(m[1]))
                if source is None:
                    raise ApiError(404, 'Source item with code "%1" does not exist.', [unquote(m[1])])
                return Reply.json(200, source)
            if rest == "stockItems/lowStock":
                return self._low_stock(state, query)
            if m := re.fullmatch(r"stockItems/([^/]+)", rest):
                try:
                    product = data.product_by_sku(unquote(m[1]))
                except NotFound:
                    raise ApiError(404, "The Product with the \"%1\" SKU doesn't exist.", [unquote(m[1])]) from None
                return Reply.json(200, data.stock_item_body(product))
            small_tables = {
                "inventory/sources": lambda: [dict(s) for s in data.sources.values()],
                "inventory/stocks": lambda: [dict(s) for s in data.stocks.values()],
                "inventory/stock-source-links": lambda: [dict(link) for link in data.links],
            }
            if rest not in small_tables and rest not in ("inventory/source-items", "products"):
                raise ApiError(404, NO_ROUTE)
            criteria = search.parse(query)
            if criteria is None:
                raise ApiError(400, "%fieldName is a required field.", {"fieldName": "searchCriteria"})
            if rest in small_tables:
                items, total = search.apply(small_tables[rest](), criteria, repeat_last_page=self.repeat_last_page)
            else:
                items, total = self._large_page(state, rest, criteria)
        body = {"items": items, "search_criteria": criteria.echo, "total_count": total}
        return Reply.json(200, _trim(body, query.get("fields")))

    def _large_page(self, state: StoreState, rest: str, criteria: search.Criteria) -> tuple[list[dict], int]:
        """One page of products or source items: the selection (row keys) is kept while the data is unchanged,
        and only the page's rows are built."""
        data = state.data
        if rest == "products":
            def select() -> list[int]:
                wanted = search.text_candidates(criteria, "sku")
                if wanted is None:
                    products = data.products.values()
                else:  # the SKU index narrows the rows (kept in entity order); the filters still decide
                    index, position = data.product_ids_by_text(), data.product_positions()
                    ids = sorted({pid for text in wanted for pid in index.get(text, ())}, key=position.__getitem__)
                    products = [data.products[pid] for pid in ids]
                return [v.p["id"] for v in search.select([_ProductView(data, p) for p in products], criteria)]

            keys, total = search.page(state.selection((rest, search.selection_key(criteria)), select), criteria,
                                      repeat_last_page=self.repeat_last_page)
            return [data.product_body(data.products[pid]) for pid in keys], total

        def select_items() -> list[tuple[str, str]]:  # the store's own key tuples: no copy per kept row
            views = [_KeyedRow(k, data.source_items[k]) for k in sorted(data.source_items)]
            return [v.key for v in search.select(views, criteria)]

        keys, total = search.page(state.selection((rest, search.selection_key(criteria)), select_items), criteria,
                                  repeat_last_page=self.repeat_last_page)
        return [dict(data.source_items[k]) for k in keys], total

    def _low_stock(self, state: StoreState, query: dict) -> Reply:
        data = state.data
        try:
            qty = float(query.get("qty", "0"))
            size = int(query.get("pageSize", "0") or 0)
            page = max(1, int(query.get("currentPage", "1") or 1))
        except ValueError as exc:
            raise ApiError(400, "Invalid value: %1", [str(exc)]) from None

        def select() -> list[int]:
            return [p["id"] for p in data.products.values() if data.stock_item_body(p)["qty"] <= qty]

        ids = state.selection(("stockItems/lowStock", qty), select)
        total = len(ids)
        if size:
            last = max(1, -(-total // size))
            if page > last:
                ids, page = ([] if not self.repeat_last_page else ids), last
            ids = ids[(page - 1) * size: page * size]
        rows = [data.stock_item_body(data.products[pid]) for pid in ids]
        return Reply.json(200, {"items": rows, "search_criteria": {"page_size": size, "current_page": page},
                                "total_count": total})

    @staticmethod
    def _salable(data: StoreData, sku: str, stock_id: int) -> Reply:
        try:
            product = data.product_by_sku(sku)
        except NotFound:
            raise ApiError(404, "The product that was requested doesn't exist. Verify the product and try again.") \
                from None
        if product["type_id"] in COMPOSITE_TYPES:
            raise ApiError(400, "Can't check requested quantity for products without Source Items support.")
        if stock_id not in data.stocks:
            raise ApiError(404, 'Stock with id "%value" does not exist.', {"value": stock_id})
        value = data.salable_qty(product, stock_id)
        return Reply(200, json.dumps(int(value) if value.is_integer() else value).encode(),
                     {"Content-Type": "application/json; charset=utf-8"})

    # ------------------------------------------------------------------ control API
    def _health_store(self, name: str, st: StoreState) -> dict:
        return {"base_url": f"{self.base_url}/stores/{name}", "token": token_for(name), "mode": st.data.mode,
                "sources": len(st.data.sources), "products": len(st.data.products),
                "source_items": len(st.data.source_items)}

    def _control(self, method: str, path: str, query: dict, body: dict) -> Reply:
        route = (method, path)
        if route == ("GET", "oauth"):
            self._store(query.get("store"))
            return Reply.json(200, oauth_credentials(query["store"]))
        if route == ("GET", "truth"):
            data = self._store(query.get("store")).data
            streams = self._truth_streams(query, TRUTH_STREAMS, blank_means_all=False)
            with data.lock:
                return Reply.json(200, data.truth(streams))
        if route == ("POST", "stock"):
            data = self._store(body.get("store")).data
            with data.lock:
                if "set" in body:
                    changed = [data.set_source_item(e["sku"], e.get("source_code", "default"), e["quantity"],
                                                    e.get("status")) for e in body["set"]]
                else:
                    changed = data.change_random(int(body.get("changes", 1)), body.get("seed"))
            return Reply.json(200, {"changed": changed})
        if route == ("POST", "touch_products"):
            data = self._store(body.get("store")).data
            with data.lock:
                changed = data.touch_products(body.get("changes", 1), body.get("seed"), body.get("skus"))
            return Reply.json(200, {"changed": changed})
        if route == ("POST", "delete_source_item"):
            data = self._store(body.get("store")).data
            if data.mode == "single":
                raise ValueError("a single-source store has no source items to unassign")
            with data.lock:
                return Reply.json(200, data.delete_source_item(body["sku"], body["source_code"]))
        if route == ("POST", "delete_product"):
            data = self._store(body.get("store")).data
            with data.lock:
                return Reply.json(200, data.delete_product(body["sku"]))
        if route == ("POST", "source"):
            data = self._store(body.get("store")).data
            with data.lock:
                return Reply.json(200, data.set_source_enabled(body["source_code"], body.get("enabled", True)))
        if route == ("POST", "reservation"):
            data = self._store(body.get("store")).data
            with data.lock:
                return Reply.json(200, data.set_reservation(body["sku"], body["stock_id"], body["quantity"]))
        return self._common_control(method, path, body)

    def configure(self, repeat_last_page=None, bearer=None, resources=None, store=None) -> None:
        """Last-page repeat, Bearer acceptance, the integration's ACL resources (all stores or ``store``)."""
        if repeat_last_page is not None:
            self.repeat_last_page = bool(repeat_last_page)
        if bearer is not None:
            self.bearer = bool(bearer)
        if resources is not None:
            unknown = set(resources) - set(ALL_RESOURCES)
            if unknown:
                raise ValueError(f"unknown resources {sorted(unknown)}; known: {', '.join(ALL_RESOURCES)}")
            for state in [self._store(store)] if store else self.stores.values():
                state.resources = set(resources)

    def config(self) -> dict:
        return {"repeat_last_page": self.repeat_last_page, "bearer": self.bearer,
                "resources": {name: sorted(st.resources) for name, st in self.stores.items()}}


def _trim(body: dict, fields: str | None) -> dict:
    """``fields=items[id,sku],total_count`` keeps only those keys (one nesting level, as the tap needs)."""
    if not fields:
        return body
    keep: dict[str, set[str] | None] = {}
    for m in re.finditer(r"(\w+)(?:\[([^\]]*)\])?", fields):
        keep[m[1]] = set(m[2].split(",")) if m[2] is not None else None
    out = {}
    for key, sub in keep.items():
        if key not in body:
            continue
        value = body[key]
        if sub is not None and isinstance(value, list):
            value = [{k: v for k, v in row.items() if k in sub} for row in value]
        out[key] = value
    return out
