"""Query cost calculation, computed from the parsed query and the schema.

``measured`` (default) models what the live Admin API charges (as independent measurements found;
docs/interfaces.md section 5): scalars and enums 0, objects 1, ``MoneyV2`` 0, a list of objects that is not
a connection costs its object's cost once, a connection costs ``2 + m(n) * node_cost`` where ``n`` is
``first``/``last`` and ``m`` grows roughly logarithmically with ``n``; ``node_cost`` is 1 plus the cost of
the node's selected sub-objects (so nested connections multiply). ``linear`` is Shopify's published rule,
``2 + n * node_cost``, the stricter option. A mutation costs 10 plus the objects its payload selects
(``inventorySetQuantities { inventoryAdjustmentGroup { id } userErrors { code } }``: 10 + 1 + 1 = 12).

The *requested* cost uses ``n`` from the arguments (variables resolved, fragments and inline fragments
honoured). The *actual* cost is the same walk over the returned data with ``n`` = nodes returned; for a
connection whose nodes differ (nested connections of different sizes) the most expensive node is used
under ``measured`` and the sum of node costs under ``linear``.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationType,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.utilities import get_operation_ast

MODELS = ("measured", "linear")
MUTATION_COST = 10
FREE_TYPES = frozenset({"MoneyV2"})
# (largest n, multiplier) steps of the measured model; above 200 -> 11.
_MEASURED_STEPS = ((2, 1), (4, 2), (7, 3), (12, 4), (20, 5), (39, 6), (59, 7), (79, 8), (127, 9), (200, 10))

_REQUESTED = object()  # walk marker: no data, use the arguments


def multiplier(n: int, model: str = "measured") -> int:
    """How many times a connection pays for its node at page size ``n``."""
    if n <= 0:
        return 0
    if model == "linear":
        return n
    for upper, m in _MEASURED_STEPS:
        if n <= upper:
            return m
    return 11


class QueryCost:
    """Cost of one operation of a validated document."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None = None,
                 variables: dict | None = None, model: str = "measured"):
        if model not in MODELS:
            raise ValueError(f"unknown cost model {model!r}")
        self.schema = schema
        self.model = model
        self.operation = get_operation_ast(document, operation_name)
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.variables: dict = {}
        if self.operation is not None:
            for definition in self.operation.variable_definitions or ():
                if definition.default_value is not None and isinstance(definition.default_value, IntValueNode):
                    self.variables[definition.variable.name.value] = int(definition.default_value.value)
        self.variables.update(variables or {})
        # (type, selection sets) -> collected fields; fixed for one operation and its variables, and asked
        # for once per returned row by ``actual``.
        self._collected: dict = {}

    # ------------------------------------------------------------------ public
    def requested(self) -> int:
        return self._operation_cost(_REQUESTED)

    def actual(self, data) -> int:
        return self._operation_cost(data)

    # ------------------------------------------------------------------ walk
    def _operation_cost(self, value) -> int:
        op = self.operation
        if op is None:
            return 0
        if op.operation == OperationType.MUTATION:  # each mutation field 10, plus the objects of its payload
            mutation_type = self.schema.mutation_type
            return sum(MUTATION_COST + self._selection_cost(get_named_type(mutation_type.fields[name].type),
                                                            [n.selection_set for n in nodes if n.selection_set],
                                                            _REQUESTED)
                       for name, nodes in self._collect(mutation_type, [op.selection_set]).values()
                       if name in mutation_type.fields)
        root = self.schema.query_type
        return self._selection_cost(root, [op.selection_set], value)

    def _included(self, node) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("include", "skip"):
                continue
            arg = next((a for a in directive.arguments if a.name.value == "if"), None)
            if arg is None:
                continue
            if isinstance(arg.value, VariableNode):
                flag = bool(self.variables.get(arg.value.name.value))
            else:
                flag = bool(getattr(arg.value, "value", False))
            if (name == "include") != flag:
                return False
        return True

    def _applies(self, type_condition, obj_type: GraphQLObjectType) -> bool:
        if type_condition is None:
            return True
        cond = self.schema.get_type(type_condition.name.value)
        if cond is None:
            return False
        if cond is obj_type:
            return True
        return is_abstract_type(cond) and self.schema.is_sub_type(cond, obj_type)

    def _collect(self, obj_type, selection_sets, out=None) -> dict[str, tuple[str, list[FieldNode]]]:
        """Fields selected on a concrete type, merged by response key (fragments expanded)."""
        if out is None:
            key = (obj_type, tuple(id(s) for s in selection_sets))
            collected = self._collected.get(key)
            if collected is None:
                collected = self._collected[key] = self._collect(obj_type, selection_sets, {})
            return collected
        for selection_set in selection_sets:
            for sel in selection_set.selections:
                if not self._included(sel):
                    continue
                if isinstance(sel, FieldNode):
                    key = sel.alias.value if sel.alias else sel.name.value
                    out.setdefault(key, (sel.name.value, []))[1].append(sel)
                elif isinstance(sel, InlineFragmentNode):
                    if self._applies(sel.type_condition, obj_type):
                        self._collect(obj_type, [sel.selection_set], out)
                elif isinstance(sel, FragmentSpreadNode):
                    frag = self.fragments.get(sel.name.value)
                    if frag is not None and self._applies(frag.type_condition, obj_type):
                        self._collect(obj_type, [frag.selection_set], out)
        return out

    def _priced_fields(self, obj_type, selection_sets) -> list[tuple]:
        """[(response key, named type, field nodes, sub selection sets)] of the fields selected on a concrete
        type that can cost anything: scalars, enums, free types and ``__typename`` always cost 0."""
        key = (obj_type, tuple(id(s) for s in selection_sets), "priced")
        fields = self._collected.get(key)
        if fields is None:
            fields = []
            for response_key, (name, nodes) in self._collect(obj_type, selection_sets).items():
                if name.startswith("__"):
                    continue  # __typename and introspection are free
                field = obj_type.fields.get(name)
                if field is None:
                    continue
                named = get_named_type(field.type)
                if is_leaf_type(named) or named.name in FREE_TYPES:
                    continue
                fields.append((response_key, named, nodes, [n.selection_set for n in nodes if n.selection_set]))
            self._collected[key] = fields
        return fields

    def _selection_cost(self, parent_type, selection_sets, value) -> int:
        """Sum of the costs of the fields selected on ``parent_type`` (max over concrete types)."""
        if is_abstract_type(parent_type):
            return max((self._selection_cost(t, selection_sets, value)
                        for t in self.schema.get_possible_types(parent_type)), default=0)
        total = 0
        for key, named, nodes, sub_sets in self._priced_fields(parent_type, selection_sets):
            sub_value = value if value is _REQUESTED else (value.get(key) if isinstance(value, dict) else None)
            total += self._field_cost(named, nodes, sub_sets, sub_value)
        return total

    def _field_cost(self, named, nodes: list[FieldNode], sub_sets: list, value) -> int:
        if named.name.endswith("Connection"):
            return self._connection_cost(named, nodes, sub_sets, value)
        if value is _REQUESTED:
            return 1 + self._selection_cost(named, sub_sets, _REQUESTED)
        if isinstance(value, list):  # a plain list of objects costs one object
            if not is_abstract_type(named) and not self._priced_fields(named, sub_sets):
                return 1  # every element costs 1 + 0
            return 1 + max((self._selection_cost(named, sub_sets, v) for v in value if v is not None), default=0)
        if value is None:
            return 1
        return 1 + self._selection_cost(named, sub_sets, value)

    def _page_size(self, nodes: list[FieldNode]) -> int:
        for node in nodes:
            for arg in node.arguments or ():
                if arg.name.value not in ("first", "last"):
                    continue
                if isinstance(arg.value, VariableNode):
                    raw = self.variables.get(arg.value.name.value)
                elif isinstance(arg.value, IntValueNode):
                    raw = arg.value.value
                else:
                    raw = None
                try:
                    return max(0, int(raw))
                except (TypeError, ValueError):
                    continue
        return 0

    def _connection_cost(self, conn_type, nodes, sub_sets, value) -> int:
        node_type = get_named_type(conn_type.fields["nodes"].type)
        edge_type = get_named_type(conn_type.fields["edges"].type)
        node_sets, node_keys, edge_keys = [], [], []
        for key, (name, fnodes) in self._collect(conn_type, sub_sets).items():
            if name == "nodes":
                node_keys.append(key)
                node_sets.extend(f.selection_set for f in fnodes if f.selection_set)
            elif name == "edges":
                edge_sets = [f.selection_set for f in fnodes if f.selection_set]
                for ekey, (ename, enodes) in self._collect(edge_type, edge_sets).items():
                    if ename == "node":
                        edge_keys.append((key, ekey))
                        node_sets.extend(f.selection_set for f in enodes if f.selection_set)
        if value is _REQUESTED:
            n = self._page_size(nodes)
            return 2 + multiplier(n, self.model) * (1 + self._selection_cost(node_type, node_sets, _REQUESTED))
        if not isinstance(value, dict):
            return 2
        # Rebuild each returned node from every place it was selected (nodes{} and edges{node{}}).
        rows: list[dict] = []
        for key in node_keys:
            for i, node in enumerate(value.get(key) or ()):
                _merge_row(rows, i, node)
        for key, ekey in edge_keys:
            for i, edge in enumerate(value.get(key) or ()):
                _merge_row(rows, i, edge.get(ekey) if isinstance(edge, dict) else None)
        if not rows:
            return 2
        costs = [1 + self._selection_cost(node_type, node_sets, row) for row in rows]
        if self.model == "linear":
            return 2 + sum(costs)
        return 2 + multiplier(len(rows), self.model) * max(costs)


def _merge_row(rows: list[dict], i: int, node) -> None:
    while len(rows) <= i:
        rows.append({})
    if isinstance(node, dict):
        rows[i].update(node)
