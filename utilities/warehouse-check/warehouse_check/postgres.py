"""PostgreSQL: TCP reachability, login, then CREATE rights via the privilege functions (read-only)."""

from __future__ import annotations

import os
import socket


def _settings() -> dict:
    return {
        "host": os.environ.get("PGHOST") or "127.0.0.1",
        "port": int(os.environ.get("PGPORT") or 5432),
        "user": os.environ.get("PGUSER") or "",
        "password": os.environ.get("PGPASSWORD") or "",
        "dbname": os.environ.get("PGDATABASE") or "",
    }


def _last_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    # psycopg: 'connection failed: connection to server at "h" (ip), port p failed: FATAL:  role ... '
    return text.split("FATAL:", 1)[-1].strip()


def check(schemas: list[str], timeout: int) -> str:
    from .cli import CheckFailed

    cfg = _settings()
    where = f"{cfg['host']}:{cfg['port']}"
    for name, var in (("user", "PGUSER"), ("dbname", "PGDATABASE")):
        if not cfg[name]:
            raise CheckFailed(f"{var} is not set (the PostgreSQL {name} the loader and dbt use)")

    try:
        with socket.create_connection((cfg["host"], cfg["port"]), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise CheckFailed(f"cannot reach PostgreSQL at {where} ({reason.lower()}); "
                          "check PGHOST/PGPORT and that the server runs") from None

    import psycopg

    try:
        con = psycopg.connect(**cfg, connect_timeout=timeout, autocommit=True)
    except psycopg.OperationalError as exc:
        message = _last_line(exc)
        if "does not exist" in message and "database" in message:
            raise CheckFailed(f"PostgreSQL at {where}: {message}; check PGDATABASE") from None
        raise CheckFailed(f"PostgreSQL at {where} refused user \"{cfg['user']}\": {message}; "
                          "check PGUSER/PGPASSWORD") from None

    with con:
        user, database = con.execute("select current_user, current_database()").fetchone()
        for schema in schemas:
            exists = con.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone()
            if exists:
                can = con.execute("select has_schema_privilege(%s, 'CREATE') and has_schema_privilege(%s, 'USAGE')",
                                  (schema, schema)).fetchone()[0]
                if not can:
                    raise CheckFailed(f"user \"{user}\" may not create tables in schema \"{schema}\" of database "
                                      f"\"{database}\"; grant it: "
                                      f"GRANT USAGE, CREATE ON SCHEMA \"{schema}\" TO \"{user}\"")
            else:
                can = con.execute("select has_database_privilege(current_database(), 'CREATE')").fetchone()[0]
                if not can:
                    raise CheckFailed(f"user \"{user}\" may not create schema \"{schema}\" in database \"{database}\"; "
                                      f"grant it: GRANT CREATE ON DATABASE \"{database}\" TO \"{user}\"")
    return f"PostgreSQL {where}/{database} as \"{user}\": reachable, logged in, may write {', '.join(schemas)}"
