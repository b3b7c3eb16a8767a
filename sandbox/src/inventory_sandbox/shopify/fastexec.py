"""A plain executor for the read queries taps send, with graphql-core as the reference and fallback.

graphql-core's ``execute`` spends most of a 250-node page in per-field bookkeeping (paths, resolve infos,
awaitable checks): about 80% of the sandbox's time per page. This executor walks the same view objects with
the same rules (default field resolver, argument coercion by graphql-core's own ``get_argument_values``,
leaf values through each type's own output coercion, abstract types through ``Node.resolve_type``, merged
fields in collection order), with field plans built once per (type, selection) of a request.

It only answers when it can answer exactly as graphql-core would; everything else raises ``Unsupported``
and the caller runs graphql-core's ``execute`` instead:

- mutations (side effects), subscriptions, introspection fields, directives (``@include``/``@skip``...),
  variables that do not coerce, a missing operation;
- any exception while resolving (graphql-core would turn it into a located error and a null), a null
  for a non-null field, a list value that is not a list, an abstract value of no valid type.

Resolvers of queries only read the store, so running a query again through graphql-core after a fallback
changes nothing. ``tests/test_shopify_fastexec.py`` compares the two executors on the taps' queries and on
queries built to hit each rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    visit,
)
from graphql.execution.values import get_argument_values, get_variable_values


class Unsupported(Exception):  # noqa: N818 - a signal, not an error
    """This request is left to graphql-core (see the module docstring)."""


class _HasDirective(Visitor):
    found = False

    def enter_directive(self, *_args):
        self.found = True
        return self.BREAK


def document_has_directives(document: DocumentNode) -> bool:
    visitor = _HasDirective()
    visit(document, visitor)
    return visitor.found


class ResolveInfo:
    """What the sandbox's resolvers read from graphql-core's ``GraphQLResolveInfo``: the context."""

    __slots__ = ("context",)

    def __init__(self, context):
        self.context = context


# Python types whose values graphql-core's built-in scalars return unchanged (Int: 32-bit only).
_AS_IS: dict[str, type] = {"Int": int, "String": str, "ID": str, "Boolean": bool}
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _leaf_completer(leaf_type, *, non_null: bool) -> Callable[[Any], Any]:
    """graphql-core's ``complete_leaf_value`` (and its null check for a non-null field), with no call at all
    for a value the scalar returns unchanged."""
    coerce = getattr(leaf_type, "coerce_output_value", None) or leaf_type.serialize

    def other(v):
        if v is None:
            if non_null:
                raise Unsupported("null for a non-null field")
            return None
        out = coerce(v)  # an exception here is graphql-core's field error: the caller falls back
        if out is None:
            raise Unsupported("leaf coerced to null")
        return out

    kind = _AS_IS.get(leaf_type.name)
    if kind is int:
        return lambda v: v if type(v) is int and _INT_MIN <= v <= _INT_MAX else other(v)
    if kind is not None:
        return lambda v: v if type(v) is kind else other(v)
    return other


class _Request:
    """One execution: variables coerced, plans per (type, selection sets)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
                 variables, context):
        self.schema = schema
        self.variables = variables
        self.info = ResolveInfo(context)
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.operation = operation
        self._plans: dict = {}

    # -- field collection (graphql-core's collect_fields without directives, which are excluded)
    def _applies(self, type_condition, obj_type) -> bool:
        if type_condition is None:
            return True
        cond = self.schema.get_type(type_condition.name.value)
        if cond is obj_type:
            return True
        return cond is not None and is_abstract_type(cond) and self.schema.is_sub_type(cond, obj_type)

    def _collect(self, obj_type, selection_sets, out: dict, seen: set) -> dict:
        for selection_set in selection_sets:
            for sel in selection_set.selections:
                if isinstance(sel, FieldNode):
                    key = sel.alias.value if sel.alias else sel.name.value
                    out.setdefault(key, []).append(sel)
                elif isinstance(sel, InlineFragmentNode):
                    if self._applies(sel.type_condition, obj_type):
                        self._collect(obj_type, [sel.selection_set], out, seen)
                elif isinstance(sel, FragmentSpreadNode):
                    name = sel.name.value
                    if getattr(sel, "arguments", None):
                        raise Unsupported("fragment arguments")
                    if name in seen:
                        continue
                    seen.add(name)
                    frag = self.fragments.get(name)
                    if frag is not None and self._applies(frag.type_condition, obj_type):
                        self._collect(obj_type, [frag.selection_set], out, seen)
        return out

    def plan(self, obj_type, selection_sets) -> list[tuple]:
        """[(response key, field name, args, completer)] in graphql-core's field order."""
        key = (obj_type.name, tuple(id(s) for s in selection_sets))
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        plan = []
        for response_key, nodes in self._collect(obj_type, selection_sets, {}, set()).items():
            name = nodes[0].name.value
            if name == "__typename":
                plan.append((response_key, name, None, obj_type.name))
                continue
            if name.startswith("__"):
                raise Unsupported("introspection")
            field = obj_type.fields[name]
            args = get_argument_values(field, nodes[0], self.variables)
            sub_sets = [n.selection_set for n in nodes if n.selection_set]
            plan.append((response_key, name, args, self._completer(field.type, sub_sets)))
        self._plans[key] = plan
        return plan

    def _completer(self, gql_type, sub_sets) -> Callable[[Any], Any]:
        """A function completing one resolved value of ``gql_type`` (``sub_sets``: its selections)."""
        if is_non_null_type(gql_type):
            if is_leaf_type(gql_type.of_type):
                return _leaf_completer(gql_type.of_type, non_null=True)
            inner = self._completer(gql_type.of_type, sub_sets)

            def non_null(v):
                out = inner(v)
                if out is None:
                    raise Unsupported("null for a non-null field")
                return out
            return non_null
        if is_list_type(gql_type):
            item = self._completer(gql_type.of_type, sub_sets)

            def as_list(v):
                if v is None:
                    return None
                if type(v) is not list and type(v) is not tuple:
                    raise Unsupported("list value of another kind")
                return [item(x) for x in v]
            return as_list
        if is_leaf_type(gql_type):
            return _leaf_completer(gql_type, non_null=False)
        if is_abstract_type(gql_type):
            plans: dict = {}

            def abstract(v):
                if v is None:
                    return None
                runtime = self._runtime_type(gql_type, v)
                plan = plans.get(runtime.name)
                if plan is None:
                    plan = plans[runtime.name] = self.plan(runtime, sub_sets)
                return self.fill(plan, v)
            return abstract
        if gql_type.is_type_of is not None:
            raise Unsupported("is_type_of")
        cell: list = []  # the plan, built on first use (object types may be recursive)

        def obj(v):
            if v is None:
                return None
            if not cell:
                cell.append(self.plan(gql_type, sub_sets))
            return self.fill(cell[0], v)
        return obj

    def _runtime_type(self, abstract, value):
        resolve = abstract.resolve_type
        if resolve is None:
            raise Unsupported("no resolve_type")
        name = resolve(value, self.info, abstract)
        runtime = self.schema.get_type(name) if isinstance(name, str) else None
        if runtime is None or not self.schema.is_sub_type(abstract, runtime) or runtime.is_type_of is not None:
            raise Unsupported("abstract value of no valid type")
        return runtime

    def fill(self, plan: list[tuple], source) -> dict:
        """One object: graphql-core's default field resolver for each planned field, then completion."""
        out = {}
        info = self.info
        kind = type(source)
        is_mapping = _IS_MAPPING.get(kind)
        if is_mapping is None:
            is_mapping = _IS_MAPPING[kind] = issubclass(kind, Mapping)
        for response_key, name, args, complete in plan:
            if args is None:  # __typename
                out[response_key] = complete
                continue
            value = source.get(name) if is_mapping else getattr(source, name, None)
            if callable(value):
                value = value(info, **args)
            out[response_key] = complete(value)
        return out


_IS_MAPPING: dict[type, bool] = {}


def execute_query(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode | None,
                  root_value, context, raw_variables: dict) -> dict:
    """``data`` of a query as graphql-core would return it (with no errors), or raise ``Unsupported``."""
    if operation is None or operation.operation != OperationType.QUERY:
        raise Unsupported("not a query")
    variables = get_variable_values(schema, operation.variable_definitions or (), raw_variables or {})
    if isinstance(variables, list):
        raise Unsupported("variables do not coerce")
    request = _Request(schema, document, operation, variables, context)
    try:
        return request.fill(request.plan(schema.query_type, [operation.selection_set]), root_value)
    except Unsupported:
        raise
    except Exception as exc:  # noqa: BLE001 - graphql-core turns it into a located error: let it
        raise Unsupported(f"{type(exc).__name__} while resolving") from exc
