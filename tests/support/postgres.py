"""The PostgreSQL server the warehouse tests use, and a fresh database per test.

Defaults match the CI machine (127.0.0.1:5432, user postgres, trust auth); TEST_PGHOST, TEST_PGPORT,
TEST_PGUSER and TEST_PGPASSWORD point the tests elsewhere. The server must let TEST_PGUSER create
databases and roles.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

HOST = os.environ.get("TEST_PGHOST", "127.0.0.1")
PORT = int(os.environ.get("TEST_PGPORT", "5432"))
USER = os.environ.get("TEST_PGUSER", "postgres")
# target-postgres refuses an empty password even where the server trusts the client.
PASSWORD = os.environ.get("TEST_PGPASSWORD", "postgres")


def unavailable_reason() -> str | None:
    """None when the server answers and we can log in; otherwise why not, in one line."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed in the test venv (requirements-dev.txt: meltano[postgres])"
    try:
        with socket.create_connection((HOST, PORT), timeout=2):
            pass
    except OSError as exc:
        return (f"no PostgreSQL server on {HOST}:{PORT} ({exc.strerror or exc}); start one, e.g. "
                "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    try:
        with psycopg.connect(**admin_params("postgres"), connect_timeout=5):
            pass
    except psycopg.Error as exc:
        return f"cannot log in to PostgreSQL on {HOST}:{PORT} as {USER}: {str(exc).strip().splitlines()[-1]}"
    return None


def admin_params(dbname: str) -> dict:
    return {"host": HOST, "port": PORT, "user": USER, "password": PASSWORD, "dbname": dbname}


def execute(dbname: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(**admin_params(dbname), autocommit=True) as con:
        for statement in statements:
            con.execute(statement)


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Database:
    name: str

    def params(self) -> dict:
        return admin_params(self.name)

    def rows(self, sql: str) -> list[dict]:
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(**self.params(), row_factory=dict_row) as con:
            return [{k.lower(): v for k, v in row.items()} for row in con.execute(sql).fetchall()]

    def env(self, user: str = USER, password: str = PASSWORD, host: str = HOST, port: int = PORT) -> dict[str, str]:
        """What a user exports to run the postgres jobs against this database (docs/warehouses.md)."""
        return {
            "PGHOST": host,
            "PGPORT": str(port),
            "PGUSER": user,
            "PGPASSWORD": password,
            "PGDATABASE": self.name,
            "MELTANO_DATABASE_URI": f"postgresql+psycopg://{user}:{password}@{host}:{port}/{self.name}",
        }


@contextmanager
def fresh_database(prefix: str = "inventory_test") -> Iterator[Database]:
    name = f"{prefix}_{secrets.token_hex(4)}"
    execute("postgres", f'create database "{name}"')
    try:
        yield Database(name)
    finally:
        execute("postgres", f'drop database if exists "{name}" with (force)')
