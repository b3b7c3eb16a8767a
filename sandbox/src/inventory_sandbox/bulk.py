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

import itertools
import json
import os
import random
import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

from graphql import (
    FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode, OperationType,
    get_named_type, is_abstract_type, is_enum_type, is_leaf_type, is_list_type, is_non_null_type, parse,
    validate,
)
from graphql.execution.values import get_argument_values
from graphql.utilities import get_operation_ast

from .data import StoreData, iso
from .resolvers import Context, Root, StreamConnection
from .schema import get_schema

MAX_CONNECTIONS = 5
MAX_DEPTH = 2
SHUFFLE_BLOCK = 1000
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
            for key, (name, fnodes) in fields.items():
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
    """Stream one bulk query's results into a JSONL file."""

    def __init__(self, document, store: StoreData, write: Callable[[dict, bool], None],
                 cancelled: threading.Event):
        self.walker = _Walker(document)
        self.schema = self.walker.schema
        self.store = store
        self.ctx = Context(store=store, bulk_mode=True)
        self.info = SimpleNamespace(context=self.ctx)
        self.write = write  # (object, is_root)
        self.cancelled = cancelled

    def run(self) -> None:
        query_type = self.schema.query_type
        root = Root(self.ctx)
        for key, (name, fnodes) in self.walker.collect(query_type, [self.walker.operation.selection_set]).items():
            if name.startswith("__"):
                continue
            field = query_type.fields[name]
            args = get_argument_values(field, fnodes[0], {})
            named = get_named_type(field.type)
            with self.store.lock:
                value = getattr(root, name)(self.info, **args)
            if _is_connection(named):
                node_type = get_named_type(named.fields["nodes"].type)
                sets = self.walker.node_selections(named, fnodes)
                iterator = iter(value)
                while not self.cancelled.is_set():
                    with self.store.lock:
                        view = next(iterator, None)
                        if view is None:
                            break
                        self.emit(node_type, view, sets, None)
            elif value is not None and not is_leaf_type(named):
                with self.store.lock:
                    self.emit(named, value, [f.selection_set for f in fnodes if f.selection_set], None)

    def emit(self, node_type, view, sets, parent_id) -> None:
        """Write one node line, then the lines of its nested connections."""
        pending: list = []
        obj = self.complete_object(self.walker.concrete(node_type, view), view, sets, pending)
        if parent_id is not None:
            obj["__parentId"] = parent_id
        self.write(obj, parent_id is None)
        if pending:
            my_id = view.id
            for child_type, conn, child_sets in pending:
                for child in conn:
                    self.emit(child_type, child, child_sets, my_id)

    def complete_object(self, obj_type, view, sets, pending) -> dict:
        out = {}
        for key, (name, fnodes) in self.walker.collect(obj_type, sets).items():
            if name == "__typename":
                out[key] = obj_type.name
                continue
            field = obj_type.fields[name]
            attr = getattr(view, name) if not isinstance(view, dict) else view.get(name)
            if callable(attr):
                attr = attr(self.info, **get_argument_values(field, fnodes[0], {}))
            named = get_named_type(field.type)
            if isinstance(attr, StreamConnection):
                node_type = get_named_type(named.fields["nodes"].type)
                pending.append((node_type, attr, self.walker.node_selections(named, fnodes)))
                continue
            sub_sets = [f.selection_set for f in fnodes if f.selection_set]
            out[key] = self.complete(field.type, attr, sub_sets, pending)
        return out

    def complete(self, gql_type, value, sets, pending):
        if value is None:
            return None
        if is_non_null_type(gql_type):
            gql_type = gql_type.of_type
        if is_list_type(gql_type):
            return [self.complete(gql_type.of_type, v, sets, pending) for v in value]
        if is_enum_type(gql_type):
            return value
        if is_leaf_type(gql_type):
            coerce = getattr(gql_type, "coerce_output_value", None) or gql_type.serialize
            return coerce(value)
        return self.complete_object(self.walker.concrete(gql_type, value), value, sets, pending)


class BulkManager:
    """All bulk operations of one server (at most one running QUERY operation per store)."""

    def __init__(self, directory: str, base_url: Callable[[], str], delay_ms: int = 300):
        self.directory = Path(directory)
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
        thread = threading.Thread(target=self._run, args=(op, document, store), daemon=True,
                                  name=f"bulk-{op.num}")
        self._threads.append(thread)
        thread.start()
        return op, []

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
        return op, []

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
