"""The BigCommerce platform app: REST v3 catalog and Inventory API subset, quota windows, control API.

Routes (served by the generic ``inventory_sandbox.server``), auth ``X-Auth-Token``: the store's token
``bc_sandbox_{store_hash}`` (read-only scopes by default) or its write token ``bc_sandbox_{store_hash}_write``
(every scope, ``store_inventory`` included, by default):
  GET  /stores/{store_hash}/v2/store                         store information (``currency``: the default currency)
  GET  /stores/{store_hash}/v3/catalog/products              include=variants, date_modified:min/max, id:in, sort
  GET  /stores/{store_hash}/v3/catalog/variants              id:in, product_id:in, sku
  GET  /stores/{store_hash}/v3/inventory/locations           location_id:in, location_code:in, is_default, type_id:in,
                                                             is_active (no ``is_default`` field: only the filter)
  GET  /stores/{store_hash}/v3/inventory/items               variant_id:in, product_id:in, location_id:in,
                                                             location_code:in, sku:in
  GET  /stores/{store_hash}/v3/inventory/locations/{id}/items
  PUT  /stores/{store_hash}/v3/inventory/adjustments/absolute
  POST /stores/{store_hash}/v3/inventory/adjustments/relative
  *    /_sandbox/...                                          control API (docs/interfaces.md section 3.2)
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from .. import webhooks
from ..control import ControlApp
from ..faults import HTML_PAGE, FaultQueue, request_target
from ..log import RequestLog
from ..server import Reply, fmt_seconds
from .data import TRUTH_STREAMS, AdjustmentRefused, NotFound, StoreData, TrackingMismatch

API_PATH = re.compile(r"^/stores/(?P<store>[^/]+)/(?P<version>v2|v3)/(?P<rest>.+?)/?$")
LOCATION_ITEMS = re.compile(r"^inventory/locations/(?P<id>[^/]+)/items$")
PROBLEM_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
CATALOG_MAX = 250
INVENTORY_MAX = 1000
DEFAULT_LIMIT = 50
SCOPE_PRODUCTS = "store_v2_products_read_only"
SCOPE_INVENTORY = "store_inventory_read_only"
SCOPE_LOCATIONS = "store_locations_read_only"
SCOPE_INFORMATION = "store_v2_information_read_only"
SCOPE_INVENTORY_WRITE = "store_inventory"
READ_SCOPES = (SCOPE_PRODUCTS, SCOPE_INVENTORY, SCOPE_LOCATIONS, SCOPE_INFORMATION)
ALL_SCOPES = (*READ_SCOPES, SCOPE_INVENTORY_WRITE)
MAX_ADJUSTMENT_ITEMS = 2000
DEFAULT_LOCATION = 1  # every store has location 1, its default
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _version(rest: str) -> str:
    return "v2" if rest.startswith("v2/") else "v3"


def token_for(store: str) -> str:
    return f"bc_sandbox_{store}"


def write_token_for(store: str) -> str:
    return f"bc_sandbox_{store}_write"


def problem(status: int, title: str, errors: dict | None = None, version: str = "v3", **headers) -> Reply:
    """A BigCommerce error body: v3 ``application/problem+json``; v2 an array ``[{"status", "message"}]``."""
    if version == "v2":
        return Reply(status, json.dumps([{"status": status, "message": title}]).encode(),
                     {"Content-Type": "application/json", **headers})
    body = {"status": status, "title": title, "type": PROBLEM_TYPE, "errors": errors or {}}
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/problem+json", **headers})


class ApiError(Exception):
    def __init__(self, status: int, title: str, errors: dict | None = None):
        super().__init__(title)
        self.status, self.title, self.errors = status, title, errors


class QuotaWindow:
    """Per-store fixed window: ``quota`` requests per ``window_ms``, starting with the first request."""

    def __init__(self, window_ms: int, quota: int):
        self._lock = threading.Lock()
        self.configure(window_ms, quota)

    def configure(self, window_ms: int | None = None, quota: int | None = None) -> None:
        with self._lock:
            if window_ms is not None:
                self.window_ms = int(window_ms)
            if quota is not None:
                self.quota = int(quota)
            self.started = None
            self.used = 0

    def take(self) -> tuple[bool, dict]:
        """Count one request; (allowed, header values)."""
        with self._lock:
            now = time.monotonic()
            if self.started is None or now >= self.started + self.window_ms / 1000:
                self.started, self.used = now, 0
            allowed = self.used < self.quota
            if allowed:
                self.used += 1
            reset_ms = max(0, int(math.ceil((self.started + self.window_ms / 1000 - now) * 1000)))
            return allowed, {"X-Rate-Limit-Time-Window-Ms": str(self.window_ms),
                             "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
                             "X-Rate-Limit-Requests-Quota": str(self.quota),
                             "X-Rate-Limit-Requests-Left": str(max(0, self.quota - self.used))}


class BigCommerceLog(RequestLog):
    entries_key = "calls"

    def _reset_extra(self) -> None:
        self.api_requests = 0
        self.rate_limited = 0  # 429 because the quota window was exhausted
        self.too_many_requests = 0  # every 429 (quota or fault)

    def _snapshot_extra(self) -> dict:
        return {"api_requests": self.api_requests, "rate_limited": self.rate_limited,
                "too_many_requests": self.too_many_requests}

    def count_api(self, entry: dict, quota_429: bool) -> None:
        with self._lock:
            self.api_requests += 1
            if entry["status"] == 429:
                self.too_many_requests += 1
            if quota_429:
                self.rate_limited += 1
            self.entries.append(entry)


class StoreState:
    def __init__(self, data: StoreData, window: QuotaWindow):
        self.data = data
        self.window = window
        self.scopes = set(READ_SCOPES)  # the store's token
        self.write_scopes = set(ALL_SCOPES)  # its write token


class BigCommerceApp(ControlApp):
    platform = "bigcommerce"
    _not_found = NotFound

    def __init__(self, stores=("demostore",), locations: int = 4, items: int = 500, seed: int = 7,
                 window_ms: int = 30_000, quota: int = 150, lowercase_headers: bool = False, read_lag_ms: float = 0):
        self.stores = {name: StoreState(StoreData(name, locations, items, seed), QuotaWindow(window_ms, quota))
                       for name in stores}
        for state in self.stores.values():
            state.data.read_lag_s = float(read_lag_ms) / 1000
        self.lowercase_headers = lowercase_headers
        self.log = BigCommerceLog()
        self.faults = FaultQueue()
        self.base_url = ""

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------ API
    def handle(self, method: str, path: str, query: dict, headers, body: bytes) -> Reply:
        m = API_PATH.match(path)
        state = self.stores.get(m["store"]) if m else None
        if state is None:
            reply = problem(404, "Store not found" if m else "The route was not found")
            self.log.count_request(404)
            return reply
        rest = m["rest"] if m["version"] == "v3" else f"v2/{m['rest']}"
        reply, quota_429 = self._api(state, method, rest, query, headers, body)
        if self.lowercase_headers:
            reply.headers = {k.lower(): v for k, v in reply.headers.items()}
        status = reply.status if reply.action != "reset" else 0
        self.log.count_request(status)
        self.log.count_api({"store": state.data.name, "method": method, "path": rest, "query": query,
                            "status": status, "left": reply.headers.get("X-Rate-Limit-Requests-Left",
                                                                        reply.headers.get("x-rate-limit-requests-left"))},
                           quota_429)
        return reply

    def _api(self, state: StoreState, method: str, rest: str, query: dict, headers, body: bytes
             ) -> tuple[Reply, bool]:
        token = headers.get("X-Auth-Token")
        if token and token == token_for(state.data.name):
            scopes = state.scopes
        elif token and token == write_token_for(state.data.name):
            scopes = state.write_scopes
        else:
            return problem(401, "No valid credentials were found in this request", version=_version(rest)), False
        allowed, limits = state.window.take()
        if not allowed:
            retry = max(1, math.ceil(int(limits["X-Rate-Limit-Time-Reset-Ms"]) / 1000))
            return problem(429, "Too many requests", **limits, **{"X-Retry-After": str(retry)}), True
        fault = self.faults.take(request_target(method, rest, query))
        if fault is not None and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        kind = fault.kind if fault else None
        if kind == "http_429":  # platform load: no rate-limit headers at all
            return problem(429, "Too many requests"), False
        if kind == "throttled":  # quota exhausted as BigCommerce reports it
            reset_ms = int(fault.retry_after * 1000) if fault.retry_after is not None else \
                int(limits["X-Rate-Limit-Time-Reset-Ms"])
            hdrs = {**limits, "X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
                    "X-Retry-After": str(max(1, math.ceil(reset_ms / 1000)))}
            return problem(429, "Too many requests", **hdrs), False
        if kind == "http_500":
            return problem(500, "Internal Server Error", {"request_id": str(uuid.uuid4())}), False
        if kind == "http_503":
            extra = {"Retry-After": fmt_seconds(fault.retry_after)} if fault.retry_after is not None else {}
            return problem(503, "Service Unavailable: the store is under maintenance", **extra), False
        if kind == "reset":
            return Reply(action="reset"), False
        if kind == "malformed":
            return Reply(200, b'{"data": [{"identity": {"sku": "BC-1', {"Content-Type": "application/json",
                                                                          **limits}), False
        if kind == "html":
            title = "Access denied" if fault.status == 403 else "Service temporarily unavailable"
            page = HTML_PAGE.format(status=fault.status, title=title, ray=uuid.uuid4().hex[:16])
            return Reply(fault.status, page.encode(), {"Content-Type": "text/html; charset=utf-8"}), False
        try:
            reply = self.faults.answer(fault, self, f"{state.data.name}:{rest}",
                                       lambda: self._route(state, scopes, method, rest, query, body))
        except ApiError as exc:
            reply = problem(exc.status, exc.title, exc.errors, version=_version(rest))
        reply.headers.update(limits)
        if kind == "truncated":
            reply.action = "truncate"
        return reply, False

    @staticmethod
    def _need(scopes: set[str], scope: str) -> None:
        if scope not in scopes:
            raise ApiError(403, "You don't have a required scope to access the endpoint",
                           {"scope": f"missing {scope}"})

    def _route(self, state: StoreState, scopes: set[str], method: str, rest: str, query: dict, body: bytes
               ) -> Reply:
        data = state.data
        if rest in ("inventory/adjustments/absolute", "inventory/adjustments/relative"):
            mode = rest.rsplit("/", 1)[-1]
            if method != ("PUT" if mode == "absolute" else "POST"):
                raise ApiError(405, "Method Not Allowed")
            self._need(scopes, SCOPE_INVENTORY_WRITE)  # before the body is read: an empty probe writes nothing
            return self._adjust(data, mode, body)
        if method != "GET":
            raise ApiError(405, "Method Not Allowed")
        if rest == "v2/store":
            self._need(scopes, SCOPE_INFORMATION)
            with data.lock:
                return Reply.json(200, data.store_body())
        if rest == "catalog/products":
            self._need(scopes, SCOPE_PRODUCTS)
            return self._products(data, query)
        if rest == "catalog/variants":
            self._need(scopes, SCOPE_PRODUCTS)
            return self._variants(data, query)
        if rest == "inventory/locations":
            self._need(scopes, SCOPE_LOCATIONS)
            return self._locations(data, query)
        if rest == "inventory/items":
            self._need(scopes, SCOPE_INVENTORY)
            return self._inventory_items(data, query)
        m = LOCATION_ITEMS.match(rest)
        if m:
            self._need(scopes, SCOPE_INVENTORY)
            return self._location_items(data, m["id"], query)
        raise ApiError(404, "The route was not found")

    # -- paging and filters
    @staticmethod
    def _page(query: dict, rows: list, maximum: int, render) -> Reply:
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
            page = int(query.get("page", 1))
        except ValueError as exc:
            raise ApiError(422, "The filter(s): limit, page are not valid", {"limit": str(exc)}) from None
        if limit > maximum:
            raise ApiError(413, f"The limit {limit} exceeded the maximum allowed value of {maximum}")
        if limit < 1:
            raise ApiError(422, "The filter(s): limit is not valid")
        page = max(page, 1)
        total = len(rows)
        total_pages = max(1, math.ceil(total / limit)) if total else 0
        chunk = rows[(page - 1) * limit: page * limit]

        filters = [(k, v) for k, v in query.items() if k not in ("page", "limit")]

        def link(p):  # as BigCommerce writes them: the filters, then page and limit
            return "?" + urlencode([*filters, ("page", p), ("limit", limit)])

        # Strings, and a link only when there is such a page (BigCommerce leaves `previous` and `next` out
        # rather than sending null).
        links = {"previous": link(page - 1)} if page > 1 else {}
        links["current"] = link(page)
        if page < total_pages:
            links["next"] = link(page + 1)
        meta = {"pagination": {"total": total, "count": len(chunk), "per_page": limit, "current_page": page,
                               "total_pages": total_pages, "links": links}}
        body = {"data": [render(row) for row in chunk], "meta": meta}
        return Reply.json(200, body)

    @staticmethod
    def _ids(query: dict, key: str) -> set[int] | None:
        if key not in query:
            return None
        try:
            return {int(x) for x in query[key].split(",") if x.strip()}
        except ValueError:
            raise ApiError(422, f"The filter(s): {key} are not valid") from None

    @staticmethod
    def _flag(query: dict, key: str) -> bool | None:
        """A boolean filter (``true``/``false``, ``1``/``0``); None when absent."""
        value = query.get(key)
        if value is None:
            return None
        if value.lower() not in ("1", "0", "true", "false"):
            raise ApiError(422, f"The filter(s): {key} are not valid", {key: f"'{value}' is not a boolean"})
        return value.lower() in ("1", "true")

    @staticmethod
    def _date(query: dict, key: str) -> int | None:
        value = query.get(key)
        if value is None:
            return None
        text = value.strip()
        if DATE_ONLY.match(text):
            # BigCommerce's quirk: a date alone gets the current time of day appended.
            text = text + datetime.now(UTC).strftime("T%H:%M:%S+00:00")
        if text.isdigit():
            return int(text)
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            raise ApiError(422, f"The filter(s): {key} are not valid",
                           {key: f"'{value}' is not a valid date"}) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(dt.timestamp())

    # -- endpoints
    def _products(self, data: StoreData, query: dict) -> Reply:
        include = {x.strip() for x in query.get("include", "").split(",") if x.strip()}
        ids = self._ids(query, "id:in")
        dmin, dmax = self._date(query, "date_modified:min"), self._date(query, "date_modified:max")
        sort = query.get("sort", "id")
        if sort not in ("id", "name", "date_modified", "date_created", "sku"):
            raise ApiError(422, "The filter(s): sort are not valid")
        with data.lock:
            rows = [p for p in data.products.values()
                    if (ids is None or p["id"] in ids) and (dmin is None or p["date_modified"] >= dmin)
                    and (dmax is None or p["date_modified"] <= dmax)]
            if sort != "id":
                rows.sort(key=lambda p: (p[sort], p["id"]))
            if query.get("direction") == "desc":
                rows.reverse()
            return self._page(query, rows, CATALOG_MAX, lambda p: data.product_body(p, "variants" in include))

    def _variants(self, data: StoreData, query: dict) -> Reply:
        ids, pids = self._ids(query, "id:in"), self._ids(query, "product_id:in")
        sku = query.get("sku")
        with data.lock:
            rows = [v for v in data.variants.values()
                    if (ids is None or v["id"] in ids) and (pids is None or v["product_id"] in pids)
                    and (sku is None or v["sku"] == sku)]
            return self._page(query, rows, CATALOG_MAX, data.variant_body)

    def _locations(self, data: StoreData, query: dict) -> Reply:
        ids = self._ids(query, "location_id:in")
        codes = set(query["location_code:in"].split(",")) if "location_code:in" in query else None
        types = set(query["type_id:in"].split(",")) if "type_id:in" in query else None
        active, default = self._flag(query, "is_active"), self._flag(query, "is_default")
        with data.lock:
            rows = [loc for loc in data.locations
                    if (ids is None or loc["id"] in ids) and (codes is None or loc["code"] in codes)
                    and (types is None or loc["type_id"] in types)
                    and (active is None or loc["enabled"] == active)
                    and (default is None or (loc["id"] == DEFAULT_LOCATION) == default)]
            return self._page(query, rows, INVENTORY_MAX, data.location_body)

    def _item_filter(self, data: StoreData, query: dict) -> list[int]:
        vids, pids = self._ids(query, "variant_id:in"), self._ids(query, "product_id:in")
        skus = set(query["sku:in"].split(",")) if "sku:in" in query else None
        if vids is None and pids is None and skus is None:
            return data.level_variants
        return [vid for vid in data.level_variants
                if (vids is None or vid in vids) and (pids is None or data.variants[vid]["product_id"] in pids)
                and (skus is None or data.variants[vid]["sku"] in skus)]

    def _inventory_items(self, data: StoreData, query: dict) -> Reply:
        lids = self._ids(query, "location_id:in")
        codes = set(query["location_code:in"].split(",")) if "location_code:in" in query else None
        with data.lock:
            positions = [i for i, loc in enumerate(data.locations)
                         if (lids is None or loc["id"] in lids) and (codes is None or loc["code"] in codes)]
            rows = self._item_filter(data, query)
            return self._page(query, rows, INVENTORY_MAX, lambda vid: data.inventory_item_body(vid, positions))

    def _location_items(self, data: StoreData, location_id: str, query: dict) -> Reply:
        with data.lock:
            try:
                pos = data.location_pos[data.location(location_id)["id"]]
            except NotFound:
                raise ApiError(404, f"Location with id {location_id} not found") from None
            rows = self._item_filter(data, query)
            return self._page(query, rows, INVENTORY_MAX, lambda vid: data.location_item_body(vid, pos))

    def _adjust(self, data: StoreData, mode: str, raw: bytes) -> Reply:
        """``PUT adjustments/absolute`` / ``POST adjustments/relative``: validated as a whole, applied as a whole."""
        endpoint = f"adjustments/{mode}"
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON") from None
        items = body.get("items") if isinstance(body, dict) else None
        try:
            if not isinstance(items, list) or not items:
                raise ApiError(422, "Payload contains invalid fields", {"items": "items must hold at least one item"})
            if len(items) > MAX_ADJUSTMENT_ITEMS:
                raise ApiError(422, "Payload contains invalid fields",
                               {"items": f"items must hold at most {MAX_ADJUSTMENT_ITEMS} items, got {len(items)}"})
            if not all(isinstance(e, dict) for e in items):
                raise ApiError(422, "Payload contains invalid fields", {"items": "each item must be an object"})
            with data.lock:
                try:
                    changed = data.adjust(mode, items)
                except TrackingMismatch as exc:
                    raise ApiError(422, f"[{exc}]") from None
                except AdjustmentRefused as exc:
                    raise ApiError(422, str(exc)) from None
                except NotFound as exc:
                    raise ApiError(422, f"[{exc.args[0]}]") from None
                except (ValueError, KeyError, TypeError) as exc:
                    raise ApiError(422, f"[{exc}]") from None
        except ApiError as exc:
            self.log.count_write(data.name, endpoint, [], None, f"{exc.status}: {exc.title}")
            raise
        transaction_id = str(uuid.uuid4())
        self.log.count_write(data.name, endpoint, changed, transaction_id)
        webhooks.stock_changed(self, data.name, changed)
        return Reply.json(200, {"transaction_id": transaction_id})

    # ------------------------------------------------------------------ control API
    def _health_store(self, name: str, st: StoreState) -> dict:
        return {"api_url": f"{self.base_url}/stores/{name}", "token": token_for(name),
                "write_token": write_token_for(name),
                "locations": st.data.location_count, "items": st.data.item_count, "levels": st.data.level_count}

    def _control(self, method: str, path: str, query: dict, body: dict) -> Reply:
        route = (method, path)
        if route == ("GET", "truth"):
            data = self._store(query.get("store")).data
            streams = self._truth_streams(query, TRUTH_STREAMS)
            with data.lock:
                return Reply.json(200, data.truth(streams))
        if route == ("POST", "stock"):
            data = self._store(body.get("store")).data
            with data.lock:
                if "set" in body:
                    changed = [data.set_level(int(e.get("variant_id", e.get("inventory_item_id"))),
                                              e["location_id"], e.get("quantities") or {}) for e in body["set"]]
                else:
                    changed = data.change_random(int(body.get("changes", 1)), body.get("seed"))
            webhooks.stock_changed(self, body.get("store"), changed)
            return Reply.json(200, {"changed": changed})
        if route == ("POST", "touch_products"):
            data = self._store(body.get("store")).data
            with data.lock:
                changed = data.touch_products(body.get("changes", 1), body.get("seed"), body.get("product_ids"))
            return Reply.json(200, {"changed": changed})
        if route == ("POST", "delete_variant"):
            data = self._store(body.get("store")).data
            with data.lock:
                return Reply.json(200, data.delete_variant(body["variant_id"]))
        if route == ("POST", "delete_product"):
            data = self._store(body.get("store")).data
            with data.lock:
                return Reply.json(200, data.delete_product(body["product_id"]))
        if route == ("POST", "location"):
            data = self._store(body.get("store")).data
            with data.lock:
                return Reply.json(200, data.set_location_enabled(body["location_id"], body.get("is_active", True)))
        return self._common_control(method, path, body)

    def configure(self, window_ms=None, quota=None, lowercase_headers=None, scopes=None, write_scopes=None,
                  read_lag_ms=None, currency=None, store=None) -> None:
        """Quota window (restarts the windows), header case, the scopes of the store's token and of its write
        token, how long written stock takes to show in reads, the store's default currency (all stores or
        ``store``)."""
        targets = [self._store(store)] if store else list(self.stores.values())
        if lowercase_headers is not None:
            self.lowercase_headers = bool(lowercase_headers)
        for given in (scopes, write_scopes):
            unknown = set(given or ()) - set(ALL_SCOPES)
            if unknown:
                raise ValueError(f"unknown scopes {sorted(unknown)}; known: {', '.join(ALL_SCOPES)}")
        if read_lag_ms is not None and float(read_lag_ms) < 0:
            raise ValueError("read_lag_ms must be 0 or more")
        if currency is not None and not re.fullmatch(r"[A-Z]{3}", str(currency)):
            raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {currency!r}")
        for state in targets:
            if window_ms is not None or quota is not None:
                state.window.configure(window_ms, quota)
            if scopes is not None:
                state.scopes = set(scopes)
            if write_scopes is not None:
                state.write_scopes = set(write_scopes)
            if read_lag_ms is not None:
                state.data.read_lag_s = float(read_lag_ms) / 1000
            if currency is not None:
                state.data.currency = str(currency)

    def config(self) -> dict:
        any_state = next(iter(self.stores.values()))
        return {"window_ms": any_state.window.window_ms, "quota": any_state.window.quota,
                "lowercase_headers": self.lowercase_headers,
                "read_lag_ms": any_state.data.read_lag_s * 1000,
                "currency": {name: st.data.currency for name, st in self.stores.items()},
                "scopes": {name: sorted(st.scopes) for name, st in self.stores.items()},
                "write_scopes": {name: sorted(st.write_scopes) for name, st in self.stores.items()}}
