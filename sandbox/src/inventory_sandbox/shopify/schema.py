"""The executable schema: SDL from ``schema.graphql`` plus type resolution for the ``Node`` interface."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from graphql import GraphQLSchema, build_schema


def _resolve_type(value, info, abstract_type):
    return getattr(value, "TYPENAME", None)


@lru_cache(maxsize=1)
def get_schema() -> GraphQLSchema:
    sdl = resources.files(__package__).joinpath("schema.graphql").read_text()
    schema = build_schema(sdl)
    schema.get_type("Node").resolve_type = _resolve_type
    # Custom scalars: values are produced already serialized (strings), pass them through.
    for name in ("DateTime", "Decimal", "UnsignedInt64", "URL"):
        scalar = schema.get_type(name)
        if hasattr(scalar, "coerce_output_value"):  # graphql-core >= 3.3
            scalar.coerce_output_value = str
        scalar.serialize = str
    return schema
