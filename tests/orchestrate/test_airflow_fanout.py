"""Many stores on Apache Airflow, end to end (docs/scaling.md): the store list's five stores (3 Shopify, 2
BigCommerce sandbox stores), a fresh PostgreSQL database for the warehouse and Meltano's state and one for
Airflow, every Airflow process started through the `airflow` Meltano utility.

LocalExecutor (the whole story):
1. At deploy every store DAG runs once on its own (the schedule's latest tick); then the dbt DAG, triggered by
   the loads' assets, builds the mart. Its first try fails on purpose (the DAGs call Meltano through a wrapper
   that fails dbt once), so the mart comes from a retry, late in its run, while later loads queue the next run.
   Each store's raw levels equal its ground truth and the mart equals the union of the stores' truths; Meltano's
   state (in PostgreSQL) has one id per store with its own bookmarks.
2. Task windows: stores overlap, one store never overlaps itself, no pool ever holds more tasks than its slots
   (the test's pools are smaller than the stores: 2 Shopify slots for 3 stores, 1 BigCommerce slot for 2), and
   the Shopify pool fills (its sandbox answers slowly at deploy, so the first sync outlasts the queueing).
3. Stock moves in one Shopify and one BigCommerce store; every store DAG runs again: only that Shopify store's
   moved levels are read again (the others' bookmarks hold), every store equals its truth, and the dbt DAG
   rebuilds the mart; dbt starts at least the configured interval apart, counted from the retry's start.
CeleryExecutor (smaller: one store per platform, the machine's Redis as broker): the stores load through a
Celery worker and the dbt DAG builds the mart from them.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import pytest
from conftest import IN_CI, ROOT, needs, needs_module
from support import postgres
from support.mart import BIGCOMMERCE, SHOPIFY, control
from support.many_stores import assert_channel_equals_stores, assert_raw_equals_stores, raw_levels_per_store

from orchestrate import sandbox_stores
from orchestrate.airflow_local import Airflow
from orchestrate.generate import plugin_name, store_key

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

AIRFLOW_BIN = ROOT / ".meltano" / "utilities" / "airflow" / "venv" / "bin" / "airflow"
FANOUT, STORES = sandbox_stores.load()
ITEMS = 30 if IN_CI else 100
INTERVAL_S = 20  # the dbt DAG's interval in these tests
SLOW_ANSWERS, SLOW_MS = 12, 2500  # the first Shopify answers at deploy (see test_five_stores_on_local_executor)
TRANSFORM = "inventory-transform"


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def airflow_for(tmp_path: Path, database, executor: str, sandboxes: dict, pools: dict, **kwargs) -> Airflow:
    needs("the airflow utility is not installed: run scripts/setup.sh", available=AIRFLOW_BIN.exists())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "AIRFLOW"))}
    env.update(database.env())
    env.update(sandbox_stores.store_env(STORES, {p: sb.url for p, sb in sandboxes.items()}))
    for store in STORES:  # no look-back: a re-read is exactly what changed
        env[sandbox_stores.setting_env(plugin_name(store), "lookback")] = "0"
    pools_file = tmp_path / "pools.json"
    pools_file.write_text(json.dumps(
        {name: {"slots": slots, "description": "test"} for name, slots in pools.items()}))
    meta = f"airflow_meta_{database.name.rsplit('_', 1)[-1]}"
    postgres.execute("postgres", f'create database "{meta}"')
    airflow = Airflow(env=env, home=tmp_path / "airflow", executor=executor,
                      metadata_url=f"postgresql+psycopg2://{postgres.USER}:{postgres.PASSWORD}@{postgres.HOST}:"
                                   f"{postgres.PORT}/{meta}",
                      settings={"INVENTORY_TRANSFORM_INTERVAL_SECONDS": str(INTERVAL_S), **kwargs.pop("settings", {})},
                      **kwargs)
    airflow.meta_database = meta
    airflow.deploy(pools=pools_file)
    return airflow


def drop(airflow: Airflow) -> None:
    airflow.stop()
    postgres.execute("postgres", f'drop database if exists "{airflow.meta_database}" with (force)')


def meltano_failing_dbt_once(tmp_path: Path) -> Path:
    """A stand-in for the meltano executable the DAGs run: the dbt job's first call fails, every other call (and
    dbt's retry) is Meltano's own."""
    marker, wrapper = tmp_path / "dbt-failed-once", tmp_path / "meltano"
    wrapper.write_text(f"""#!/bin/sh
