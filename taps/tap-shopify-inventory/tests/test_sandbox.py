"""Integration tests against the sandbox store (`inventory-sandbox`, real HTTP on loopback)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import typing as t

import pytest
import requests
from conftest import Sandbox, run_cli, run_tap, tap_executable
from singer_inventory_kit.testing import check_faults_spent, requests_of

if t.TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.sandbox

EXTRAS = {"synced_at"}


def keyed(records: list[dict], *keys: str) -> dict[tuple, dict]:
    """Records by primary key (without store_id)."""
    return {tuple(r[k] for k in keys): r for r in records}


def level_keys(records: list[dict]) -> set[tuple[str, str]]:
    """(inventory_item_id, location_id) of level records."""
    return {(r["inventory_item_id"], r["location_id"]) for r in records}


def without_run_columns(records: list[dict]) -> list[dict]:
    """Records minus synced_at, sorted, for comparing two runs."""
    rows = [{k: v for k, v in r.items() if k not in EXTRAS} for r in records]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


def assert_matches_truth(records: list[dict], truth: list[dict], *keys: str) -> None:
    """Every truth row was emitted with the same values; nothing else was emitted."""
    got = keyed(records, *keys)
    want = keyed(truth, *keys)
    assert set(got) == set(want)
    for key, row in want.items():
        emitted = got[key]
        for column, value in row.items():
            assert emitted.get(column) == value, (key, column, emitted.get(column), value)


# --------------------------------------------------------------------------- full and incremental


def test_full_sync_matches_the_store(sandbox: Sandbox) -> None:
    run = run_tap(sandbox.config())
    truth = sandbox.truth()
    assert_matches_truth(run.records["locations"], truth["locations"], "location_id")
    assert_matches_truth(run.records["inventory_items"], truth["inventory_items"], "inventory_item_id")
    assert_matches_truth(run.records["inventory_levels"], truth["inventory_levels"], "inventory_item_id", "location_id")
    assert {r["stream_name"] for r in run.records["sync_runs"]} == {"locations", "inventory_items", "inventory_levels"}


def test_second_run_emits_exactly_the_changed_levels(fresh_sandbox: Sandbox) -> None:
    config = fresh_sandbox.config(lookback=0)
    time.sleep(1.1)  # the seeded data is at least a second older than the first run
    first = run_tap(config)
    assert len(first.records["inventory_levels"]) == len(fresh_sandbox.truth()["inventory_levels"])
    changed = fresh_sandbox.control("POST", "stock", {"store": fresh_sandbox.store, "changes": 13, "seed": 5})[
        "changed"
    ]
    assert len(changed) == 13  # noqa: PLR2004
    second = run_tap(config, state=first.state)
    assert level_keys(second.records["inventory_levels"]) == {
        (c["inventory_item_id"], c["location_id"]) for c in changed
    }
    assert len(second.records["inventory_levels"]) == 13  # noqa: PLR2004
    truth = keyed(fresh_sandbox.truth()["inventory_levels"], "inventory_item_id", "location_id")
    for record in second.records["inventory_levels"]:
        assert record["available"] == truth[record["inventory_item_id"], record["location_id"]]["available"]
    assert second.bookmark("inventory_levels") >= first.bookmark("inventory_levels")


def test_start_date_is_honoured(sandbox: Sandbox) -> None:
    truth = sandbox.truth()["inventory_levels"]
    stamps = sorted(r["updated_at"] for r in truth)
    start = stamps[len(stamps) // 2]
    run = run_tap(sandbox.config(start_date=start))
    got = run.records.get("inventory_levels", [])
    assert got
    assert all(r["updated_at"] >= start for r in got)
    assert level_keys(got) == {(r["inventory_item_id"], r["location_id"]) for r in truth if r["updated_at"] >= start}


@pytest.mark.parametrize("interruption", ["kill", "faults_outlast_retries"])
def test_interrupted_sync_resumes_without_loss(fresh_sandbox: Sandbox, tmp_path: Path, interruption: str) -> None:
    config = fresh_sandbox.config(lookback=0, max_retries=1)
    time.sleep(1.1)
    first = run_tap(config)
    changed = fresh_sandbox.control("POST", "stock", {"store": fresh_sandbox.store, "changes": 40, "seed": 11})[
        "changed"
    ]
    expected = {(c["inventory_item_id"], c["location_id"]) for c in changed}
    # Slow every request down so the run is still paging locations when we interrupt it.
    fresh_sandbox.control("POST", "faults", {"kind": "latency", "count": 1000, "delay_ms": 300})

    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "state.json").write_text(json.dumps(first.state))
    process = subprocess.Popen(
        [tap_executable(), "--config", str(tmp_path / "config.json"), "--state", str(tmp_path / "state.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    messages: list[dict] = []
    assert process.stdout is not None
    for line in process.stdout:
        message = json.loads(line)
        messages.append(message)
        if message["type"] == "RECORD" and message["stream"] == "inventory_levels":
            if interruption == "kill":
                process.kill()
            else:  # every following request fails, more times than max_retries allows
                fresh_sandbox.control("DELETE", "faults")
                fresh_sandbox.control("POST", "faults", {"kind": "http_500", "count": 1000})
            break
    if interruption != "kill":
        messages += [json.loads(line) for line in process.stdout]
    process.wait(timeout=120)
    assert process.returncode != 0
    emitted = level_keys([m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "inventory_levels"])
    assert emitted < expected  # interrupted part-way
    assert not any(m["type"] == "RECORD" and m["stream"] == "sync_runs" for m in messages)
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    resume_state = states[-1] if states else first.state
    levels_bookmark = resume_state["bookmarks"]["inventory_levels"]["replication_key_value"]
    assert levels_bookmark == first.bookmark("inventory_levels")  # not advanced

    fresh_sandbox.control("DELETE", "faults")
    resumed = run_tap(config, state=resume_state)
    assert expected <= level_keys(resumed.records["inventory_levels"])


# --------------------------------------------------------------------------- pacing


def test_paced_sync_is_never_throttled(fresh_sandbox: Sandbox) -> None:
    bucket = 60
    fresh_sandbox.control("POST", "config", {"bucket_size": bucket, "restore_rate": 200, "cost_model": "measured"})
    fresh_sandbox.control("POST", "log/reset")
    started = time.monotonic()
    run = run_tap(fresh_sandbox.config(reconcile=True))
    elapsed = time.monotonic() - started
    log = fresh_sandbox.log()
    assert len(run.records["inventory_levels"]) == len(fresh_sandbox.truth()["inventory_levels"])
    assert log["cost_requested"] >= 5 * bucket
    assert log["throttled"] == 0, {k: v for k, v in log.items() if k != "queries"}
    assert elapsed < 30  # noqa: PLR2004


def test_page_shrinks_to_the_largest_page_the_bucket_allows(fresh_sandbox: Sandbox) -> None:
    """Linear costs and a 500-point bucket: a 250-node page (752 points) can never be served."""
    fresh_sandbox.control("POST", "config", {"bucket_size": 500, "restore_rate": 1000, "cost_model": "linear"})
    fresh_sandbox.control("POST", "log/reset")
    run = run_tap(fresh_sandbox.config(reconcile=True))
    truth = fresh_sandbox.truth()
    assert len(run.records["inventory_levels"]) == len(truth["inventory_levels"])
    assert len(run.records["inventory_items"]) == len(truth["inventory_items"])
    log = fresh_sandbox.log()
    pages = [q for q in log["queries"] if (q.get("variables") or {}).get("first")]
    served = [q for q in pages if q["status"] == 200 and q["requested_cost"] <= 500]  # noqa: PLR2004
    items = [q["variables"]["first"] for q in served if "inventoryItems(" in q["query"]]
    assert max(items) == (500 - 2) // 3  # the largest page whose cost (2 + 3n) fits: 166
    # one refused attempt per expensive query shape (items, levels), then never again
    assert log["throttled"] + log["max_cost_exceeded"] <= 2  # noqa: PLR2004


# --------------------------------------------------------------------------- bulk and reconcile


def test_bulk_output_equals_paged_output(sandbox: Sandbox) -> None:
    for extra in ({"reconcile": True}, {"start_date": "2000-01-01T00:00:00Z"}):
        paged = run_tap(sandbox.config(**extra))
        bulk = run_tap(sandbox.config(use_bulk=True, **extra))
        for stream in ("locations", "inventory_items", "inventory_levels"):
            assert without_run_columns(bulk.records[stream]) == without_run_columns(paged.records[stream]), stream
        assert {r["stream_name"] for r in bulk.records["sync_runs"]} == {
            "locations",
            "inventory_items",
            "inventory_levels",
        }


def test_reconcile_emits_everything_and_marks_full_snapshots(fresh_sandbox: Sandbox) -> None:
    store = fresh_sandbox.store
    truth = fresh_sandbox.truth()
    level = truth["inventory_levels"][0]
    fresh_sandbox.control(
        "POST",
        "disconnect",
        {"store": store, "inventory_item_id": level["inventory_item_id"], "location_id": level["location_id"]},
    )
    fresh_sandbox.control(
        "POST", "delete_item", {"store": store, "inventory_item_id": truth["inventory_items"][-1]["inventory_item_id"]}
    )
    fresh_sandbox.control(
        "POST", "location", {"store": store, "location_id": truth["locations"][-1]["location_id"], "is_active": False}
    )
    state = run_tap(fresh_sandbox.config()).state  # a bookmark that would filter everything out

    run = run_tap(fresh_sandbox.config(reconcile=True), state=state)
    truth = fresh_sandbox.truth()
    assert_matches_truth(run.records["locations"], truth["locations"], "location_id")
    assert_matches_truth(run.records["inventory_items"], truth["inventory_items"], "inventory_item_id")
    assert_matches_truth(run.records["inventory_levels"], truth["inventory_levels"], "inventory_item_id", "location_id")
    assert any(not r["is_active"] for r in run.records["locations"])
    runs = run.records["sync_runs"]
    assert {(r["stream_name"], r["is_full_snapshot"]) for r in runs} == {
        ("locations", True),
        ("inventory_items", True),
        ("inventory_levels", True),
    }
    assert {r["run_started_at"] for r in runs} == {run.records["locations"][0]["synced_at"]}


# --------------------------------------------------------------------------- command line


def test_cli_connection_test_and_clear_auth_error(sandbox: Sandbox, tmp_path: Path) -> None:
    ok = run_cli("--test", config=sandbox.config(), tmp_path=tmp_path)
    assert ok.returncode == 0, ok.stderr[-2000:]
    bad = run_cli(config=sandbox.config(access_token="shpat_wrong_token_value"), tmp_path=tmp_path)
    assert bad.returncode != 0
    assert "Shopify rejected the access token (HTTP 401) for store demo-store: check access_token" in bad.stderr
    assert "shpat_wrong_token_value" not in bad.stderr


def test_token_is_not_logged_at_debug(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.control("POST", "faults", {"kind": "http_503", "count": 1})
    result = subprocess.run(
        [tap_executable(), "--config", str(_write(tmp_path, sandbox.config()))],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "LOGLEVEL": "DEBUG"},
    )
    sandbox.reset()
    assert result.returncode == 0, result.stderr[-2000:]
    assert sandbox.token not in result.stderr
    assert sandbox.token not in result.stdout


def _write(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "debug-config.json"
    path.write_text(json.dumps(config))
    return path


# --------------------------------------------------------------------------- faults


@pytest.fixture(scope="module")
def faultless_requests(sandbox: Sandbox) -> int:
    """The requests of the fault tests' sync when nothing goes wrong."""
    return requests_of(sandbox, lambda: run_tap(sandbox.config(max_retries=3, request_timeout=1)))


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "http_429", "count": 2, "retry_after": 0.2},
        {"kind": "throttled", "count": 3},
        {"kind": "http_500", "count": 2},
        {"kind": "http_503", "count": 2},
        {"kind": "reset", "count": 2},
        {"kind": "malformed", "count": 2},
        {"kind": "truncated", "count": 2},
        {"kind": "html", "count": 2, "status": 403},
        {"kind": "html", "count": 2, "status": 503},
        {"kind": "latency", "count": 1, "delay_ms": 2500},  # longer than request_timeout
    ],
    ids=lambda f: f"{f['kind']}-{f.get('status', '')}",
)
def test_transient_faults_are_retried(sandbox: Sandbox, fault: dict, faultless_requests: int) -> None:
    sandbox.reset()
    sandbox.control("POST", "faults", fault)
    run = run_tap(sandbox.config(max_retries=3, request_timeout=1))
    check_faults_spent(sandbox, fault["count"], faultless_requests)  # each fault fired once and was retried
    sandbox.reset()
    truth = sandbox.truth()
    assert len(run.records["inventory_items"]) == len(truth["inventory_items"])
    assert len(run.records["inventory_levels"]) == len(truth["inventory_levels"])


