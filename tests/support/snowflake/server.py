"""Test support only: fakesnow's HTTP server plus the user-stage load path target-snowflake uses.

Run with the emulator venv's Python (see emulator.py): `python server.py --port 0 --ready-file PATH`.
It serves fakesnow 0.12.1's Snowflake REST API unchanged, except that it takes over these statements, which
MeltanoLabs target-snowflake 0.20.x sends and fakesnow does not run as shipped (docs/warehouses.md):

1. `put 'file://...' '@~/<path>'`: the user stage `@~` (and the quoted stage argument) -> fakesnow's own PUT to
   the internal stage FAKESNOW_SHIM.PUBLIC.USER_STAGE. The connector still uploads the file itself, over HTTP.
2. `remove '@~/<path>/'`: deletes the staged files under that prefix; answers one row per file removed.
3. `copy into T (cols) from (select $1:col::TYPE as COL, ... from '@~/<path>') file_format = (format_name='F')`
4. `merge into T d using (select $1:col::TYPE as COL, ... from '@~/<path>'(file_format => F)
   QUALIFY ROW_NUMBER() OVER (PARTITION BY keys ORDER BY SEQ8() DESC) = 1) s on ... when matched ...`
   For both: F must exist and be TYPE JSON; the staged JSON-lines files (gzip or not) are read in upload order
   into a table (SEQ, FILE_NAME, V variant); the loader's own select list runs on it with `$1` -> `V` and
   `SEQ8()` -> `SEQ` (fakesnow cannot select from a stage). COPY becomes an INSERT answering Snowflake's
   COPY result rows; MERGE runs the loader's own MERGE text from a table holding its own deduplicating
   subquery's rows (fakesnow cannot MERGE from a subquery that reads JSON), answering its row counts.
5. `drop file format [if exists] F`: fakesnow parses CREATE FILE FORMAT but not DROP.
6. `create or replace temporary table|view DB.SCHEMA.T ...` (dbt-snowflake's unit tests and incremental
   models): DuckDB keeps temporary objects in one catalog of its own, so fakesnow refuses a qualified name; the
   shim creates a transient (plain) table or a plain view instead, which dbt drops after use.

Everything else, including target-snowflake's DDL, reflection and dbt-snowflake's whole build, is fakesnow's.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import secrets
import shutil
import signal
import sys
import threading
from pathlib import Path

import fakesnow.server as fs_server
import uvicorn
from fakesnow.transforms import stage as fs_stage
from fakesnow.transforms.file_format import lookup_file_format
from snowflake.connector.errors import ProgrammingError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

log = logging.getLogger("fakesnow.shim")

SHIM_DB, SHIM_SCHEMA, USER_STAGE = "FAKESNOW_SHIM", "PUBLIC", "USER_STAGE"
USER_STAGE_FQN = f"{SHIM_DB}.{SHIM_SCHEMA}.{USER_STAGE}"

PUT = re.compile(r"^\s*put\s+(?P<src>'(?:[^']|'')*'|\S+)\s+'@~/(?P<path>[^']*)'(?P<rest>.*)$", re.I | re.S)
REMOVE = re.compile(r"^\s*(?:remove|rm)\s+'@~/(?P<path>[^']*)'\s*;?\s*$", re.I | re.S)
COPY = re.compile(
    r"^\s*copy\s+into\s+(?P<table>\S+)\s+(?P<cols>\(.*?\))\s+from\s+\((?P<select>select\s.*?)\s+from\s+"
    r"'@~/(?P<path>[^']*)'\)\s*file_format\s*=\s*\(\s*format_name\s*=\s*'(?P<ff>.*)'\s*\)\s*;?\s*$", re.I | re.S)
MERGE = re.compile(
    r"^\s*merge\s+into\s+(?P<table>\S+)\s+(?P<alias>\w+)\s+using\s+\((?P<select>select\s.*?)\s+from\s+"
    r"'@~/(?P<path>[^']*)'\s*\(\s*file_format\s*=>\s*(?P<ff>.*?)\s*\)\s*(?P<dedup>qualify\s.*?)?\)\s+"
    r"(?P<src_alias>\w+)\s+(?P<rest>on\s.*)$", re.I | re.S)
TEMP_TABLE = re.compile(
    r"^(?P<head>\s*(?:/\*.*?\*/\s*)?create\s+or\s+replace\s+)temporary(?P<tail>\s+(?P<kind>table|view)\s+"
    r"\S+\.\S+\.\S+)",
    re.I | re.S)
DROP_FILE_FORMAT = re.compile(r"^\s*drop\s+file\s+format\s+(?:if\s+exists\s+)?(?P<name>.+?)\s*;?\s*$", re.I | re.S)
DOLLAR_1 = re.compile(r"\$1(?=:)")
SEQ8 = re.compile(r"\bSEQ8\(\)", re.I)

def shim_conn():
    """A session of the shim's own (FAKESNOW_SHIM.PUBLIC) on fakesnow's shared in-memory instance. One per
    statement: target-snowflake loads its streams in parallel, and a DuckDB cursor serves one call at a time."""
    return fs_server.shared_fs.connect(SHIM_DB, SHIM_SCHEMA)


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def staged_files(path: str) -> list[str]:
    """Files in the user stage whose path starts with `path` (Snowflake's prefix match), in upload order."""
    root = Path(fs_stage.internal_dir(USER_STAGE_FQN))
    if not root.exists():
        return []
    files = [p for p in root.rglob("*") if p.is_file() and str(p.relative_to(root)).startswith(path)]
    return [str(p) for p in sorted(files, key=lambda p: (p.stat().st_mtime_ns, str(p)))]


def read_lines(file: str) -> list[str]:
    opener = gzip.open if file.endswith(".gz") else open
    with opener(file, "rt", encoding="utf-8") as handle:
        return [line for line in handle.read().splitlines() if line.strip()]


def load_stage(conn, session, path: str, file_format: str) -> tuple[str, list[tuple[str, int]]]:
    """Check the file format, read the staged JSON lines into a new table; return it and (file, rows)."""
    options = lookup_file_format(session._duck_conn, file_format, session.database, session.schema)
    if str(options.get("TYPE", "CSV")).upper() != "JSON":
        raise ProgrammingError(msg=f"shim: file format {file_format} is {options.get('TYPE')}, only JSON is emulated",
                               errno=2003, sqlstate="0A000")
    table = f"{SHIM_DB}.{SHIM_SCHEMA}.STAGED_{secrets.token_hex(6).upper()}"
    conn.cursor().execute(f"create table {table} (SEQ number, FILE_NAME varchar, V variant)")
    duck = conn._duck_conn
    counts, seq = [], 0
    for file in staged_files(path):
        lines = read_lines(file)
        rows = [(seq + i, os.path.basename(file), line) for i, line in enumerate(lines)]
        seq += len(rows)
        if rows:
            duck.executemany(f"insert into {table} values (?, ?, json(?))", rows)
        counts.append((os.path.basename(file), len(rows)))
    return table, counts


def on_staged(select: str) -> str:
    """The loader's select list, reading the staged table's V column instead of the stage's `$1`."""
    return DOLLAR_1.sub("V", select)


def rewrite(session, sql: str) -> tuple[str, list[str]]:
    """The statement fakesnow runs instead of `sql`, and tables to drop after it ran."""
    if m := PUT.match(sql):
        return f"put {m['src']} @{USER_STAGE_FQN}/{m['path']}{m['rest']}", []

    if m := REMOVE.match(sql):
        removed = []
        root = Path(fs_stage.internal_dir(USER_STAGE_FQN))
        for file in staged_files(m["path"]):
            os.remove(file)
            removed.append(str(Path(file).relative_to(root)))
        if m["path"].endswith("/"):
            shutil.rmtree(root / m["path"], ignore_errors=True)
        if not removed:
            return "select null::varchar as \"name\", null::varchar as \"result\" where false", []
        values = ", ".join(f"({sql_str(name)}, 'removed')" for name in removed)
        return f"select column1 as \"name\", column2 as \"result\" from values {values}", []

    if m := COPY.match(sql):
        conn = shim_conn()
        staged, counts = load_stage(conn, session, m["path"], m["ff"])
        try:
            cur = conn.cursor()
            cur.execute(f"insert into {m['table']} {m['cols']} {on_staged(m['select'])} "
                        f"from {staged} order by SEQ")
        finally:
            conn.cursor().execute(f"drop table if exists {staged}")
            conn.close()
        if not counts:
            return "select 'Copy executed with 0 files processed.' as \"status\"", []
        rows = ", ".join(
            f"({sql_str(m['path'].rstrip('/') + '/' + name)}, 'LOADED', {n}, {n}, 1, 0, null, null, null, null)"
            for name, n in counts)
        return ("select column1 as \"file\", column2 as \"status\", column3 as \"rows_parsed\", "
                "column4 as \"rows_loaded\", column5 as \"error_limit\", column6 as \"errors_seen\", "
                "column7 as \"first_error\", column8 as \"first_error_line\", column9 as \"first_error_character\", "
                f"column10 as \"first_error_column_name\" from values {rows}"), []

    if m := MERGE.match(sql):
        conn = shim_conn()
        staged, _ = load_stage(conn, session, m["path"], m["ff"])
        source = f"{SHIM_DB}.{SHIM_SCHEMA}.SOURCE_{secrets.token_hex(6).upper()}"
        try:
            dedup = SEQ8.sub("SEQ", m["dedup"] or "")
            cur = conn.cursor()
            cur.execute(f"create table {source} as {on_staged(m['select'])} from {staged} {dedup}")
            cur.execute(f"merge into {m['table']} {m['alias']} using {source} {m['src_alias']} {m['rest']}")
            inserted, updated = (list(cur.fetchone()) + [0, 0])[:2]
        finally:
            conn.cursor().execute(f"drop table if exists {staged}")
            conn.cursor().execute(f"drop table if exists {source}")
            conn.close()
        return (f"select {int(inserted)} as \"number of rows inserted\", "
                f"{int(updated)} as \"number of rows updated\""), []

    if m := TEMP_TABLE.match(sql):
        kind = "transient" if m["kind"].lower() == "table" else ""
        return f"{m['head']}{kind}{m['tail']}{sql[m.end():]}", []

    if m := DROP_FILE_FORMAT.match(sql):
        database, schema, name = fs_stage.parts_from_var(m["name"], session.database, session.schema)
        session._duck_conn.execute(
            "delete from _fs_global._fs_information_schema._fs_file_formats "
            "where database_name = ? and schema_name = ? and name = ?", (database, schema, name))
        return f"select {sql_str(name + ' successfully dropped.')} as \"status\"", []

    return sql, []


async def query_request(request: Request):
    body = await request.body()
    gzipped = request.headers.get("Content-Encoding") == "gzip"
    payload = json.loads(gzip.decompress(body) if gzipped else body)
    sql = payload.get("sqlText", "")
    if "@~" in sql or DROP_FILE_FORMAT.match(sql) or TEMP_TABLE.match(sql):
        try:
            session = fs_server.to_conn(fs_server.to_token(request))
            new_sql, _ = await run_in_threadpool(rewrite, session, sql)
        except fs_server.ServerError:
            new_sql = sql  # let fakesnow answer the auth error
        except ProgrammingError as exc:
            log.info(f"shim: {sql=} {exc}")
            code = f"{exc.errno:06d}"
            return fs_server.JSONResponse({"data": {"errorCode": code, "sqlState": exc.sqlstate}, "code": code,
                                           "message": exc.msg, "success": False})
        if new_sql != sql:
            log.info(f"shim: {sql[:120]!r} -> {new_sql[:160]!r}")
            payload["sqlText"] = new_sql
            raw = json.dumps(payload).encode()
            request._body = gzip.compress(raw) if gzipped else raw
    return await fs_server.query_request(request)


def app() -> Starlette:
    routes = [Route(r.path, query_request, methods=["POST"]) if r.path == "/queries/v1/query-request" else r
              for r in fs_server.routes]
    return Starlette(routes=routes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", help="write the server's URL here once it listens")
    args = parser.parse_args()

    import socket

    with socket.socket() as sock:  # resolve port 0 ourselves so we can announce the URL
        sock.bind((args.host, args.port))
        port = sock.getsockname()[1]
    with shim_conn() as conn:
        conn.cursor().execute(f"create stage if not exists {USER_STAGE_FQN}")
    server = uvicorn.Server(uvicorn.Config(app(), host=args.host, port=port, log_level="warning"))
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            return 1
        thread.join(0.05)
    url = f"http://{args.host}:{port}"
    if args.ready_file:
        Path(args.ready_file).write_text(url)
    print(f"READY {url}", flush=True)
    thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
