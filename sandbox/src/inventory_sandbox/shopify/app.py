"""The Shopify platform app: GraphQL endpoint, control API and bulk-result downloads.

Routes (served by the generic ``inventory_sandbox.server``)
  POST /stores/{store}/admin/api/{YYYY-MM}/graphql.json   GraphQL (auth: X-Shopify-Access-Token, the store's token
                                                           or its write token; scopes.py)
  GET  /_sandbox/bulk/{id}.jsonl                           bulk operation results (no auth)
  *    /_sandbox/...                                       control API (see docs/interfaces.md section 3)
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from graphql import GraphQLError, parse, validate
from graphql.execution import execute
from graphql.utilities import get_operation_ast

from .. import webhooks
from ..control import ControlApp
from ..faults import HTML_PAGE, Fault, FaultQueue
from ..log import RequestLog as BaseRequestLog
from ..server import Reply
from ..server import fmt_seconds as _fmt_seconds
from . import errors
from .bucket import LeakyBucket
from .bulk import BulkManager
from .cost import MODELS, QueryCost
from .data import TRUTH_STREAMS, NotFound, StoreData
from .fastexec import Unsupported, document_has_directives, execute_query
from .resolvers import Context, Root
from .schema import get_schema
from .scopes import ALL_SCOPES, READ_SCOPES, access_denied, check_scopes
from .writes import WriteMemory

GRAPHQL_PATH = re.compile(r"^/stores/(?P<store>[^/]+)/admin/api/(?P<version>[^/]+)/graphql\.json$")
API_VERSION = re.compile(r"^(\d{4}-(0[1-9]|1[0-2])|unstable)$")
DEFAULT_MAX_COST = 1000


def token_for(store: str) -> str:
    return f"shpat_sandbox_{store}"


def write_token_for(store: str) -> str:
    """The store's second app: by default every scope, ``write_inventory`` included."""
    return f"shpat_sandbox_{store}_write"


@dataclass
class StoreState:
    data: StoreData
    bucket: LeakyBucket
    scopes: set[str] = field(default_factory=lambda: set(READ_SCOPES))  # the store token's access scopes
    write_scopes: set[str] = field(default_factory=lambda: set(ALL_SCOPES))  # the write token's


@dataclass
class ParsedQuery:
    """A query text parsed and validated once: both depend on the text and the (fixed) schema only."""
    document: object
    problems: list
    has_directives: bool
    denied: dict = field(default_factory=dict)  # frozenset(scopes) -> access_denied errors


class DocumentCache:
    """The last ``size`` query texts, parsed and validated (taps send the same few texts on every page).

    Only facts about the text are kept, never data or answers, so no mutation can make an entry stale.
    A text that does not parse is not kept (``parse`` raises again on every try).
    """

    def __init__(self, schema, size: int = 256):
        self.schema = schema
        self.size = size
        self._entries: OrderedDict[str, ParsedQuery] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, query: str) -> ParsedQuery:
        with self._lock:
            entry = self._entries.get(query)
            if entry is not None:
                self._entries.move_to_end(query)
                return entry
        document = parse(query)
        entry = ParsedQuery(document, validate(self.schema, document), document_has_directives(document))
        with self._lock:
            self._entries[query] = entry
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return entry

    def access_denied(self, entry: ParsedQuery, scopes: set[str]) -> list[dict]:
        key = frozenset(scopes)
        denied = entry.denied.get(key)
        if denied is None:
            denied = entry.denied[key] = access_denied(entry.document, scopes)
        return [dict(error) for error in denied]