case " $* " in
  *" run {TRANSFORM}--"*) if mkdir "{marker}" 2>/dev/null; then echo "test: dbt's first try fails" >&2; exit 1; fi ;;
esac
exec "{ROOT / '.venv' / 'bin' / 'meltano'}" "$@"
""")
    wrapper.chmod(0o755)
    return wrapper


def sync_windows(airflow: Airflow) -> list[dict]:
    """Finished `sync` task instances: dag, pool, start, end."""
    return [{"dag": ti["dag_id"], "pool": ti["pool"], "start": when(ti["start_date"]), "end": when(ti["end_date"])}
            for ti in airflow.task_instances() if ti["task_id"] == "sync" and ti["end_date"]]


def most_at_once(windows: list[dict]) -> int:
    events = sorted([(w["start"], 1) for w in windows] + [(w["end"], -1) for w in windows])
    running = peak = 0
    for _, step in events:  # an end and a start at the same instant: the end first (sorted -1 before 1)
        running += step
        peak = max(peak, running)
    return peak


def wait_mart_after(airflow: Airflow, loads_ended: datetime, timeout: float = 600) -> list[dict]:
    """Wait for a successful dbt task that started after `loads_ended`; return every dbt task instance."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dbt = [ti for ti in airflow.task_instances(TRANSFORM) if ti["task_id"] == "dbt"]
        assert not [ti for ti in dbt if ti["state"] == "failed"], "a dbt run failed"
        if [ti for ti in dbt if ti["state"] == "success" and when(ti["start_date"]) > loads_ended]:
            return dbt
        time.sleep(2)
    raise AssertionError(f"no dbt run after the loads within {timeout:.0f} s:\n{airflow.log_tail('scheduler')}")


