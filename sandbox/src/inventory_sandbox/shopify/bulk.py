"""Bulk operations: ``bulkOperationRunQuery`` / ``bulkOperationCancel`` and the JSONL results.

A bulk query is parsed and validated against the schema, then checked against Shopify's bulk limits (at
least one connection, at most 5, connection nesting depth at most 2, parents of nested connections select
``id``). It runs in a background thread: CREATED -> RUNNING -> COMPLETED (a configurable delay keeps it
RUNNING long enough for pollers to see it). Results are written as JSONL: every node of a connection is its
own line; nodes of a nested connection carry ``"__parentId"``. Lists that are not connections (e.g.
``quantities``) stay inline. Unless ``groupObjects: true``, lines are shuffled deterministically in blocks
so readers cannot rely on parents preceding children.

The bulk executor is a small streaming walker over the same view objects graphql-core uses, so a bulk
query over a million levels never holds more than one root node in memory.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationType,
    get_named_type,
    is_abstract_type,
    is_enum_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    parse,
    validate,
)
from graphql.execution.values import get_argument_values
from graphql.utilities import get_operation_ast

from .data import StoreData, iso
from .resolvers import Context, Root
from .schema import get_schema

MAX_CONNECTIONS = 5
MAX_DEPTH = 2
SHUFFLE_BLOCK = 1000
_BUILTIN_SCALARS = frozenset({"Int", "Float", "String", "Boolean", "ID"})
ACTIVE = ("CREATED", "RUNNING", "CANCELING")
_ids = itertools.count(5_000_000_001)


class BulkQueryError(ValueError):
    """The bulk query text is not acceptable (reported as a userError)."""


class BulkOperation:
    """One bulk operation; its attributes are the GraphQL ``BulkOperation`` fields."""
    TYPENAME = "BulkOperation"

    def __init__(self, store: str, query: str, group_objects: bool):
        self.num = next(_ids)
        self.id = f"gid://shopify/BulkOperation/{self.num}"
        self.store = store
        self.query = query
        self.group_objects = group_objects
        self.status = "CREATED"
        self.errorCode = None
        self.objectCount = 0
        self.rootObjectCount = 0
        self.fileSize = None
        self.url = None
        self.partialDataUrl = None
        self.type = "QUERY"
        self.createdAt = iso(int(time.time()))
        self.completedAt = None
        self.cancel_requested = threading.Event()
        # Sandbox-only timings (not GraphQL fields), for GET /_sandbox/log: seconds spent writing the
        # export, and from creation to a final status (the configured delay included).
        self.created_monotonic = time.monotonic()
        self.export_seconds: float | None = None
        self.finished_seconds: float | None = None

    def as_of_now(self) -> BulkOperation:
        """A copy that keeps today's fields: a mutation answers with the operation as its change left it
        (CREATED, CANCELING), even if the background thread moves it on before the answer is written."""
        return copy.copy(self)


class _Walker:
    """Field collection and value completion for the bulk executor."""

    def __init__(self, document):
        self.schema = get_schema()
        self.operation = get_operation_ast(document)
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def applies(self, type_condition, obj_type) -> bool:
        if type_condition is None:
            return True
        cond = self.schema.get_type(type_condition.name.value)
        return cond is obj_type or (cond is not None and is_abstract_type(cond)
                                    and self.schema.is_sub_type(cond, obj_type))

    def collect(self, obj_type, selection_sets, out=None) -> dict[str, tuple[str, list[FieldNode]]]:
        out = {} if out is None else out
        for selection_set in selection_sets:
            for sel in selection_set.selections:
                if isinstance(sel, FieldNode):
                    key = sel.alias.value if sel.alias else sel.name.value
                    out.setdefault(key, (sel.name.value, []))[1].append(sel)
                elif isinstance(sel, InlineFragmentNode):
                    if self.applies(sel.type_condition, obj_type):
                        self.collect(obj_type, [sel.selection_set], out)
                elif isinstance(sel, FragmentSpreadNode):
                    frag = self.fragments.get(sel.name.value)
                    if frag is not None and self.applies(frag.type_condition, obj_type):
                        self.collect(obj_type, [frag.selection_set], out)
        return out

    def concrete(self, named, value):
        return self.schema.get_type(value.TYPENAME) if is_abstract_type(named) else named

    def node_selections(self, conn_type, field_nodes) -> list:
        """Selection sets that apply to a connection's node: ``nodes{..}`` and ``edges{node{..}}``."""
        sets = []
        conn_sets = [f.selection_set for f in field_nodes if f.selection_set]
        edge_type = get_named_type(conn_type.fields["edges"].type)
        for name, fnodes in self.collect(conn_type, conn_sets).values():
            if name == "nodes":
                sets.extend(f.selection_set for f in fnodes if f.selection_set)
            elif name == "edges":
                edge_sets = [f.selection_set for f in fnodes if f.selection_set]
                for ename, enodes in self.collect(edge_type, edge_sets).values():
                    if ename == "node":
                        sets.extend(f.selection_set for f in enodes if f.selection_set)
        return sets


