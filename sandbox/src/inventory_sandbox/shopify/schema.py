"""The executable schema: SDL from ``schema.graphql`` plus type resolution for the ``Node`` interface.

Some lines of the SDL exist only in some API versions: a line ending in ``# @since YYYY-MM`` from that version
on, one ending in ``# @before YYYY-MM`` in versions before it (the compare-and-set inputs of the inventory
mutations changed in 2026-01 and 2026-04). ``get_schema(version)`` returns the schema of one version; versions
that keep and drop the same lines share one schema object. ``unstable`` is newer than every dated version.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from graphql import GraphQLSchema, build_schema

LATEST = "9999-12"  # what ``unstable`` and a missing version compare as
_MARKER = re.compile(r"#\s*@(since|before)\s+(\d{4}-\d{2})\s*$")


def _resolve_type(value, info, abstract_type):
    return getattr(value, "TYPENAME", None)


def _sdl() -> str:
    return resources.files(__package__).joinpath("schema.graphql").read_text()


def version_key(version: str | None) -> str:
    """A version as a sortable ``YYYY-MM`` string (``unstable`` and None: newer than any)."""
    return version if version and re.fullmatch(r"\d{4}-\d{2}", version) else LATEST


@lru_cache(maxsize=1)
def _markers() -> tuple[str, ...]:
    return tuple(sorted({m[2] for line in _sdl().splitlines() if (m := _MARKER.search(line))}))


def get_schema(version: str | None = None) -> GraphQLSchema:
    """The schema of API ``version`` (None: the newest)."""
    key = version_key(version)
    return _schema(tuple(key >= marker for marker in _markers()))


@lru_cache(maxsize=8)
def _schema(reached: tuple[bool, ...]) -> GraphQLSchema:
    reached_by = dict(zip(_markers(), reached, strict=True))
    lines = []
    for line in _sdl().splitlines():
        m = _MARKER.search(line)
        if m and reached_by[m[2]] != (m[1] == "since"):
            continue
        lines.append(line)
    schema = build_schema("\n".join(lines))
    schema.get_type("Node").resolve_type = _resolve_type
    # Custom scalars: values are produced already serialized (strings), pass them through.
    for name in ("DateTime", "Decimal", "UnsignedInt64", "URL"):
        scalar = schema.get_type(name)
        if hasattr(scalar, "coerce_output_value"):  # graphql-core >= 3.3
            scalar.coerce_output_value = str
        scalar.serialize = str
    return schema