class RequestLog(BaseRequestLog):
    """Counters and the last queries, for ``GET /_sandbox/log``."""

    entries_key = "queries"

    def _reset_extra(self) -> None:
        self.graphql_requests = 0
        self.throttled = 0
        self.max_cost_exceeded = 0
        self.cost_requested = 0
        self.cost_actual = 0
        self.bulk_operations: list[dict] = []

    def _snapshot_extra(self) -> dict:
        return {"graphql_requests": self.graphql_requests, "throttled": self.throttled,
                "max_cost_exceeded": self.max_cost_exceeded, "cost_requested": self.cost_requested,
                "cost_actual": self.cost_actual, "bulk_operations": list(self.bulk_operations)}

    def count_bulk_operation(self, op) -> None:
        """A bulk operation reached a final status: its size and how long the export took."""
        entry = {"id": op.id, "store": op.store, "status": op.status, "objects": op.objectCount,
                 "root_objects": op.rootObjectCount, "bytes": op.fileSize,
                 "export_s": None if op.export_seconds is None else round(op.export_seconds, 4),
                 "finished_s": None if op.finished_seconds is None else round(op.finished_seconds, 4)}
        with self._lock:
            self.bulk_operations.append(entry)

    def count_graphql(self, entry: dict, code: str | None, requested: int | None, actual: int | None) -> None:
        with self._lock:
            self.graphql_requests += 1
            if code == "THROTTLED":
                self.throttled += 1
            elif code == "MAX_COST_EXCEEDED":
                self.max_cost_exceeded += 1
            if actual is not None:  # executed: requested was charged, actual kept
                self.cost_requested += requested or 0
                self.cost_actual += actual
            self.entries.append(entry)