def test_five_stores_on_local_executor(tmp_path: Path, database) -> None:
    shopify_names = [sandbox_stores.sandbox_name(s) for s in STORES if s["platform"] == "shopify"]
    bigcommerce_names = [sandbox_stores.sandbox_name(s) for s in STORES if s["platform"] == "bigcommerce"]
    assert (len(shopify_names), len(bigcommerce_names)) == (3, 2), "the store list's five stores changed"
    store_dags = {store_key(s) for s in STORES}
    pools = {"shopify": 2, "bigcommerce": 1}
    with ExitStack() as stack:
        shopify = stack.enter_context(inventory_sandbox.ShopifySandbox(
            stores=shopify_names, locations=3, items=ITEMS, seed=21))
        bigcommerce = stack.enter_context(inventory_sandbox.BigCommerceSandbox(
            stores=bigcommerce_names, locations=3, items=ITEMS, seed=21, quota=10_000))
        meltano = meltano_failing_dbt_once(tmp_path)
        airflow = airflow_for(tmp_path, database, "LocalExecutor",
                              {"shopify": shopify, "bigcommerce": bigcommerce}, pools,
                              settings={"INVENTORY_MELTANO_BIN": str(meltano)})
        stack.callback(drop, airflow)
        # A small store syncs in seconds, less than the scheduler can take to queue the next store, so the pool
        # would fill only by luck. Slow Shopify's first answers: the first sync is still running when the others
        # are queued, and the pool's two slots must be taken at once.
        shopify.add_fault("latency", count=SLOW_ANSWERS, delay_ms=SLOW_MS)
        airflow.start()
        airflow.wait_ready()
        airflow.wait_dags(store_dags | {TRANSFORM})

        # 1. Deploy: every store runs once by itself, then dbt builds the mart from all of them.
        for dag in sorted(store_dags):
            airflow.wait_runs(dag, 1)
        first = sync_windows(airflow)
        shopify.clear_faults()
        deployed = wait_mart_after(airflow, max(w["end"] for w in first))
        assert (tmp_path / "dbt-failed-once").exists(), "the DAGs did not run dbt through the test's wrapper"
        assert max(ti["try_number"] for ti in deployed) >= 2, "dbt's forced failure was not retried"
        rows = database.rows
        counts = assert_channel_equals_stores(rows, shopify, SHOPIFY, shopify_names)
        counts.update(assert_channel_equals_stores(rows, bigcommerce, BIGCOMMERCE, bigcommerce_names))
        assert all(n > 0 for n in counts.values()), counts
        assert_raw_equals_stores(rows, "raw_shopify", shopify, shopify_names)
        assert_raw_equals_stores(rows, "raw_bigcommerce", bigcommerce, bigcommerce_names)
        states = {r["state_id"]: r for r in rows("select state_id, partial_state, completed_state from public.state")}
        assert set(states) == {f"postgres:{plugin_name(s)}-to-target-postgres" for s in STORES}, sorted(states)
        for store in STORES:  # each Shopify store's own bookmark
            if store["platform"] == "shopify":
                state = states[f"postgres:{plugin_name(store)}-to-target-postgres"]["completed_state"]
                state = json.loads(state) if isinstance(state, str) else state
                assert state["singer_state"]["bookmarks"]["inventory_levels"]["replication_key_value"], store

        # 2. Windows: across stores they overlap, within a store never, per pool never beyond its slots.
        windows = sync_windows(airflow)
        assert most_at_once(windows) >= 2, "no two stores ever ran at the same time"
        for dag in store_dags:
            assert most_at_once([w for w in windows if w["dag"] == dag]) == 1, f"{dag} overlapped itself"
        for pool, slots in pools.items():
            held = [w for w in windows if w["pool"] == pool]
            assert held and most_at_once(held) <= slots, f"pool {pool}: {most_at_once(held)} at once > {slots}"
        assert most_at_once([w for w in windows if w["pool"] == "shopify"]) == 2, "the Shopify pool never filled"

        # 3. Stock moves in one store per platform; every store runs again.
        loaded = rows("select max(synced_at) as t from raw_shopify.inventory_levels")[0]["t"]
        moved = control(shopify, "stock", store="acme-us", changes=7, seed=3)["changed"]
        assert len(moved) == 7 and len(bigcommerce.change_stock("acmeus", n=7, seed=3)) == 7
        before = Counter(w["dag"] for w in windows)
        for dag in sorted(store_dags):
            airflow.trigger(dag)
        for dag in sorted(store_dags):
            airflow.wait_runs(dag, before[dag] + 1)
        assert raw_levels_per_store(rows, "raw_shopify", since=str(loaded)) == {"acme-us": 7}
        again = rows(f"select inventory_item_id, location_id from raw_shopify.inventory_levels "
                     f"where synced_at > '{loaded}'")
        assert {(r["inventory_item_id"], r["location_id"]) for r in again} == {
            (m["inventory_item_id"], m["location_id"]) for m in moved}
        assert_raw_equals_stores(rows, "raw_shopify", shopify, shopify_names)
        assert_raw_equals_stores(rows, "raw_bigcommerce", bigcommerce, bigcommerce_names)
        dbt = wait_mart_after(airflow, max(w["end"] for w in sync_windows(airflow)))
        assert_channel_equals_stores(rows, shopify, SHOPIFY, shopify_names)
        assert_channel_equals_stores(rows, bigcommerce, BIGCOMMERCE, bigcommerce_names)
        starts = sorted(when(ti["start_date"]) for ti in dbt if ti["start_date"])
        gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:])]
        assert len(starts) >= 2 and min(gaps) >= INTERVAL_S, f"dbt started {gaps} s apart (interval {INTERVAL_S} s)"
        tokens = {tok for tok in sandbox_stores.store_env(STORES, {"shopify": "", "bigcommerce": ""}).values()
                   if not tok.startswith("/")}
        for path in (airflow.home / "logs").rglob("*"):
            if path.is_file():
                text = path.read_text(errors="replace")
                assert not [t for t in tokens if t in text], f"a store's token is in {path}"
        print(f"\nLocalExecutor: {len(windows)} store runs, dbt started {len(starts)} times, gaps {gaps}")