def _is_connection(named) -> bool:
    return named.name.endswith("Connection")


def check_bulk_query(query: str):
    """Parse + validate a bulk query; return the document or raise BulkQueryError."""
    schema = get_schema()
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise BulkQueryError(f"Invalid bulk query: {exc.message}") from None
    problems = validate(schema, document)
    if problems:
        raise BulkQueryError("Invalid bulk query: " + "; ".join(p.message for p in problems))
    walker = _Walker(document)
    op = walker.operation
    if op is None or op.operation != OperationType.QUERY:
        raise BulkQueryError("Invalid bulk query: the bulk query must be a single query operation.")
    connections: list[str] = []
    missing_id: list[str] = []

    def visit(obj_type, sets, depth: int, is_node: bool) -> None:
        types = schema.get_possible_types(obj_type) if is_abstract_type(obj_type) else [obj_type]
        for concrete in types:
            fields = walker.collect(concrete, sets)
            for name, fnodes in fields.values():
                if name.startswith("__"):
                    continue
                named = get_named_type(concrete.fields[name].type)
                sub_sets = [f.selection_set for f in fnodes if f.selection_set]
                if is_leaf_type(named):
                    continue
                if _is_connection(named):
                    connections.append(name)
                    if depth + 1 > MAX_DEPTH:
                        raise BulkQueryError(f"Bulk queries cannot contain connections with a nesting depth "
                                             f"greater than {MAX_DEPTH}.")
                    if depth >= 1 and not ("id" in fields and fields["id"][0] == "id"):
                        missing_id.append(name)
                    node_type = get_named_type(named.fields["nodes"].type)
                    visit(node_type, walker.node_selections(named, fnodes), depth + 1, True)
                else:
                    visit(named, sub_sets, depth, False)

    visit(schema.query_type, [op.selection_set], 0, False)
    if not connections:
        raise BulkQueryError("Bulk queries must contain at least one connection.")
    if len(connections) > MAX_CONNECTIONS:
        raise BulkQueryError(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
    if missing_id:
        raise BulkQueryError("The parent 'node' field for a nested connection must select the 'id' field "
                             "without an alias and must be of 'ID' return type. Connection fields without "
                             f"'id': {', '.join(missing_id)}.")
    return document


class _Runner:
    """Stream one bulk query's results into a JSONL file.

    Field plans (collected fields + coerced arguments) are computed once per (type, selection) and reused
    for every row. The store lock is taken per produced line, never for a whole connection, so regular
    queries (like pollers asking for the operation's status) keep being answered while a big export runs.
    """

    def __init__(self, document, store: StoreData, write: Callable[[dict, bool], None],
                 cancelled: threading.Event):
        self.walker = _Walker(document)
        self.schema = self.walker.schema
        self.store = store
        self.ctx = Context(store=store, bulk_mode=True)
        self.info = SimpleNamespace(context=self.ctx)
        self.write = write  # (object, is_root)
        self.cancelled = cancelled
        self._plans: dict = {}

    def plan(self, obj_type, sets) -> list[tuple]:
        """[(response key, field name, args, kind, detail)] for a concrete type and its selection sets."""
        cache_key = (obj_type.name, tuple(id(x) for x in sets))
        plan = self._plans.get(cache_key)
        if plan is None:
            plan = []
            for key, (name, fnodes) in self.walker.collect(obj_type, sets).items():
                if name == "__typename":
                    plan.append((key, name, None, "typename", obj_type.name))
                    continue
                field = obj_type.fields[name]
                args = get_argument_values(field, fnodes[0], {})
                named = get_named_type(field.type)
                if _is_connection(named):
                    node_type = get_named_type(named.fields["nodes"].type)
                    plan.append((key, name, args, "connection",
                                 (node_type, self.walker.node_selections(named, fnodes))))
                else:
                    sub_sets = [f.selection_set for f in fnodes if f.selection_set]
                    plan.append((key, name, args, "value", (field.type, sub_sets,
                                                            self._completer(field.type, sub_sets))))
            self._plans[cache_key] = plan
        return plan

    def _completer(self, gql_type, sets) -> Callable:
        """A function ``(value, pending) -> JSON value`` specialised for one field's type."""
        if is_non_null_type(gql_type):
            gql_type = gql_type.of_type
        if is_list_type(gql_type):
            inner = self._completer(gql_type.of_type, sets)
            return lambda v, pending: None if v is None else [inner(x, pending) for x in v]
        if is_enum_type(gql_type) or gql_type.name in _BUILTIN_SCALARS:
            return lambda v, pending: v  # resolvers already produce JSON-ready values
        if is_leaf_type(gql_type):
            return lambda v, pending: v if v is None or isinstance(v, str) else str(v)
        if is_abstract_type(gql_type):
            return lambda v, pending: None if v is None else self.complete_object(
                self.walker.concrete(gql_type, v), v, sets, pending)
        plan: list = []  # filled on first use (plans of recursive types are built lazily)

        def complete(v, pending):
            if v is None:
                return None
            if not plan:
                plan.append(self.plan(gql_type, sets))
            return self._fill(plan[0], v, pending)
        return complete

    def _drain(self, connection, node_type, sets, parent_id) -> None:
        iterator = iter(connection)
        while not self.cancelled.is_set():
            with self.store.lock:
                view = next(iterator, None)
            if view is None:
                return
            self.emit(node_type, view, sets, parent_id)

    def run(self) -> None:
        query_type = self.schema.query_type
        root = Root(self.ctx)
        for _key, name, args, kind, detail in self.plan(query_type, [self.walker.operation.selection_set]):
            if kind == "typename" or name.startswith("__"):
                continue
            with self.store.lock:
                value = getattr(root, name)(self.info, **args)
            if kind == "connection":
                self._drain(value, detail[0], detail[1], None)
            elif value is not None and not is_leaf_type(get_named_type(detail[0])):
                self.emit(get_named_type(detail[0]), value, detail[1], None)

    def emit(self, node_type, view, sets, parent_id) -> None:
        """Write one node line, then the lines of its nested connections."""
        pending: list = []
        with self.store.lock:
            obj = self.complete_object(self.walker.concrete(node_type, view), view, sets, pending)
            my_id = view.id if pending else None
        if parent_id is not None:
            obj["__parentId"] = parent_id
        self.write(obj, parent_id is None)
        for child_type, connection, child_sets in pending:
            self._drain(connection, child_type, child_sets, my_id)

    def complete_object(self, obj_type, view, sets, pending) -> dict:
        return self._fill(self.plan(obj_type, sets), view, pending)

    def _fill(self, plan, view, pending) -> dict:
        out = {}
        info = self.info
        is_dict = type(view) is dict
        for key, name, args, kind, detail in plan:
            if kind == "typename":
                out[key] = detail
                continue
            attr = view.get(name) if is_dict else getattr(view, name)
            if callable(attr):
                attr = attr(info, **args)
            if kind == "connection":
                pending.append((detail[0], attr, detail[1]))
            else:
                out[key] = detail[2](attr, pending)
        return out


class BulkManager:
    """All bulk operations of one server (at most one running QUERY operation per store)."""

    def __init__(self, directory: str, base_url: Callable[[], str], delay_ms: int = 300,
                 on_finished: Callable[[BulkOperation], None] | None = None):
        self.directory = Path(directory)
        self.on_finished = on_finished  # told about every operation that reached a final status
        self.base_url = base_url
        self.delay_ms = delay_ms
        self._lock = threading.Lock()
        self._ops: dict[str, BulkOperation] = {}
        self._latest: dict[str, BulkOperation] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # --- GraphQL entry points -------------------------------------------------------------------------
    def start(self, store: StoreData, query: str, group_objects: bool):
        with self._lock:
            latest = self._latest.get(store.name)
            if latest is not None and latest.status in ACTIVE:
                return None, [{"field": None, "message": "A bulk query operation for this app and shop is "
                                                         f"already in progress: {latest.id}"}]
            try:
                document = check_bulk_query(query)
            except BulkQueryError as exc:
                return None, [{"field": ["query"], "message": str(exc)}]
            op = BulkOperation(store.name, query, bool(group_objects))
            self._ops[op.id] = op
            self._latest[store.name] = op
            created = op.as_of_now()
        thread = threading.Thread(target=self._run, args=(op, document, store), daemon=True,
                                  name=f"bulk-{op.num}")
        self._threads.append(thread)
        thread.start()
        return created, []

    def cancel(self, store: str, op_id: str):
        op = self._ops.get(op_id)
        if op is None or op.store != store:
            return None, [{"field": ["id"], "message": "Bulk operation does not exist"}]
        with self._lock:
            if op.status not in ("CREATED", "RUNNING"):
                return op, [{"field": None, "message": "A bulk operation cannot be canceled when it is "
                                                       f"{op.status.lower()}"}]
            op.status = "CANCELING"
            op.cancel_requested.set()
            return op.as_of_now(), []

    def get(self, store: str, op_id: str):
        op = self._ops.get(op_id)
        return op if op is not None and op.store == store else None

    def current(self, store: str):
        return self._latest.get(store)

    def result_path(self, file_name: str) -> Path | None:
        if not re.fullmatch(r"\d+\.jsonl", file_name):
            return None
        path = self.directory / file_name
        return path if path.is_file() else None

    def shutdown(self) -> None:
        self._stopping.set()
        for op in list(self._ops.values()):
            op.cancel_requested.set()

    # --- background work ------------------------------------------------------------------------------
    def _sleep(self, seconds: float, op: BulkOperation) -> None:
        op.cancel_requested.wait(max(0.0, seconds))

    def _run(self, op: BulkOperation, document, store: StoreData) -> None:
        try:
            self._export(op, document, store)
        finally:
            op.finished_seconds = time.monotonic() - op.created_monotonic
            if self.on_finished is not None:
                self.on_finished(op)

    def _export(self, op: BulkOperation, document, store: StoreData) -> None:
        delay = self.delay_ms / 1000
        self._sleep(delay / 3, op)
        with self._lock:
            if op.cancel_requested.is_set():
                op.status, op.completedAt = "CANCELED", iso(int(time.time()))
                return
            op.status = "RUNNING"
        started = time.monotonic()
        path = self.directory / f"{op.num}.jsonl"
        tmp = path.with_suffix(".part")
        rng = random.Random(op.num)
        buffer: list[str] = []
        counts = {"objects": 0, "roots": 0}

        def flush(fh) -> None:
            if not op.group_objects:
                rng.shuffle(buffer)
            fh.writelines(buffer)
            buffer.clear()

        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                def write(obj: dict, is_root: bool) -> None:
                    buffer.append(json.dumps(obj, separators=(",", ":")) + "\n")
                    counts["objects"] += 1
                    counts["roots"] += is_root
                    if len(buffer) >= SHUFFLE_BLOCK:
                        flush(fh)

                _Runner(document, store, write, op.cancel_requested).run()
                flush(fh)
            op.export_seconds = time.monotonic() - started
            self._sleep(delay - (time.monotonic() - started), op)
            with self._lock:
                op.completedAt = iso(int(time.time()))
                if op.cancel_requested.is_set():
                    op.status = "CANCELED"
                    tmp.unlink(missing_ok=True)
                    return
                os.replace(tmp, path)
                op.objectCount, op.rootObjectCount = counts["objects"], counts["roots"]
                op.fileSize = path.stat().st_size
                # Like Shopify: no URL when the query matched nothing.
                op.url = f"{self.base_url()}/_sandbox/bulk/{op.num}.jsonl" if counts["objects"] else None
                op.status = "COMPLETED"
        except Exception:  # noqa: BLE001 - surface as a failed operation, like Shopify
            with self._lock:
                op.status, op.errorCode = "FAILED", "INTERNAL_SERVER_ERROR"
                op.completedAt = iso(int(time.time()))
            tmp.unlink(missing_ok=True)
