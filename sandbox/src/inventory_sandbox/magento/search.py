"""Magento's searchCriteria: filter groups (OR inside a group, AND between groups), sort orders, paging.

Parameter names in snake_case or camelCase (``filter_groups``/``filterGroups``, ``condition_type``/
``conditionType``, ``sort_orders``/``sortOrders``, ``page_size``/``pageSize``, ``current_page``/``currentPage``),
as Magento's input processor accepts both.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

CONDITIONS = ("eq", "neq", "gt", "gteq", "lt", "lteq", "moreq", "from", "to", "in", "nin", "like", "nlike",
              "null", "notnull", "finset", "nfinset")
_KEY = re.compile(r"^searchCriteria\[(?P<rest>.+)\]$")
_ALIASES = {"filterGroups": "filter_groups", "conditionType": "condition_type", "sortOrders": "sort_orders",
            "pageSize": "page_size", "currentPage": "current_page"}


class SearchError(ValueError):
    """Bad searchCriteria input: Magento answers 400 with ``message`` and ``parameters``."""

    def __init__(self, message: str, parameters=None):
        super().__init__(message)
        self.message = message
        self.parameters = parameters if parameters is not None else []


@dataclass
class Criteria:
    groups: list[list[dict]] = field(default_factory=list)
    sort: list[tuple[str, str]] = field(default_factory=list)
    page_size: int | None = None
    current_page: int | None = None
    echo: dict = field(default_factory=dict)


def parse(query: dict[str, str]) -> Criteria | None:
    """The criteria of a request, or None when no ``searchCriteria`` parameter was sent at all."""
    if not any(k == "searchCriteria" or k.startswith("searchCriteria[") for k in query):
        return None
    groups: dict[int, dict[int, dict]] = {}
    sorts: dict[int, dict] = {}
    criteria = Criteria()
    for key, value in query.items():
        m = _KEY.match(key)
        if not m:
            continue
        parts = [_ALIASES.get(p, p) for p in m["rest"].split("][")]
        if parts[0] == "filter_groups" and len(parts) == 5 and parts[2] == "filters":
            groups.setdefault(int(parts[1]), {}).setdefault(int(parts[3]), {})[_ALIASES.get(parts[4], parts[4])] = value
        elif parts[0] == "sort_orders" and len(parts) == 3:
            sorts.setdefault(int(parts[1]), {})[parts[2]] = value
        elif parts == ["page_size"]:
            criteria.page_size = _int(value, "pageSize")
        elif parts == ["current_page"]:
            criteria.current_page = _int(value, "currentPage")
    for _, group in sorted(groups.items()):
        filters = []
        for _, f in sorted(group.items()):
            if "field" not in f:
                raise SearchError('"%fieldName" is required. Enter and try again.', {"fieldName": "field"})
            condition = (f.get("condition_type") or "eq").lower()
            if condition not in CONDITIONS:
                raise SearchError('Invalid value of "%value" provided for the %fieldName field.',
                                  {"value": condition, "fieldName": "condition_type"})
            filters.append({"field": f["field"], "value": f.get("value", ""), "condition_type": condition})
        criteria.groups.append(filters)
    for _, s in sorted(sorts.items()):
        if "field" in s:
            criteria.sort.append((s["field"], (s.get("direction") or "ASC").upper()))
    criteria.echo = {"filter_groups": [{"filters": g} for g in criteria.groups]}
    if criteria.sort:
        criteria.echo["sort_orders"] = [{"field": f, "direction": d} for f, d in criteria.sort]
    if criteria.page_size is not None:
        criteria.echo["page_size"] = criteria.page_size
    if criteria.current_page is not None:
        criteria.echo["current_page"] = criteria.current_page
    return criteria


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise SearchError('Invalid value of "%value" provided for the %fieldName field.',
                          {"value": value, "fieldName": name}) from None


def _num(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(actual, value: str):
    """Both sides as numbers when both are numeric, else as strings (timestamps compare as text)."""
    a, v = _num(actual), _num(value)
    if a is not None and v is not None:
        return a, v
    return ("" if actual is None else str(actual)), str(value)


def _like(pattern: str) -> re.Pattern:
    return re.compile("^" + ".*".join(re.escape(p).replace("_", ".") for p in pattern.split("%")) + "$", re.I | re.S)


@functools.lru_cache(maxsize=64)
def _wanted(value: str) -> tuple[list[str], frozenset[str]]:
    """The values of an ``in``/``nin`` filter, parsed once per filter rather than once per row."""
    values = [v.strip() for v in value.split(",")]
    return values, frozenset(values)


def matches(row: dict, f: dict) -> bool:
    actual = row.get(f["field"])
    value, condition = f["value"], f["condition_type"]
    if condition == "null":
        return actual is None
    if condition == "notnull":
        return actual is not None
    if condition in ("in", "nin", "finset", "nfinset"):
        wanted, wanted_set = _wanted(str(value))
        if actual is not None and _num(actual) is None:
            # Fast path (same answer): a non-numeric value compares as text with every wanted value.
            hit = str(actual) in wanted_set
        else:
            hit = any(_compare(actual, w)[0] == _compare(actual, w)[1] for w in wanted)
        return hit if condition in ("in", "finset") else not hit
    if condition in ("like", "nlike"):
        hit = actual is not None and bool(_like(str(value)).match(str(actual)))
        return hit if condition == "like" else not hit
    if actual is None:
        return condition == "neq"
    a, v = _compare(actual, value)
    return {"eq": a == v, "neq": a != v, "gt": a > v, "gteq": a >= v, "moreq": a >= v, "from": a >= v,
            "lt": a < v, "lteq": a <= v, "to": a <= v}[condition]


def apply(rows: list[dict], criteria: Criteria, *, repeat_last_page: bool = True) -> tuple[list[dict], int]:
    """Filter, sort and page ``rows`` (already in the collection's natural order). Returns (page, total_count).

    A page past the end returns the last page again (Magento's ``Collection::getCurPage`` clamp) unless
    ``repeat_last_page`` is off, then it is empty. ``currentPage`` 0 acts as 1.
    """
    return page(select(rows, criteria), criteria, repeat_last_page=repeat_last_page)


def select(rows, criteria: Criteria) -> list:
    """The rows that pass every filter group, sorted by the sort orders (stable: ties keep the input order).

    A row only needs ``get(field)``: a dict, or a view that builds just the fields asked for.
    """
    selected = [r for r in rows if all(any(matches(r, f) for f in group) for group in criteria.groups if group)]
    for name, direction in reversed(criteria.sort):
        selected.sort(key=lambda r, n=name: _sort_key(r.get(n)), reverse=direction == "DESC")
    return selected


def page(selected: list, criteria: Criteria, *, repeat_last_page: bool = True) -> tuple[list, int]:
    """The requested page of an already filtered and sorted selection, and its total_count."""
    total = len(selected)
    size = criteria.page_size
    if not size:
        return selected, total
    number = max(1, criteria.current_page or 1)
    last = max(1, -(-total // size))
    if number > last:
        if not repeat_last_page:
            return [], total
        number = last
    return selected[(number - 1) * size: number * size], total


def selection_key(criteria: Criteria) -> tuple:
    """What decides a selection (filters and sort orders, not paging): requests with equal keys select alike."""
    return (tuple(tuple((f["field"], f["value"], f["condition_type"]) for f in g) for g in criteria.groups),
            tuple(criteria.sort))


def text_candidates(criteria: Criteria, field_name: str) -> set[str] | None:
    """Texts ``field_name`` must equal for a row to pass, from a group of only ``eq``/``in`` filters on it.

    Only values that are not numbers count (a number may match other spellings, ``1`` = ``1.0``); then a row
    passes such a filter only if its value as text (``""`` for none) is one of them. None when no group
    narrows the field that way. Narrowing is a shortcut for an index: the rows found still go through ``select``.
    """
    for group in criteria.groups:
        if not group or any(f["field"] != field_name or f["condition_type"] not in ("eq", "in") for f in group):
            continue
        texts: set[str] = set()
        for f in group:
            values = _wanted(str(f["value"]))[0] if f["condition_type"] == "in" else [str(f["value"])]
            if any(_num(v) is not None for v in values):
                break
            texts.update(values)
        else:
            return texts
    return None


def _sort_key(value):
    number = _num(value)
    if value is None:
        return (0, 0, "")
    if number is not None and not isinstance(value, str):
        return (1, number, "")
    return (2, 0, str(value))