class ShopifyApp(ControlApp):
    """All server state and request logic, independent of the socket layer."""

    platform = "shopify"
    _not_found = NotFound

    def __init__(self, stores=("demo-store",), locations: int = 4, items: int = 500, seed: int = 7,
                 bucket_size: float = 2000, restore_rate: float = 100, cost_model: str = "measured",
                 max_cost: int = DEFAULT_MAX_COST, bulk_delay_ms: int = 300):
        if cost_model not in MODELS:
            raise ValueError(f"cost_model must be one of {MODELS}")
        self._documents: dict[int, DocumentCache] = {}  # per schema (versions differ in the mutation inputs)
        self.write_memory = WriteMemory()
        self.cost_model = cost_model
        self.max_cost = max_cost
        self.stores: dict[str, StoreState] = {
            name: StoreState(StoreData(name, locations, items, seed), LeakyBucket(bucket_size, restore_rate))
            for name in stores
        }
        self.log = RequestLog()
        self.faults = FaultQueue()
        self.base_url = ""  # set by the server once bound
        self._bulk_dir = tempfile.mkdtemp(prefix="inventory-sandbox-bulk-")
        self.bulk = BulkManager(self._bulk_dir, lambda: self.base_url, delay_ms=bulk_delay_ms,
                                on_finished=self.log.count_bulk_operation)

    def documents(self, version: str | None) -> DocumentCache:
        """The parsed-query cache of ``version``'s schema."""
        schema = get_schema(version)
        cache = self._documents.get(id(schema))
        if cache is None:
            cache = self._documents.setdefault(id(schema), DocumentCache(schema))
        return cache

    def close(self) -> None:
        self.bulk.shutdown()
        shutil.rmtree(self._bulk_dir, ignore_errors=True)

    # ------------------------------------------------------------------ HTTP entry points
    def handle(self, method: str, path: str, query: dict, headers, body: bytes) -> Reply:
        m = GRAPHQL_PATH.match(path)
        if m and method == "POST":
            reply, _ = self.graphql(m["store"], m["version"], headers, body)
            self.log.count_request(reply.status if reply.action != "reset" else 0)
            return reply
        self.log.count_request(404)
        return Reply.json(404, {"errors": "Not Found"})

    def _bulk_file(self, name: str) -> Reply:
        path = self.bulk.result_path(name)
        if path is None:
            reply = Reply.json(404, {"errors": "Not Found"})
        else:
            reply = Reply(200, headers={"Content-Type": "application/jsonl"}, file=path)
        self.log.count_request(reply.status)
        return reply

    # ------------------------------------------------------------------ GraphQL
    def graphql(self, store_name: str, version: str, headers, raw_body: bytes) -> tuple[Reply, Fault | None]:
        """Route checks, auth, fault injection, then the GraphQL request itself."""
        state = self.stores.get(store_name)
        if state is None or not API_VERSION.match(version):
            return Reply.json(404, {"errors": "Not Found"}), None
        token = headers.get("X-Shopify-Access-Token")
        if token == token_for(store_name):
            scopes = state.scopes
        elif token == write_token_for(store_name):
            scopes = state.write_scopes
        else:
            return Reply.json(401, {"errors": "[API] Invalid API key or access token (unrecognized login or "
                                              "wrong password)"}), None
        fault = self.faults.take(raw_body.decode("utf-8", "replace"))
        if fault is not None and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        kind = fault.kind if fault else None
        version_header = {"X-Shopify-API-Version": version}
        if kind in ("http_429", "throttled"):
            requested = self._requested_cost(raw_body, version)
            body = {"errors": [errors.throttled()], "extensions": {"cost": self._cost_ext(state, requested, None)}}
            extra = {"Retry-After": _fmt_seconds(fault.retry_after)} if fault.retry_after is not None else {}
            reply = Reply.json(429 if kind == "http_429" else 200, body, **version_header, **extra)
            self._log_graphql(store_name, raw_body, None, reply.status, "THROTTLED", requested, None)
            return reply, fault
        if kind == "http_500":
            reply = Reply.json(500, {"errors": [errors.internal_error(str(uuid.uuid4()))]}, **version_header)
        elif kind == "http_503":
            extra = {"Retry-After": _fmt_seconds(fault.retry_after)} if fault.retry_after is not None else {}
            reply = Reply.json(503, {"errors": "Service Unavailable"}, **extra)
        elif kind == "reset":
            reply = Reply(action="reset")
        elif kind == "malformed":
            reply = Reply(200, b'{"data": {"inventoryItems": {"nodes": [{"id": "gid://shopify/Inve',
                          {"Content-Type": "application/json; charset=utf-8", **version_header})
        elif kind == "html":
            title = "Access denied" if fault.status == 403 else "Service temporarily unavailable"
            page = HTML_PAGE.format(status=fault.status, title=title, ray=uuid.uuid4().hex[:16])
            reply = Reply(fault.status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        else:  # no fault, latency, timeout, truncated, data faults: answer for real
            reply = self.faults.answer(fault, self, store_name,
                                       lambda: self._run_graphql(store_name, state, raw_body, version, scopes))
            reply.headers.update(version_header)
            if kind == "truncated":
                reply.action = "truncate"
            return reply, fault
        self._log_graphql(store_name, raw_body, None, reply.status if reply.action == "send" else 0,
                          f"fault:{kind}", None, None)
        return reply, fault

    def _requested_cost(self, raw_body: bytes, version: str) -> int:
        """Best-effort requested cost of a raw request body (0 when it cannot be computed)."""
        try:
            body = json.loads(raw_body)
            documents = self.documents(version)
            return QueryCost(documents.schema, documents.get(body["query"]).document, body.get("operationName"),
                             body.get("variables") or {}, self.cost_model).requested()
        except Exception:  # noqa: BLE001
            return 0

    def _cost_ext(self, state: StoreState, requested: int, actual: int | None) -> dict:
        return {"requestedQueryCost": requested, "actualQueryCost": actual,
                "throttleStatus": state.bucket.status()}

    def _log_graphql(self, store, raw_body, parsed, status, code, requested, actual) -> None:
        if parsed is None:
            try:
                parsed = json.loads(raw_body or b"{}")
            except ValueError:
                parsed = {}
        if not isinstance(parsed, dict):
            parsed = {}
        entry = {"store": store, "query": parsed.get("query"), "variables": parsed.get("variables"),
                 "requested_cost": requested, "status": status, "code": code}
        self.log.count_graphql(entry, code, requested, actual)

    def _run_graphql(self, store_name: str, state: StoreState, raw_body: bytes, version: str,
                     scopes: set[str]) -> Reply:
        try:
            body = json.loads(raw_body or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            reply = Reply.json(400, {"errors": {"query": "Required parameter missing or invalid"}})
            self._log_graphql(store_name, raw_body, {}, 400, "BAD_REQUEST", None, None)
            return reply
        query = body["query"]
        variables = body.get("variables") or {}
        operation_name = body.get("operationName")
        if not isinstance(variables, dict):
            variables = {}

        def answer(payload: dict, code: str | None, requested: int, actual: int | None) -> Reply:
            payload["extensions"] = {"cost": self._cost_ext(state, requested, actual)}
            self._log_graphql(store_name, raw_body, body, 200, code, requested, actual)
            return Reply.json(200, payload)

        documents = self.documents(version)
        schema = documents.schema
        try:
            parsed = documents.get(query)
        except GraphQLError as exc:
            return answer({"errors": [errors.parse_error(exc)]}, "parseError", 0, None)
        document = parsed.document
        try:
            requested = QueryCost(schema, document, operation_name, variables, self.cost_model).requested()
        except Exception:  # noqa: BLE001 - cost of an invalid document is best effort
            requested = 0
        problems = parsed.problems
        if problems:
            return answer({"errors": [errors.format_error(e, validation=True) for e in problems]},
                          "validationError", requested, None)
        denied = documents.access_denied(parsed, scopes)
        if denied:
            return answer({"errors": denied, "data": None}, "ACCESS_DENIED", 0, None)
        operation = get_operation_ast(document, operation_name)
        is_mutation = operation is not None and operation.operation.value == "mutation"
        if requested > self.max_cost and not is_mutation:
            return answer({"errors": [errors.max_cost_exceeded(requested, self.max_cost)]},
                          "MAX_COST_EXCEEDED", requested, None)
        if not state.bucket.try_take(requested):
            return answer({"errors": [errors.throttled()]}, "THROTTLED", requested, None)
        ctx = Context(store=state.data, bulk_manager=self.bulk, api_version=version, scopes=frozenset(scopes),
                      write_memory=self.write_memory)
        with state.data.lock:
            data, result_errors = self._execute(schema, parsed, operation, ctx, variables, operation_name)
            changed = self._record_writes(store_name, state.data, ctx.writes)
        webhooks.stock_changed(self, store_name, changed)
        try:
            actual = requested if is_mutation else QueryCost(
                schema, document, operation_name, variables, self.cost_model).actual(data)
        except Exception:  # noqa: BLE001
            actual = requested
        actual = min(actual, requested)
        state.bucket.give_back(requested - actual)
        payload: dict = {}
        if result_errors:
            payload["errors"] = [errors.format_error(e) for e in result_errors]
        payload["data"] = data
        code = "executionError" if result_errors else None
        return answer(payload, code, requested, actual)

    def _execute(self, schema, parsed: ParsedQuery, operation, ctx: Context, variables: dict, operation_name):
        """(data, errors): the plain executor where it answers exactly as graphql-core would, else graphql-core."""
        if not parsed.has_directives:
            try:
                return execute_query(schema, parsed.document, operation, Root(ctx), ctx, variables), None
            except Unsupported:
                pass
        result = execute(schema, parsed.document, root_value=Root(ctx), context_value=ctx,
                         variable_values=variables, operation_name=operation_name)
        return result.data, result.errors

    def _record_writes(self, store_name: str, data: StoreData, outcomes: list) -> list[dict]:
        """Log the inventory mutations a request ran; the level records they changed (for webhooks)."""
        changed: list[dict] = []
        for mutation, outcome, replayed in outcomes:
            group = outcome.group
            if replayed:
                self.log.count_write(store_name, mutation, [], None, "replayed: idempotency key seen before")
                continue
            if group is None:
                refused = ",".join(sorted({e["code"] or "?" for e in outcome.user_errors}))
                self.log.count_write(store_name, mutation, [], None, refused)
                continue
            records = [data.level_record(k) for k in group.levels]
            rows = [{"inventory_item_id": r["inventory_item_id"], "location_id": r["location_id"], "sku": r["sku"],
                     "available": r["available"], "on_hand": r["on_hand"]} for r in records]
            self.log.count_write(store_name, mutation, rows, group.id)
            changed.extend(records)
        return changed

    # ------------------------------------------------------------------ control API
    @staticmethod
    def _item(data: StoreData, value) -> int:
        idx = data.item_index(value)
        if idx is None:
            raise NotFound(f"unknown inventory_item_id {value!r}")
        return idx

    @staticmethod
    def _location(data: StoreData, value) -> int:
        idx = data.location_index(value)
        if idx is None:
            raise NotFound(f"unknown location_id {value!r}")
        return idx

    def control(self, method: str, path: str, query: dict, body) -> Reply:
        """Bulk-result downloads (no error mapping), then the shared dispatch of ``ControlApp.control``."""
        if method == "GET" and path.startswith("bulk/"):
            return self._bulk_file(path.rsplit("/", 1)[-1])
        return super().control(method, path, query, body)

    def _health_store(self, name: str, st: StoreState) -> dict:
        return {"api_url": f"{self.base_url}/stores/{name}", "token": token_for(name),
                "write_token": write_token_for(name),
                "locations": st.data.location_count, "items": st.data.item_count, "levels": st.data.level_count}

    def _control(self, method: str, path: str, query: dict, body: dict) -> Reply:
        route = (method, path)
        if route == ("GET", "truth"):
            state = self._store(query.get("store"))
            streams = self._truth_streams(query, TRUTH_STREAMS)
            return Reply(200, headers={"Content-Type": "application/json; charset=utf-8"},
                         chunks=state.data.truth_json_chunks(streams))
        if route == ("POST", "stock"):
            data = self._store(body.get("store")).data
            with data.lock:
                if "set" in body:
                    changed = []
                    for entry in body["set"]:
                        item = self._item(data, entry["inventory_item_id"])
                        loc = self._location(data, entry["location_id"])
                        lvl = data.find_level(item, loc)
                        if lvl is None:
                            raise NotFound(f"item {entry['inventory_item_id']} is not stocked at "
                                           f"location {entry['location_id']}")
                        data.set_quantities(lvl, entry.get("quantities") or {})
                        changed.append(lvl)
                else:
                    changed = data.change_random(int(body.get("changes", 1)), body.get("seed"))
                webhooks.stock_changed(self, body.get("store"), [data.level_record(k) for k in changed])
                return Reply.json(200, {"changed": [
                    {"inventory_item_id": str(data.item_id(data.level_item[k])),
                     "location_id": str(data.location_id(data.level_loc[k])),
                     "updated_at": data.level_record(k)["updated_at"]} for k in changed]})
        if route == ("POST", "disconnect"):
            data = self._store(body.get("store")).data
            with data.lock:
                data.disconnect(self._item(data, body["inventory_item_id"]),
                                self._location(data, body["location_id"]))
            return Reply.json(200, {"ok": True})
        if route == ("POST", "delete_item"):
            data = self._store(body.get("store")).data
            with data.lock:
                data.delete_item(self._item(data, body["inventory_item_id"]))
            return Reply.json(200, {"ok": True})
        if route == ("POST", "location"):
            data = self._store(body.get("store")).data
            with data.lock:
                loc = self._location(data, body["location_id"])
                data.set_location_active(loc, bool(body.get("is_active", True)))
                return Reply.json(200, data.location_record(loc))
        return self._common_control(method, path, body)

    def configure(self, bucket_size=None, restore_rate=None, cost_model=None, max_cost=None,
                  bulk_delay_ms=None, scopes=None, write_scopes=None, store=None) -> None:
        """Change throttling at run time (all stores, or one with ``store``); buckets restart full.
        ``scopes`` / ``write_scopes``: the access scopes of the store's token / write token (all stores, or one)."""
        for state in [self._store(store)] if store else self.stores.values():
            if scopes is not None:
                state.scopes = check_scopes(scopes)
            if write_scopes is not None:
                state.write_scopes = check_scopes(write_scopes)
        if cost_model is not None:
            if cost_model not in MODELS:
                raise ValueError(f"cost_model must be one of {MODELS}")
            self.cost_model = cost_model
        if max_cost is not None:
            self.max_cost = int(max_cost)
        if bulk_delay_ms is not None:
            self.bulk.delay_ms = int(bulk_delay_ms)
        if bucket_size is not None or restore_rate is not None:
            targets = [self._store(store)] if store else self.stores.values()
            for state in targets:
                state.bucket.configure(bucket_size, restore_rate)

    def config(self) -> dict:
        any_bucket = next(iter(self.stores.values())).bucket
        return {"bucket_size": any_bucket.size, "restore_rate": any_bucket.restore_rate,
                "cost_model": self.cost_model, "max_cost": self.max_cost, "bulk_delay_ms": self.bulk.delay_ms,
                "scopes": {name: sorted(st.scopes) for name, st in self.stores.items()},
                "write_scopes": {name: sorted(st.write_scopes) for name, st in self.stores.items()}}
