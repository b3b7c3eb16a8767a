"""The plan and the audit on PostgreSQL (a real server: skipped locally without one, failed under CI), and a Magento
integration that signs with OAuth 1.0a."""

from __future__ import annotations

import os
import uuid

import pytest
from conftest import COLUMNS, STORES, PlanBuilder, env_for, needs, needs_module, skus

from inventory_push import push
from inventory_push.settings import Settings

PG = {"PGHOST": os.environ.get("PGHOST", "127.0.0.1"), "PGPORT": os.environ.get("PGPORT", "5432"),
      "PGUSER": os.environ.get("PGUSER", "postgres"), "PGPASSWORD": os.environ.get("PGPASSWORD", "postgres"),
      "PGDATABASE": os.environ.get("PGDATABASE", "postgres")}


@pytest.fixture
def postgres(monkeypatch):
    psycopg = needs_module("psycopg", "the push's PostgreSQL tests need it (inventory-push[postgres])")
    for name, value in PG.items():
        monkeypatch.setenv(name, value)
    try:
        con = psycopg.connect("", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        needs(f"PostgreSQL at {PG['PGHOST']}:{PG['PGPORT']} ({str(exc).strip()})")
    prefix = f"push_test_{uuid.uuid4().hex[:8]}"
    yield con, prefix
    for schema in (f"{prefix}_analytics", f"{prefix}_audit"):
        con.execute(f"drop schema if exists {schema} cascade")
    con.close()


def test_plan_and_audit_in_postgresql(stores, tmp_path, postgres):
    con, prefix = postgres
    a, = skus(1)
    plan = PlanBuilder(stores)
    for channel in ("shopify", "bigcommerce"):
        plan.add(channel, a, planned=stores.shown(channel, a) - 1)
    schema = f"{prefix}_analytics"
    con.execute(f"create schema {schema}")
    columns = {c: ("timestamptz" if t == "timestamp" else t) for c, t in COLUMNS.items()}  # aware times, too
    con.execute(f"create table {schema}.fct_inventory_push_plan ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    with con.cursor() as cur:
        cur.executemany(f"insert into {schema}.fct_inventory_push_plan values ({', '.join(['%s'] * len(columns))})",
                        [[r.get(c) for c in columns] for r in plan.rows])
    env = env_for(stores, tmp_path / "unused.duckdb", INVENTORY_PUSH_WAREHOUSE="postgres",
                  INVENTORY_PUSH_SCHEMA=schema, INVENTORY_PUSH_AUDIT_SCHEMA=f"{prefix}_audit")
    first = push.run(Settings.from_env(env), apply=True)
    assert {e.result for e in first.entries} == {"applied"}
    second = push.run(Settings.from_env(env), apply=True)
    assert {e.result for e in second.entries} == {"already_done"}
    assert stores.writes() == {"shopify": 1, "bigcommerce": 1, "magento": 0}
    rows = con.execute(f"select result, count(*) from {prefix}_audit.push_log group by result order by result"
                       ).fetchall()
    assert rows == [("already_done", 2), ("applied", 2)]


def test_a_magento_integration_signing_with_oauth1(stores, tmp_path):
    a, = skus(1)
    plan = PlanBuilder(stores)
    plan.add("magento", a, planned=stores.shown("magento", a) + 2)
    path = plan.write(tmp_path / "wh.duckdb")
    creds = stores.magento.oauth(STORES["magento"], write=True)
    env = env_for(stores, path, TAP_MAGENTO_INVENTORY_AUTH_METHOD="oauth1",
                  INVENTORY_PUSH_MAGENTO_ACCESS_TOKEN=creds["access_token"],
                  INVENTORY_PUSH_MAGENTO_CONSUMER_KEY=creds["consumer_key"],
                  INVENTORY_PUSH_MAGENTO_CONSUMER_SECRET=creds["consumer_secret"],
                  INVENTORY_PUSH_MAGENTO_ACCESS_TOKEN_SECRET=creds["access_token_secret"])
    outcome = push.run(Settings.from_env(env), apply=True)
    assert [e.result for e in outcome.entries] == ["applied"]
    assert stores.magento.log()["oauth_requests"] == 2  # the re-read and the save, both signed
