"""Relay-style cursor pagination over id-ordered row handles.

A connection is an ordered sequence of handles (``range`` or ``array``) whose ``sort_key`` (the numeric id
the rows are ordered by) ascends with the position, plus a ``visible`` predicate (alive rows that match the
search query). Cursors are opaque base64 JSON like Shopify's (``{"last_id": 123, "last_value": "123"}``).
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence

from graphql import GraphQLError

MAX_PAGE_SIZE = 250


class PageError(GraphQLError):
    """Invalid pagination arguments (reported like Shopify does, as a GraphQL error)."""


def encode_cursor(key: int) -> str:
    raw = json.dumps({"last_id": key, "last_value": str(key)}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        return int(json.loads(base64.b64decode(cursor.encode(), validate=True))["last_id"])
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise PageError("Invalid cursor for current pagination sort.") from None


def check_page_args(field_name: str, first, last) -> None:
    if first is None and last is None:
        raise PageError("you must provide one of first or last")
    if first is not None and last is not None:
        raise PageError(f"Passing both `first` and `last` to paginate the `{field_name}` connection is not "
                        "supported.")
    n = first if first is not None else last
    if n > MAX_PAGE_SIZE:
        raise PageError(f"The page size must be less than or equal to {MAX_PAGE_SIZE}")
    if n < 0:
        raise PageError("The page size must be greater than or equal to 0")


def _exists(seq: Sequence, visible: Callable, positions: range) -> bool:
    """Is any row at these positions visible? (exact: hasNextPage is never a guess)"""
    return any(visible(seq[pos]) for pos in positions)


def page(seq: Sequence, sort_key: Callable[[int], int], visible: Callable[[int], bool], *,
         first: int | None, last: int | None, after: str | None, before: str | None):
    """Return ``(handles, has_previous_page, has_next_page)`` for one page."""
    start, end = 0, len(seq)
    if after is not None:
        start = bisect_right(seq, decode_cursor(after), key=sort_key)
    if before is not None:
        end = max(start, bisect_left(seq, decode_cursor(before), key=sort_key))
    out: list[int] = []
    if first is not None:
        pos = start
        while pos < end and len(out) < first:
            h = seq[pos]
            if visible(h):
                out.append(h)
            pos += 1
        has_next = _exists(seq, visible, range(pos, end))
        has_prev = start > 0 and _exists(seq, visible, range(start - 1, -1, -1))
    else:
        pos = end - 1
        while pos >= start and len(out) < last:
            h = seq[pos]
            if visible(h):
                out.append(h)
            pos -= 1
        out.reverse()
        has_prev = _exists(seq, visible, range(pos, start - 1, -1))
        has_next = end < len(seq) and _exists(seq, visible, range(end, len(seq)))
    return out, has_prev, has_next


def stream(seq: Sequence, visible: Callable[[int], bool]) -> Iterator[int]:
    """Every visible handle in order (bulk operations ignore paging)."""
    for h in seq:
        if visible(h):
            yield h
