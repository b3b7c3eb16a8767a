"""Static guards for SQL that must run on DuckDB, PostgreSQL and Snowflake alike (no warehouse needed).

PostgreSQL truncates or refuses identifiers over 63 characters, and dbt-postgres names a unit test's
relation after the test: a long name passes on DuckDB and Snowflake but fails `dbt build` on PostgreSQL.
`qualify` does not exist in PostgreSQL: only the dispatched default macro may use it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

TRANSFORM = Path(__file__).resolve().parents[2] / "transform"
POSTGRES_MAX_IDENTIFIER = 63


def _named(kind: str) -> list[tuple[str, Path]]:
    found = []
    for path in sorted((TRANSFORM / "models").rglob("*.yml")):
        for entry in (yaml.safe_load(path.read_text()) or {}).get(kind) or []:
            found.append((entry["name"], path))
    return found


def test_unit_test_and_model_names_fit_postgres() -> None:
    names = _named("unit_tests") + [(p.stem, p) for p in (TRANSFORM / "models").rglob("*.sql")]
    too_long = [f"{name} ({path.relative_to(TRANSFORM)})" for name, path in names
                if len(name) > POSTGRES_MAX_IDENTIFIER]
    assert not too_long, f"longer than {POSTGRES_MAX_IDENTIFIER} characters (PostgreSQL's limit): {too_long}"


def test_no_qualify_outside_the_dispatched_default() -> None:
    offenders = []
    for path in sorted([*TRANSFORM.glob("models/**/*.sql"), *TRANSFORM.glob("macros/**/*.sql")]):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)
        if re.search(r"\bqualify\b", text, re.I) and path.name != "latest_row_per_key.sql":
            offenders.append(str(path.relative_to(TRANSFORM)))
    assert not offenders, f"`qualify` does not exist in PostgreSQL; use latest_row_per_key: {offenders}"
