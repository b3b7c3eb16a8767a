"""Prove the installed target-duckdb loads every row, exactly once, with the latest values.

Each test pipes a generated Singer stream into the loader executable that `meltano install`
put in .meltano/loaders/target-duckdb/venv (a real subprocess, a real DuckDB file) and then
counts what landed. target-duckdb 0.8.0 writes every batch to a CSV file and COPYs it into a
temporary table, so the risks we check are: a batch losing its first row (DuckDB's CSV sniffer
taking it for a header, as it does from duckdb 1.3 on), a primary key landing twice, an update
not replacing the old values, and odd characters breaking the CSV round trip.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET_BIN = Path(
    os.environ.get("TARGET_DUCKDB_BIN", ROOT / ".meltano/loaders/target-duckdb/venv/bin/target-duckdb")
)
SCHEMA = "raw_shopify"
BATCH = 100  # batch_size_rows for most tests: small, so every test spans many batches

STR = {"type": ["string"]}
NSTR = {"type": ["string", "null"]}
DT = {"type": ["string"], "format": "date-time"}
NDT = {"type": ["string", "null"], "format": "date-time"}
INT = {"type": ["integer", "null"]}
NUM = {"type": ["number", "null"]}
BOOL = {"type": ["boolean", "null"]}

LEVEL_KEY = ["store_id", "inventory_item_id", "location_id"]
LEVEL_PROPS = {
    "store_id": STR, "inventory_item_id": STR, "location_id": STR, "sku": NSTR,
    "available": INT, "on_hand": INT, "committed": INT, "reserved": INT, "incoming": INT,
    "damaged": INT, "quality_control": INT, "safety_stock": INT, "updated_at": DT, "synced_at": DT,
}
# sync_runs has no number column: every CSV field is text, the case where a CSV sniffer cannot
# tell a header row from a data row by its types.
RUN_KEY = ["store_id", "run_started_at", "stream_name"]
RUN_PROPS = {"store_id": STR, "run_started_at": DT, "stream_name": STR, "is_full_snapshot": BOOL, "finished_at": NDT}
ITEM_KEY = ["store_id", "inventory_item_id"]
ITEM_PROPS = {
    "store_id": STR, "inventory_item_id": STR, "sku": NSTR, "oversell_policy": NSTR, "unit_cost": NUM,
    "currency": NSTR, "is_tracked": BOOL, "updated_at": DT, "synced_at": DT,
}


def _schema(stream: str, props: dict, key: list[str]) -> dict:
    return {"type": "SCHEMA", "stream": stream, "schema": {"type": "object", "properties": props},
            "key_properties": key}


def _record(stream: str, record: dict, extracted: str = "2026-11-25T20:00:00.000000Z") -> dict:
    return {"type": "RECORD", "stream": stream, "record": record, "time_extracted": extracted}


def _level(i: int, loc: int, available: int, synced: str = "2026-11-25T20:00:00Z") -> dict:
    return {
        "store_id": "demo-store", "inventory_item_id": str(1000 + i), "location_id": str(loc), "sku": f"SKU-{i:05d}",
        "available": available, "on_hand": available + 2, "committed": 2, "reserved": 0, "incoming": 0,
        "damaged": 0, "quality_control": 0, "safety_stock": 0, "updated_at": "2026-11-25T19:00:00Z",
        "synced_at": synced,
    }


def run_target(tmp_path: Path, messages: list[dict], **config) -> list[dict]:
    """Run target-duckdb on the messages; return the STATE lines it printed."""
    if not TARGET_BIN.exists():
        pytest.fail(f"{TARGET_BIN} is missing: run `meltano install target-duckdb` (scripts/setup.sh)")
    cfg = {"filepath": str(tmp_path / "warehouse.duckdb"), "default_target_schema": SCHEMA,
           "batch_size_rows": BATCH, "add_metadata_columns": True, **config}
    cfg_file = tmp_path / "target-config.json"
    cfg_file.write_text(json.dumps(cfg))
    proc = subprocess.run(
        [str(TARGET_BIN), "--config", str(cfg_file)],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def query(tmp_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def count(tmp_path: Path, table: str) -> int:
    return query(tmp_path, f"select count(*) from {SCHEMA}.{table}")[0][0]


def duplicate_keys(tmp_path: Path, table: str, key: list[str]) -> int:
    cols = ", ".join(key)
    return query(tmp_path, f"select count(*) from (select {cols} from {SCHEMA}.{table} group by all having count(*) > 1)")[0][0]


def test_duckdb_version_is_pinned() -> None:
    """The loader's duckdb must be 1.2.2: 0.8.0 loses a row per batch with duckdb>=1.3."""
    python = TARGET_BIN.parent / "python"
    out = subprocess.run([str(python), "-c", "import duckdb, importlib.metadata as m; "
                          "print(duckdb.__version__, m.version('target-duckdb'))"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1.2.2", "0.8.0"]
    assert duckdb.__version__ == "1.2.2"  # the test venv must open the same file format


def test_every_row_of_many_batches_lands_once(tmp_path: Path) -> None:
    """1,050 distinct levels in 100-row batches: all 1,050 arrive, each key once."""
    n_items, locations = 350, 3
    msgs = [_schema("inventory_levels", LEVEL_PROPS, LEVEL_KEY)]
    msgs += [_record("inventory_levels", _level(i, loc, available=i)) for i in range(n_items) for loc in range(1, locations + 1)]
    run_target(tmp_path, msgs)
    assert count(tmp_path, "inventory_levels") == n_items * locations
    assert duplicate_keys(tmp_path, "inventory_levels", LEVEL_KEY) == 0
    # the first row of every batch is there (rows 0, 100, 200, ... in emission order)
    firsts = [(str(1000 + k // locations), str(k % locations + 1)) for k in range(0, n_items * locations, BATCH)]
    got = set(query(tmp_path, f"select inventory_item_id, location_id from {SCHEMA}.inventory_levels"))
    assert not [f for f in firsts if f not in got]


def test_reemitted_rows_upsert_in_the_same_and_later_batches(tmp_path: Path) -> None:
    """A key seen again replaces its row: within a batch, in a later batch, and in a later run."""
    msgs = [_schema("inventory_levels", LEVEL_PROPS, LEVEL_KEY)]
    msgs += [_record("inventory_levels", _level(i, 1, available=10)) for i in range(250)]
    # same batch as its first emission (rows 200..249 are in the third batch): last one wins
    msgs.append(_record("inventory_levels", _level(210, 1, available=11)))
    # a later batch than its first emission (row 5 was flushed with the first batch)
    msgs += [_record("inventory_levels", _level(i, 1, available=20, synced="2026-11-25T20:01:00Z")) for i in (5, 6, 7)]
    run_target(tmp_path, msgs)
    assert count(tmp_path, "inventory_levels") == 250
    assert duplicate_keys(tmp_path, "inventory_levels", LEVEL_KEY) == 0
    values = dict(query(tmp_path, f"select inventory_item_id, available from {SCHEMA}.inventory_levels"))
    assert values["1210"] == 11
    assert values["1005"] == values["1006"] == values["1007"] == 20
    assert values["1000"] == 10
    synced = query(tmp_path, f"select synced_at from {SCHEMA}.inventory_levels where inventory_item_id = '1005'")
    assert str(synced[0][0]) == "2026-11-25 20:01:00"

    # a second run (a new process on the same file): update 120 rows, add 30 new ones
    msgs = [_schema("inventory_levels", LEVEL_PROPS, LEVEL_KEY)]
    msgs += [_record("inventory_levels", _level(i, 1, available=99, synced="2026-11-25T21:00:00Z")) for i in range(130, 280)]
    run_target(tmp_path, msgs)
    assert count(tmp_path, "inventory_levels") == 280
    assert duplicate_keys(tmp_path, "inventory_levels", LEVEL_KEY) == 0
    by_value = dict(query(tmp_path, f"select available, count(*) from {SCHEMA}.inventory_levels group by 1"))
    assert by_value == {10: 127, 20: 3, 99: 150}  # 1210 (was 11) is among the 150 updated


def test_all_text_stream_keeps_its_first_rows(tmp_path: Path) -> None:
    """sync_runs-shaped rows (no numbers) in batches of 3 and 1: no row taken for a CSV header."""
    msgs = [_schema("sync_runs", RUN_PROPS, RUN_KEY)]
    streams = ["locations", "inventory_items", "inventory_levels"]
    for run in range(7):
        started = f"2026-11-25T20:{run:02d}:00Z"
        msgs += [_record("sync_runs", {"store_id": "demo-store", "run_started_at": started, "stream_name": s,
                                       "is_full_snapshot": s == "locations", "finished_at": f"2026-11-25T20:{run:02d}:30Z"})
                 for s in streams]
    run_target(tmp_path, msgs, batch_size_rows=3)
    assert count(tmp_path, "sync_runs") == 21
    run_target(tmp_path, msgs[:2], batch_size_rows=1)  # a one-row batch of a known row: still 21
    assert count(tmp_path, "sync_runs") == 21
    full = query(tmp_path, f"select count(*) from {SCHEMA}.sync_runs where is_full_snapshot")
    assert full[0][0] == 7


def test_values_survive_the_csv_round_trip(tmp_path: Path) -> None:
    """Commas, quotes, newlines, pipes, unicode, nulls, zeros, false and decimals load unchanged."""
    odd = ['a,b', 'say "hi"', "two\nlines", "pipe|semi;tab\t", "Zürich ✓", "", None]
    msgs = [_schema("inventory_items", ITEM_PROPS, ITEM_KEY)]
    for i, sku in enumerate(odd * 20):
        msgs.append(_record("inventory_items", {
            "store_id": "demo-store", "inventory_item_id": str(i), "sku": sku,
            "oversell_policy": None if i % 3 == 0 else "deny", "unit_cost": 0 if i % 2 else 12.5,
            "currency": "USD", "is_tracked": bool(i % 2), "updated_at": "2026-11-25T19:00:00Z",
            "synced_at": "2026-11-25T20:00:00Z"}))
    run_target(tmp_path, msgs, batch_size_rows=len(odd))
    rows = {int(r[0]): r[1:] for r in query(tmp_path, f"select inventory_item_id, sku, unit_cost, is_tracked, oversell_policy from {SCHEMA}.inventory_items")}
    assert len(rows) == len(odd) * 20
    for i, sku in enumerate(odd * 20):
        expected_sku = None if sku == "" else sku  # known: target-duckdb writes "" as NULL
        assert rows[i] == (expected_sku, 0 if i % 2 else 12.5, bool(i % 2), None if i % 3 == 0 else "deny"), i


def test_metadata_columns_and_types(tmp_path: Path) -> None:
    msgs = [_schema("inventory_levels", LEVEL_PROPS, LEVEL_KEY), _record("inventory_levels", _level(1, 1, 5))]
    run_target(tmp_path, msgs)
    cols = dict(query(tmp_path, "select column_name, data_type from information_schema.columns "
                                f"where table_schema = '{SCHEMA}' and table_name = 'inventory_levels'"))
    assert cols["_sdc_extracted_at"] == "TIMESTAMP"
    assert cols["_sdc_batched_at"] == "TIMESTAMP"
    assert cols["_sdc_deleted_at"] == "VARCHAR"
    assert cols["synced_at"] == "TIMESTAMP"  # date-time -> TIMESTAMP (UTC wall time, no zone)
    assert cols["available"] == "HUGEINT"  # integer without a maximum
    extracted = query(tmp_path, f"select _sdc_extracted_at, synced_at from {SCHEMA}.inventory_levels")[0]
    assert str(extracted[0]) == "2026-11-25 20:00:00"
    assert str(extracted[1]) == "2026-11-25 20:00:00"


def test_activate_version_deletes_nothing_and_state_is_passed_on(tmp_path: Path) -> None:
    """ACTIVATE_VERSION is accepted and ignored: rows missing from a re-sent table stay."""
    msgs = [_schema("locations", {"store_id": STR, "location_id": STR, "name": STR}, ["store_id", "location_id"])]
    msgs += [_record("locations", {"store_id": "demo-store", "location_id": str(i), "name": f"L{i}"}) for i in range(4)]
    msgs.append({"type": "STATE", "value": {"bookmarks": {"locations": {"x": 1}}}})
    run_target(tmp_path, msgs)
    again = [msgs[0], {"type": "ACTIVATE_VERSION", "stream": "locations", "version": 2}]
    again += [_record("locations", {"store_id": "demo-store", "location_id": "0", "name": "renamed"}),
              {"type": "ACTIVATE_VERSION", "stream": "locations", "version": 2},
              {"type": "STATE", "value": {"bookmarks": {"locations": {"x": 2}}}}]
    states = run_target(tmp_path, again)
    assert count(tmp_path, "locations") == 4  # no version-based delete: dbt must handle deletions
    assert query(tmp_path, f"select name from {SCHEMA}.locations where location_id = '0'") == [("renamed",)]
    assert states[-1] == {"bookmarks": {"locations": {"x": 2}}}


def test_interleaved_streams_and_repeated_schema(tmp_path: Path) -> None:
    """Taps re-send SCHEMA and interleave streams; each SCHEMA flushes, nothing is lost."""
    msgs = []
    for part in range(3):
        msgs.append(_schema("inventory_levels", LEVEL_PROPS, LEVEL_KEY))
        msgs += [_record("inventory_levels", _level(part * 70 + i, 1, 1)) for i in range(70)]
        msgs.append(_schema("inventory_items", ITEM_PROPS, ITEM_KEY))
        msgs += [_record("inventory_items", {"store_id": "demo-store", "inventory_item_id": str(part * 45 + i),
                                             "updated_at": "2026-11-25T19:00:00Z", "synced_at": "2026-11-25T20:00:00Z"})
                 for i in range(45)]
    run_target(tmp_path, msgs)
    assert count(tmp_path, "inventory_levels") == 210
    assert count(tmp_path, "inventory_items") == 135


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_all_varchar_table(tmp_path: Path, batch: int) -> None:
    """The hardest case for header sniffing: every data column VARCHAR, tiny batches.

    With add_metadata_columns every row carries `_sdc_batched_at`, a non-null TIMESTAMP, so the
    first row always casts to the table's types and is read as data.
    """
    props = {"store_id": STR, "location_id": STR, "name": STR}
    msgs = [_schema("locations", props, ["store_id", "location_id"])]
    msgs += [_record("locations", {"store_id": "demo-store", "location_id": f"loc{i}", "name": f"Location {i}"}) for i in range(11)]
    run_target(tmp_path, msgs, batch_size_rows=batch, add_metadata_columns=True)
    assert count(tmp_path, "locations") == 11


def test_without_metadata_columns_the_first_row_of_each_batch_is_lost(tmp_path: Path) -> None:
    """Why add_metadata_columns stays on: without it, target-duckdb 0.8.0 loses rows.

    It COPYs each batch's CSV without `HEADER false`; when every column is VARCHAR, duckdb's
    sniffer (1.2.2 too) takes the first row for a header. If this starts failing, the loader
    was fixed upstream and the workaround can be revisited.
    """
    props = {"store_id": STR, "location_id": STR, "name": STR}
    msgs = [_schema("locations", props, ["store_id", "location_id"])]
    msgs += [_record("locations", {"store_id": "demo-store", "location_id": f"loc{i}", "name": f"Location {i}"}) for i in range(10)]
    run_target(tmp_path, msgs, batch_size_rows=5, add_metadata_columns=False)
    assert count(tmp_path, "locations") == 10 - 2  # two batches of five, one header-eaten row each


def test_meltano_yml_keeps_the_settings_that_make_loading_safe() -> None:
    """add_metadata_columns must stay on (see above) and duckdb must stay pinned to 1.2.2."""
    from orchestrate.generate import meltano_project

    project = meltano_project()  # meltano.yml and the files it includes (plugins/meltano/loaders.meltano.yml)
    loader = next(p for p in project["plugins"]["loaders"] if p["name"] == "target-duckdb")
    settings = {s["name"]: s for s in loader["settings"]}
    assert settings["add_metadata_columns"]["value"] is True
    assert "duckdb==1.2.2" in loader["pip_url"].split()
    assert "target-duckdb==0.8.0" in loader["pip_url"].split()
