"""What sqlfluff's jinja templater needs to render our models without dbt (transform/.sqlfluff `library_path`).

sqlfluff already emulates `ref`, `source`, `config`, `is_incremental` and `this`; this adds `env_var`, `var`
(its default), `exceptions`, `adapter.dispatch` for our dispatched macros (the DuckDB flavour) and the
`dbt.*` cross-database macros we call, each rendered as plain DuckDB SQL. Lint only: dbt never reads this.
"""

from __future__ import annotations

import os
from pathlib import Path


def env_var(name, default=""):
    return os.environ.get(name, default)


def _known_channels() -> list[str]:
    """The project's `known_channels` var (transform/dbt_project.yml), so lint renders every channel's branch."""
    import yaml  # sqlfluff's own dependency

    project = Path(__file__).resolve().parents[2] / "dbt_project.yml"
    return list(yaml.safe_load(project.read_text())["vars"]["known_channels"])


def var(name, default=None):
    channels = _known_channels()
    known = {"known_channels": channels, "channels": ",".join(channels), "webhooks": ""}
    return known.get(name, default)


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message):
        raise RuntimeError(message)

    @staticmethod
    def warn(message):
        return ""


exceptions = _Exceptions()


def _surrogate_key(columns):
    parts = " || '|' || ".join(f"coalesce(cast({c} as varchar), '_null_')" for c in columns)
    return f"md5({parts})"


def _latest_row_per_key(relation, key_columns, order_by="synced_at desc"):
    return (f"select * from {relation} qualify row_number() over "
            f"(partition by {', '.join(key_columns)} order by {order_by}) = 1")


_DISPATCHED = {
    "surrogate_key": _surrogate_key,
    "latest_row_per_key": _latest_row_per_key,
    "utc_now": lambda: "cast(timezone('UTC', now()) as timestamp)",
}


class _Adapter:
    @staticmethod
    def dispatch(name, namespace=None):
        return _DISPATCHED[name]

    @staticmethod
    def get_relation(database=None, schema=None, identifier=None):
        return None  # lint renders the branch for a relation that does not exist yet


adapter = _Adapter()
invocation_id = "00000000-0000-0000-0000-000000000000"


class _Target:
    type = "duckdb"
    database = "warehouse"
    schema = "analytics"


target = _Target()


class _Dbt:
    type_string = staticmethod(lambda: "varchar")
    type_timestamp = staticmethod(lambda: "timestamp")
    type_float = staticmethod(lambda: "float")
    type_numeric = staticmethod(lambda: "numeric(28, 6)")
    type_int = staticmethod(lambda: "integer")
    type_boolean = staticmethod(lambda: "boolean")
    current_timestamp = staticmethod(lambda: "now()")
    hash = staticmethod(lambda field: f"md5(cast({field} as varchar))")
    concat = staticmethod(lambda fields: " || ".join(fields))
    date_trunc = staticmethod(lambda datepart, date: f"date_trunc('{datepart}', {date})")
    dateadd = staticmethod(lambda datepart, interval, ts: f"({ts} + ({interval}) * interval '1 {datepart}')")
    datediff = staticmethod(lambda first, second, datepart: f"date_diff('{datepart}', {first}, {second})")

    @staticmethod
    def listagg(measure, delimiter_text="','", order_by_clause=None, limit_num=None):
        return f"string_agg({measure}, {delimiter_text} {order_by_clause or ''})"


dbt = _Dbt()
