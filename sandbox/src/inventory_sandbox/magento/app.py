"""The Magento platform app: REST ``/V1`` inventory subset with searchCriteria, Bearer and OAuth 1.0a, control API.

Routes (served by the generic ``inventory_sandbox.server``), under ``/stores/{store}/rest[/{store_code}]``:
  GET /V1/inventory/sources[/{code}]                      Magento_InventoryApi::source
  GET /V1/inventory/stocks                                Magento_InventoryApi::stock
  GET /V1/inventory/stock-source-links                    Magento_InventoryApi::stock
  GET /V1/inventory/source-items                          Magento_InventoryApi::source
  POST /V1/inventory/source-items {"sourceItems": [...]}   Magento_InventoryApi::stock_source_item_assign (absolute)
  GET /V1/inventory/get-product-salable-quantity/{sku}/{stockId}   Magento_InventorySalesApi::stock
  GET /V1/products                                        Magento_Catalog::products
  GET /V1/stockItems/lowStock?scopeId&qty&pageSize&currentPage      Magento_CatalogInventory::cataloginventory
  GET /V1/stockItems/{sku}                                Magento_CatalogInventory::cataloginventory
  GET /V1/store/storeConfigs[?storeCodes[]=...]           Magento_Backend::store (base currency, base URLs)
In ``single`` mode (no MSI modules) every ``/V1/inventory/*`` route is 404 "Request does not match any route.".

Auth: ``Authorization: Bearer mg_sandbox_{store}`` (unless ``bearer`` is switched off, as Magento 2.4.4+ does by
default), or OAuth 1.0a signed with consumer key ``mg_ck_{store}`` / secret ``mg_cs_{store}`` and token
``mg_sandbox_{store}`` / secret ``mg_ts_{store}`` (HMAC-SHA256 or HMAC-SHA1; nonces are single-use). That is the
store's integration, with the read resources; a second integration may also write source items: the same names
with ``_write`` after the store (``mg_sandbox_{store}_write``, ``mg_ck_{store}_write``...).
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
    "storeConfigs": "Magento_Backend::store",
}
READ_RESOURCES = tuple(sorted(set(ACL.values())))
SAVE_SOURCE_ITEMS = "Magento_InventoryApi::stock_source_item_assign"
ALL_RESOURCES = (*READ_RESOURCES, SAVE_SOURCE_ITEMS)
NO_ROUTE = "Request does not match any route."
STOCK_ITEM_CRITERIA_MAPPER = "Magento\\CatalogInventory\\Model\\ResourceModel\\Stock\\Item\\StockItemCriteriaMapper"
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


def token_for(store: str, write: bool = False) -> str:
    return f"mg_sandbox_{store}{'_write' if write else ''}"


def oauth_credentials(store: str, write: bool = False) -> dict:
    """The OAuth 1.0a credentials of the store's integration (``write``: of its second integration)."""
    name = f"{store}_write" if write else store
    return {"consumer_key": f"mg_ck_{name}", "consumer_secret": f"mg_cs_{name}",
            "access_token": token_for(store, write), "access_token_secret": f"mg_ts_{name}"}


def error(status: int, message: str, parameters=None, **headers) -> Reply:
    """Magento's error body ``{"message", "parameters"}``."""
    return Reply.json(status, {"message": message, "parameters": parameters if parameters is not None else []},
                      **headers)


class ApiError(Exception):
    def __init__(self, status: int, message: str, parameters=None):
        super().__init__(message)
        self.status, self.message, self.parameters = status, message, parameters


