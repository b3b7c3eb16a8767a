"""Snowflake: login (which is also the reachability test), the database, then CREATE rights by doing.

Role hierarchies make grants impractical to read, so the rights check does what the loader is about to do:
`create schema if not exists` for each schema (the loader would create them anyway), then a temporary table
in each, dropped at once.
"""

from __future__ import annotations

import os
import re
import secrets

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def _settings() -> dict:
    cfg = {
        "account": os.environ.get("SNOWFLAKE_ACCOUNT") or "",
        "user": os.environ.get("SNOWFLAKE_USER") or "",
        "password": os.environ.get("SNOWFLAKE_PASSWORD") or None,
        "database": os.environ.get("SNOWFLAKE_DATABASE") or "",
        "role": os.environ.get("SNOWFLAKE_ROLE") or None,
        "warehouse": os.environ.get("SNOWFLAKE_WAREHOUSE") or None,
    }
    return {k: v for k, v in cfg.items() if v is not None}


def _message(exc: BaseException) -> str:
    text = getattr(exc, "msg", None) or str(exc)
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return " ".join(lines) if lines else type(exc).__name__


def check(schemas: list[str], timeout: int) -> str:
    from .cli import CheckFailed

    cfg = _settings()
    for name, var in (("account", "SNOWFLAKE_ACCOUNT"), ("user", "SNOWFLAKE_USER"), ("database", "SNOWFLAKE_DATABASE")):
        if not cfg.get(name):
            raise CheckFailed(f"{var} is not set (the Snowflake {name} the loader and dbt use)")
    bad = [s for s in [cfg["database"], *schemas] if not IDENTIFIER.match(s)]
    if bad:
        raise CheckFailed(f"not a plain Snowflake identifier: {bad[0]!r}")
    if "password" not in cfg and not os.environ.get("SNOWFLAKE_PRIVATE_KEY_PATH"):
        raise CheckFailed("SNOWFLAKE_PASSWORD is not set (nor a key pair)")

    import snowflake.connector
    from snowflake.connector import errors

    where = f"account {cfg['account']}"
    database = cfg["database"]
    try:
        con = snowflake.connector.connect(**cfg, login_timeout=timeout, network_timeout=timeout,
                                          client_session_keep_alive=False)
    except errors.DatabaseError as exc:
        message = _message(exc)
        unreachable = isinstance(exc, errors.OperationalError) or any(
            s in message for s in ("Could not connect", "timed out", "Connection refused", "Max retries"))
        if unreachable:
            raise CheckFailed(f"cannot reach Snowflake {where} ({message}); check SNOWFLAKE_ACCOUNT and the "
                              "network") from None
        raise CheckFailed(f"Snowflake {where} refused user \"{cfg['user']}\": {message}; "
                          "check SNOWFLAKE_USER/SNOWFLAKE_PASSWORD/SNOWFLAKE_ROLE") from None

    with con:
        cur = con.cursor()
        try:
            cur.execute(f"use database {database}")
        except errors.Error as exc:
            raise CheckFailed(f"Snowflake database {database} does not exist or role may not use it "
                              f"({_message(exc)}); check SNOWFLAKE_DATABASE/SNOWFLAKE_ROLE") from None
        probe = f"WAREHOUSE_CHECK_{secrets.token_hex(4).upper()}"
        for schema in schemas:
            try:
                cur.execute(f"create schema if not exists {database}.{schema}")
            except errors.Error as exc:
                raise CheckFailed(f"role may not create schema {schema} in database {database} ({_message(exc)}); "
                                  f"grant it: GRANT CREATE SCHEMA ON DATABASE {database} TO ROLE <role>") from None
            try:
                # A plain table, dropped at once: temporary tables cannot be created in a named schema on
                # every Snowflake look-alike, and the loader needs CREATE TABLE there anyway.
                cur.execute(f"create table {database}.{schema}.{probe} (id integer)")
                cur.execute(f"drop table if exists {database}.{schema}.{probe}")
            except errors.Error as exc:
                raise CheckFailed(f"role may not create tables in {database}.{schema} ({_message(exc)}); "
                                  f"grant it: GRANT USAGE, CREATE TABLE ON SCHEMA {database}.{schema} "
                                  "TO ROLE <role>") from None
    return f"Snowflake {where}, database {database}: logged in, may write {', '.join(schemas)}"