def test_html_that_outlasts_retries_ends_in_one_clear_line(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    sandbox.control("POST", "faults", {"kind": "html", "count": 50, "status": 503})
    result = run_cli(config=sandbox.config(max_retries=1), tmp_path=tmp_path)
    sandbox.reset()
    assert result.returncode != 0
    endpoint = f"{sandbox.url}/stores/{sandbox.store}/admin/api/2026-10/graphql.json"
    assert f"expected JSON from {endpoint}, got text/html" in result.stderr
    assert sandbox.token not in result.stderr


def test_bulk_waits_for_a_running_operation_and_never_cancels_it(sandbox: Sandbox) -> None:
    sandbox.reset()
    endpoint = f"{sandbox.url}/stores/{sandbox.store}/admin/api/2026-10/graphql.json"
    answer = requests.post(
        endpoint,
        json={
            "query": (
                'mutation { bulkOperationRunQuery(query: "{ locations { edges { node { id } } } }") '
                "{ bulkOperation { id status } userErrors { field message } } }"
            ),
        },
        headers={"X-Shopify-Access-Token": sandbox.token},
        timeout=30,
    ).json()
    foreign = answer["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
    run = run_tap(sandbox.config(use_bulk=True, reconcile=True))
    assert len(run.records["inventory_levels"]) == len(sandbox.truth()["inventory_levels"])
    queries = sandbox.log()["queries"]
    assert not any("bulkOperationCancel" in q["query"] for q in queries)
    assert any((q.get("variables") or {}).get("id") == foreign for q in queries)
