"""Shopify search syntax (the subset used for inventory): ``field:value`` terms.

Supported: ``field:value``, ``field:>=value`` (also ``>``, ``<``, ``<=``), implicit AND, explicit ``AND``,
``OR`` (AND binds tighter), ``NOT term`` / ``-term``, values in single or double quotes.

Shopify's datetime quirk is reproduced: a *quoted* datetime compares to the second, an *unquoted* one
compares by its date only (``updated_at:>2025-01-05T12:00:00Z`` means "updated on 2025-01-06 or later").
Unknown fields and free text are ignored, as Shopify does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .data import parse_iso

_TERM = re.compile(
    r"""\s*(?:
        (?P<neg>-)?(?P<field>[A-Za-z_][\w.]*):(?P<op><=|>=|<|>|=)?
            (?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)"|(?P<bare>[^\s()]*))
      | (?P<word>'[^']*'|"[^"]*"|[^\s()]+)
      | (?P<paren>[()])
    )""",
    re.VERBOSE,
)

DATETIME, STRING, ID = "datetime", "string", "id"


@dataclass(frozen=True)
class Term:
    field: str
    op: str          # one of = < <= > >=
    value: str
    quoted: bool
    negate: bool = False


def parse(query: str | None) -> list[list[Term]]:
    """Query string -> OR-list of AND-lists of terms. Empty list = match everything."""
    if not query or not query.strip():
        return []
    groups: list[list[Term]] = [[]]
    negate_next = False
    pos = 0
    while pos < len(query):
        m = _TERM.match(query, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group("field"):
            quoted = m.group("sq") is not None or m.group("dq") is not None
            value = next(v for v in (m.group("sq"), m.group("dq"), m.group("bare")) if v is not None)
            groups[-1].append(Term(m.group("field").lower(), m.group("op") or "=", value, quoted,
                                   negate=bool(m.group("neg")) != negate_next))
            negate_next = False
        elif m.group("word"):
            word = m.group("word")
            if word == "OR":
                if groups[-1]:
                    groups.append([])
            elif word == "NOT":
                negate_next = True
            # "AND" and free text are no-ops here.
    return [g for g in groups if g]


def _compare(left, op: str, right) -> bool:
    if op == "=":
        return left == right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    return left <= right


def _term_predicate(term: Term, kind: str, getter: Callable) -> Callable | None:
    """Predicate over a row handle for one term, or None when the term cannot be applied (ignored)."""
    op = term.op
    if kind == DATETIME:
        try:
            if term.quoted:
                wanted = parse_iso(term.value)
                pred = lambda h: _compare(getter(h), op, wanted)  # noqa: E731
            else:
                # Unquoted: only the date part counts, on both sides.
                wanted_day = parse_iso(term.value[:10]) // 86400
                pred = lambda h: _compare(getter(h) // 86400, op, wanted_day)  # noqa: E731
        except ValueError:
            return None
    elif kind == ID:
        tail = term.value.split("?", 1)[0].rsplit("/", 1)[-1]
        if not tail.isdigit():
            return None
        wanted_id = int(tail)
        pred = lambda h: _compare(getter(h), op, wanted_id)  # noqa: E731
    else:
        value = term.value.lower()
        if op == "=" and value.endswith("*"):
            prefix = value[:-1]
            pred = lambda h: (getter(h) or "").lower().startswith(prefix)  # noqa: E731
        else:
            pred = lambda h: getter(h) is not None and _compare(getter(h).lower(), op, value)  # noqa: E731
    if term.negate:
        return lambda h: not pred(h)
    return pred


def compile_filter(query: str | None, fields: dict[str, tuple[str, Callable]]) -> Callable | None:
    """Build ``predicate(handle) -> bool`` for a connection; ``fields`` maps a search field to (kind, getter).

    Returns None when nothing filters (no query, or only unknown fields).
    """
    ors = []
    for group in parse(query):
        preds = []
        for term in group:
            if term.field in fields:
                pred = _term_predicate(term, *fields[term.field])
                if pred is not None:
                    preds.append(pred)
        if not preds:
            return None  # one OR branch matches everything
        ors.append(preds)
    if not ors:
        return None
    if len(ors) == 1:
        preds = ors[0]
        if len(preds) == 1:
            return preds[0]
        return lambda h: all(p(h) for p in preds)
    return lambda h: any(all(p(h) for p in preds) for preds in ors)