class ValidationFailed(ApiError):
    """Magento's 400 ``{"message": "Validation Failed", "errors": [{"message", "parameters"}]}``."""

    def __init__(self, errors: list[dict]):
        super().__init__(400, "Validation Failed")
        self.errors = errors


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
        self.resources = set(READ_RESOURCES)  # the store's integration
        self.write_resources = set(ALL_RESOURCES)  # its second integration
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
            resource = self._resource(state, method, rest)
            auth, write = self._authenticate(state, method, path, query, headers)
            granted = state.write_resources if write else state.resources
            if resource not in granted or auth == "none":
                raise ApiError(401, "The consumer isn't authorized to access %resources.", {"resources": resource})
            reply, truncate, fault = self._faulted(request_target(method, rest, query))
            if reply is None:
                reply = self.faults.answer(fault, self, f"{state.data.name}:{rest}",
                                           lambda: self._answer(state, method, rest, query, body))
                if truncate:
                    reply.action = "truncate"
        except ValidationFailed as exc:
            reply = Reply.json(400, {"message": "Validation Failed", "errors": exc.errors})
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

    def _resource(self, state: StoreState, method: str, rest: str) -> str:
        """The route's ACL resource; 404 for unknown routes and, in single mode, every MSI route."""
        if rest.startswith("inventory/"):
            if state.data.mode == "single":
                raise ApiError(404, NO_ROUTE)
            name = rest.split("/")[1]
            if method == "POST" and rest == "inventory/source-items":
                return SAVE_SOURCE_ITEMS
            if name.startswith("get-product-salable-quantity") or name.startswith("is-product-salable"):
                return ACL["salable"]
            if name in ACL:
                return ACL[name]
            raise ApiError(404, NO_ROUTE)
        if rest == "products":
            return ACL["products"]
        if rest.startswith("stockItems/"):
            return ACL["stockItems"]
        if rest == "store/storeConfigs":
            return ACL["storeConfigs"]
        raise ApiError(404, NO_ROUTE)

    def _authenticate(self, state: StoreState, method: str, path: str, query: dict, headers) -> tuple[str, bool]:
        """("bearer" | "oauth1" | "none", whether it is the write integration); "none": the caller answers 401
        naming the route's resource."""
        header = headers.get("Authorization") or ""
        name = state.data.name
        if header.startswith("Bearer "):
            token = header[7:].strip()
            write = token == token_for(name, write=True)
            return ("bearer" if self.bearer and (write or token == token_for(name)) else "none"), write
        if not header.startswith("OAuth "):
            return "none", False
        params = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}
        write = params.get("oauth_token") == token_for(name, write=True)
        creds = oauth_credentials(name, write)
        if (params.get("oauth_consumer_key"), params.get("oauth_token")) != (creds["consumer_key"],
                                                                            creds["access_token"]):
            return "none", False
        method_name = params.get("oauth_signature_method", "")
        if method_name not in ("HMAC-SHA256", "HMAC-SHA1") or params.get("oauth_version", "1.0") != "1.0":
            return "none", False
        try:
            if abs(time.time() - int(params.get("oauth_timestamp", "0"))) > 600:
                return "none", False
        except ValueError:
            return "none", False
        nonce = (creds["consumer_key"], params.get("oauth_nonce", ""))
        if not nonce[1] or nonce in state.nonces:
            return "none", False
        host = headers.get("Host") or self.base_url.split("://", 1)[-1]
        pairs = list(query.items()) + [(k, v) for k, v in params.items() if k not in ("oauth_signature", "realm")]
        expected = oauth_signature(method, f"http://{host.lower()}{path}", pairs, creds["consumer_secret"],
                                   creds["access_token_secret"], method_name)
        if not hmac.compare_digest(expected, params.get("oauth_signature", "")):
            return "none", False
        state.nonces.add(nonce)
        return "oauth1", write

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

    def _answer(self, state: StoreState, method: str, rest: str, query: dict, body: bytes) -> Reply:
        if method == "POST" and rest == "inventory/source-items":
            return self._save_source_items(state.data, body)
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
            if rest == "store/storeConfigs":
                codes = {v for k, v in query.items() if re.fullmatch(r"storeCodes(\[\d*\])?", k)}
                return Reply.json(200, [c for c in data.store_configs() if not codes or c["code"] in codes])
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
        # The criteria object Magento builds (StockItemCriteria), in the shape of StockItemCriteriaInterface: the
        # scope and qty filters are kept apart from `filters`, the limit is [currentPage, pageSize].
        criteria = {"mapper_interface_name": STOCK_ITEM_CRITERIA_MAPPER, "criteria_list": [], "filters": [],
                    "orders": [], "limit": [str(page), str(size)]}
        return Reply.json(200, {"items": rows, "search_criteria": criteria, "total_count": total})

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

    def _save_source_items(self, data: StoreData, raw: bytes) -> Reply:
        """``POST /V1/inventory/source-items``: absolute quantities, validated as a whole (Magento's messages),
        saved as a whole; ``[]`` on success. No compare-and-set: the last writer wins."""
        endpoint = "inventory/source-items"
        try:
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                raise ApiError(400, "Decoding error: the request body is not valid JSON.") from None
            items = body.get("sourceItems") if isinstance(body, dict) else None
            if items is None:
                raise ApiError(400, '"%fieldName" is required. Enter and try again.', {"fieldName": "sourceItems"})
            if not isinstance(items, list) or not items:
                raise ApiError(400, "Input data is empty")
            with data.lock:
                rows = [self._source_item(data, item) for item in items]
                changed = [data.set_source_item(sku, code, quantity, status) for sku, code, quantity, status in rows]
        except ApiError as exc:
            self.log.count_write(data.name, endpoint, [], None, f"{exc.status}: {exc.message}")
            raise
        self.log.count_write(data.name, endpoint, [{**c, "quantity": q, "status": st}
                                                   for c, (_, _, q, st) in zip(changed, rows, strict=True)], None)
        return Reply.json(200, [])

    @staticmethod
    def _source_item(data: StoreData, item) -> tuple[str, str, float, int]:
        """One source item of a save, checked as Magento's validators do (400 "Validation Failed", or "Could not
        save Source Item" for a source or product that does not exist)."""
        if not isinstance(item, dict):
            raise ApiError(400, "Input data is empty")
        failed = []
        for name in ("sku", "source_code"):
            value = item.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                failed.append({"message": '"%field" can not be empty.', "parameters": {"field": name}})
            elif not isinstance(value, str):
                raise ApiError(400, f'Error occurred during "{name}" processing. The "{type(value).__name__}" '
                                    'value\'s type is invalid. The "string" type was expected. Verify and try again.')
            elif name == "source_code" and re.search(r"\s", value):
                failed.append({"message": '"%field" can not contain whitespaces.', "parameters": {"field": name}})
        for name in ("quantity", "status"):
            value = item.get(name)
            if value is None:
                failed.append({"message": '"%field" should be numeric.', "parameters": {"field": name}})
            elif isinstance(value, bool) or not isinstance(value, int | float):
                if name == "quantity" and isinstance(value, str):
                    try:
                        item = {**item, name: float(value)}
                        continue
                    except ValueError:
                        pass
                raise ApiError(400, f'Error occurred during "{name}" processing. The "{value}" value\'s type is '
                                    'invalid. The "float" type was expected. Verify and try again.')
            elif name == "status" and value not in (0, 1):
                failed.append({"message": '"%field" should a known status.', "parameters": {"field": name}})
        if failed:
            raise ValidationFailed(failed)
        if item["source_code"] not in data.sources:
            raise ApiError(400, "Could not save Source Item")
        try:
            product = data.product_by_sku(item["sku"])
        except NotFound:
            raise ApiError(400, "Could not save Source Item") from None
        if product["type_id"] in COMPOSITE_TYPES:
            raise ApiError(400, "Could not save Source Item")
        return item["sku"], item["source_code"], float(item["quantity"]), int(item["status"])

    # ------------------------------------------------------------------ control API
    def _health_store(self, name: str, st: StoreState) -> dict:
        return {"base_url": f"{self.base_url}/stores/{name}", "token": token_for(name),
                "write_token": token_for(name, write=True), "mode": st.data.mode,
                "sources": len(st.data.sources), "products": len(st.data.products),
                "source_items": len(st.data.source_items)}

    def _control(self, method: str, path: str, query: dict, body: dict) -> Reply:
        route = (method, path)
        if route == ("GET", "oauth"):
            self._store(query.get("store"))
            return Reply.json(200, oauth_credentials(query["store"], query.get("write") in ("1", "true")))
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

    def configure(self, repeat_last_page=None, bearer=None, resources=None, write_resources=None,
                  currency=None, host=None, store=None) -> None:
        """Last-page repeat, Bearer acceptance, the ACL resources of the store's integration and of its write
        integration, the base currency and the web address of the store view (all stores or ``store``)."""
        if repeat_last_page is not None:
            self.repeat_last_page = bool(repeat_last_page)
        if bearer is not None:
            self.bearer = bool(bearer)
        for given in (resources, write_resources):
            unknown = set(given or ()) - set(ALL_RESOURCES)
            if unknown:
                raise ValueError(f"unknown resources {sorted(unknown)}; known: {', '.join(ALL_RESOURCES)}")
        if currency is not None and not re.fullmatch(r"[A-Z]{3}", str(currency)):
            raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {currency!r}")
        if host is not None and not re.fullmatch(r"[a-z0-9.-]+", str(host)):
            raise ValueError(f"host must be a host name, got {host!r}")
        for state in [self._store(store)] if store else self.stores.values():
            if resources is not None:
                state.resources = set(resources)
            if write_resources is not None:
                state.write_resources = set(write_resources)
            if currency is not None:
                state.data.currency = str(currency)
            if host is not None:
                state.data.host = str(host)

    def config(self) -> dict:
        return {"repeat_last_page": self.repeat_last_page, "bearer": self.bearer,
                "currency": {name: st.data.currency for name, st in self.stores.items()},
                "host": {name: st.data.host for name, st in self.stores.items()},
                "resources": {name: sorted(st.resources) for name, st in self.stores.items()},
                "write_resources": {name: sorted(st.write_resources) for name, st in self.stores.items()}}


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