def free_redis_db() -> str:
    """A Redis database on the machine's server that holds nothing (so no other Celery app shares it)."""
    import socket

    def ask(sock, *words: str) -> bytes:
        sock.sendall(b"".join([f"*{len(words)}\r\n".encode()] + [f"${len(w)}\r\n{w}\r\n".encode() for w in words]))
        return sock.recv(4096)

    try:
        sock = socket.create_connection(("127.0.0.1", 6379), timeout=3)
    except OSError as exc:
        needs(f"no Redis server on 127.0.0.1:6379 ({exc}); start one: redis-server --daemonize yes")
    with sock:
        for db in range(15, 0, -1):
            ask(sock, "SELECT", str(db))
            if ask(sock, "DBSIZE") == b":0\r\n":
                return f"redis://127.0.0.1:6379/{db}"
    pytest.fail("every Redis database 1-15 holds keys; none is free for the test broker")


def test_one_store_per_platform_on_celery_executor(tmp_path: Path, database) -> None:
    broker = free_redis_db()
    chosen = [next(s for s in STORES if s["platform"] == p) for p in ("shopify", "bigcommerce")]
    shop, hash_ = (sandbox_stores.sandbox_name(s) for s in chosen)
    with ExitStack() as stack:
        shopify = stack.enter_context(inventory_sandbox.ShopifySandbox(stores=[shop], locations=2, items=ITEMS,
                                                                       seed=5))
        bigcommerce = stack.enter_context(inventory_sandbox.BigCommerceSandbox(
            stores=[hash_], locations=2, items=ITEMS, seed=5, quota=10_000))
        airflow = airflow_for(tmp_path, database, "CeleryExecutor", {"shopify": shopify, "bigcommerce": bigcommerce},
                              {"shopify": 1, "bigcommerce": 1}, broker_url=broker,
                              settings={"AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "true",
                                        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4"})
        stack.callback(drop, airflow)
        airflow.start()
        airflow.wait_ready()
        chosen_dags = {store_key(s) for s in chosen}
        airflow.wait_dags(chosen_dags | {TRANSFORM})
        for dag in sorted(chosen_dags | {TRANSFORM}):
            airflow.set_paused(dag, False)
        for dag in sorted(chosen_dags):
            airflow.wait_runs(dag, 1)
        windows = sync_windows(airflow)
        assert {w["dag"] for w in windows} == chosen_dags, "a paused store ran"
        wait_mart_after(airflow, max(w["end"] for w in windows))
        worker_log = (airflow.home / "logs" / "celery-worker.out").read_text(errors="replace")
        for dag in chosen_dags:
            assert f"dag_id='{dag}'" in worker_log, f"{dag} did not run on the Celery worker"
        queued_on = {ti["dag_id"]: ti["queue"] for ti in airflow.task_instances() if ti["task_id"] == "sync"}
        assert queued_on == {store_key(s): s["platform"] for s in chosen}, queued_on
        assert_channel_equals_stores(database.rows, shopify, SHOPIFY, [shop])
        assert_channel_equals_stores(database.rows, bigcommerce, BIGCOMMERCE, [hash_])
