"""inventory-sync's own logic, with a stand-in `meltano` (MELTANO=...) that plays a scenario and records its
calls: which blocks run again after a failure, what the alerts hear, the exit status and the last line, the
lock. The stores come from the real project's settings (meltano.yml, environment variables); nothing is loaded.
The end-to-end version, with real Meltano and sandbox stores, is tests/e2e/test_day_in_production.py."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(sys.executable).parent / "inventory-sync"
STORES = {"TAP_SHOPIFY_INVENTORY_STORE": "my-shop", "TAP_BIGCOMMERCE_INVENTORY_STORE_HASH": "abc123",
          "TAP_MAGENTO_INVENTORY_BASE_URL": "https://shop.example.com"}

FAKE = textwrap.dedent('''\
    #!{python}
    """A stand-in meltano: logs each block as `meltano --log-format=json run` does and fails the ones the
    scenario names (env FAKE_FAIL: a JSON object block -> the failing plugin's last line)."""
    import json, os, sys
    args = sys.argv[1:]
    with open(os.environ["FAKE_CALLS"], "a") as calls:
        calls.write(json.dumps({{"args": args, "status": os.environ.get("INVENTORY_ALERTS_RUN_STATUS")}}) + "\\n")
    words = args[args.index("run") + 1:]
    words = [w for w in words if not w.startswith("--")]
    blocks = []
    for word in words:
        if blocks and word.startswith("target-") and len(blocks[-1]) == 1:
            blocks[-1].append(word)
        else:
            blocks.append([word])
    fail = json.loads(os.environ.get("FAKE_FAIL", "{{}}"))
    def log(**event):
        print(json.dumps({{"level": "info", "timestamp": "2026-12-05T00:00:00Z", **event}}), flush=True)
    for index, block in enumerate(blocks):
        name = " ".join(block)
        plugin = block[0].split(":")[0]
        log(event="Synced inventory_levels: 10 records", name=plugin)
        if name in fail:
            log(event=fail[name], name=plugin)
            log(event="Block run completed", set_number=index, success=False, err="Extractor failed",
                exit_codes={{"extractors": 1}}, duration_seconds=0.1, level="error")
            sys.exit(1)
        log(event="Block run completed", set_number=index, success=True, err=None, duration_seconds=0.1)
    log(event="Run completed")
''')


def sync(tmp_path: Path, fake: Path, *args: str, fail: dict | None = None, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "INVENTORY_", "MELTANO_"))}
    environ.update(STORES, MELTANO=str(fake), FAKE_CALLS=str(tmp_path / "calls.jsonl"),
                   FAKE_FAIL=json.dumps(fail or {}), **env)
    return subprocess.run([str(RUNNER), "--lock", str(tmp_path / "sync.lock"), "--status",
                           str(tmp_path / "status.json"), *args], cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=120, check=False)


def calls(tmp_path: Path) -> list[dict]:
    path = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def blocks_of(call: dict) -> list[str]:
    args = call["args"]
    return [w for w in args[args.index("run") + 1:] if not w.startswith("--")]


def test_a_healthy_pass_is_two_meltano_runs_with_the_stores_in_the_state_id(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake)
    assert proc.returncode == 0, proc.stderr
    made = calls(tmp_path)
    assert [blocks_of(c) for c in made] == [
        ["tap-shopify-inventory", "target-duckdb", "tap-bigcommerce-inventory", "target-duckdb",
         "tap-magento-inventory", "target-duckdb", "dbt-duckdb:build"],
        ["dbt-duckdb:freshness", "inventory-alerts"]]
    first = made[0]["args"]
    assert "--force" in first and "--environment=dev" in first and "--log-format=json" in first
    suffix = next(a for a in first if a.startswith("--state-id-suffix=")).split("=", 1)[1]
    assert suffix.startswith("abc123-") and ":" not in suffix  # a store by name, and a hash of all three
    assert made[1]["status"] == str(tmp_path / "status.json")
    assert proc.stderr.splitlines()[-1].endswith(
        "all ok: shopify my-shop ok; bigcommerce abc123 ok; magento https://shop.example.com ok; dbt build ok; "
        "freshness ok; alerts ok")


def test_another_store_is_another_state_id(tmp_path, fake) -> None:
    sync(tmp_path, fake)
    sync(tmp_path, fake, TAP_SHOPIFY_INVENTORY_STORE="other-shop")
    suffixes = [next(a for a in c["args"] if a.startswith("--state-id-suffix")) for c in calls(tmp_path)[::2]]
    assert len(set(suffixes)) == 2


def test_a_failing_channel_does_not_stop_the_others_and_the_alerts_hear_of_it(tmp_path, fake) -> None:
    line = "Shopify rejected the access token (HTTP 401) for store my-shop: check access_token"
    proc = sync(tmp_path, fake, fail={"tap-shopify-inventory target-duckdb": line})
    assert proc.returncode == 1
    made = calls(tmp_path)
    assert [blocks_of(c) for c in made][1:] == [
        ["tap-bigcommerce-inventory", "target-duckdb", "tap-magento-inventory", "target-duckdb", "dbt-duckdb:build"],
        ["dbt-duckdb:freshness", "inventory-alerts"]]
    status = json.loads((tmp_path / "status.json").read_text())
    by_name = {s["name"]: s for s in status["sources"]}
    assert by_name["tap-shopify-inventory"]["status"] == "failed"
    assert by_name["tap-shopify-inventory"]["error"] == line
    assert {by_name[n]["status"] for n in ("tap-bigcommerce-inventory", "tap-magento-inventory")} == {"ok"}
    assert [s["status"] for s in status["steps"]] == ["ok", "ok", "ok"]  # dbt build, freshness, alerts
    last = proc.stderr.splitlines()[-1]
    assert " ERROR inventory-sync: " in last and f"shopify my-shop FAILED: {line}" in last


def test_a_failed_build_still_sends_the_alerts(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, fail={"dbt-duckdb:build": "Failure in model fct_inventory_levels"})
    assert proc.returncode == 1
    assert blocks_of(calls(tmp_path)[-1]) == ["dbt-duckdb:freshness", "inventory-alerts"]
    assert "dbt build FAILED: Failure in model fct_inventory_levels" in proc.stderr.splitlines()[-1]


def test_stale_sources_fail_freshness_but_the_alerts_run_and_the_pass_succeeds(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, fail={"dbt-duckdb:freshness": "ERROR STALE freshness of shopify.sync_runs"})
    assert proc.returncode == 0, proc.stderr
    assert [blocks_of(c) for c in calls(tmp_path)][1:] == [["dbt-duckdb:freshness", "inventory-alerts"],
                                                          ["inventory-alerts"]]


def test_a_missing_store_setting_fails_that_source_only(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, TAP_SHOPIFY_INVENTORY_STORE="")
    assert proc.returncode == 1
    assert blocks_of(calls(tmp_path)[0])[:2] == ["tap-bigcommerce-inventory", "target-duckdb"]
    assert ("shopify (no store) FAILED: tap-shopify-inventory: setting store is not set "
            "(TAP_SHOPIFY_INVENTORY_STORE)") in proc.stderr.splitlines()[-1]


def test_channels_and_reconcile_choose_the_plugins(tmp_path, fake) -> None:
    proc = sync(tmp_path, fake, "--reconcile", INVENTORY_CHANNELS="shopify,magento")
    assert proc.returncode == 0, proc.stderr
    assert blocks_of(calls(tmp_path)[0]) == ["tap-shopify-inventory--reconcile", "target-duckdb",
                                             "tap-magento-inventory--reconcile", "target-duckdb", "dbt-duckdb:build"]
    bad = sync(tmp_path, fake, INVENTORY_CHANNELS="shopify,woocommerce")
    assert bad.returncode == 2 and "woocommerce" in bad.stderr
    unknown = sync(tmp_path, fake, "--sources", "tap-nothing")
    assert unknown.returncode == 2 and unknown.stderr.strip().endswith("no extractor named tap-nothing in meltano.yml")


def test_postgres_checks_the_warehouse_first_and_stops_when_it_refuses(tmp_path, fake) -> None:
    ok = sync(tmp_path, fake, "--warehouse", "postgres")
    assert ok.returncode == 0, ok.stderr
    first = calls(tmp_path)[0]
    assert "--environment=postgres" in first["args"]
    assert blocks_of(first)[:3] == ["warehouse-check:postgres", "tap-shopify-inventory", "target-postgres"]
    refused = sync(tmp_path, fake, "--warehouse", "postgres",
                   fail={"warehouse-check:postgres": "warehouse-check: PostgreSQL at db:5432 refused the login"})
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1].endswith(
        "the postgres warehouse is not usable, nothing was loaded: warehouse-check: PostgreSQL at db:5432 refused "
        "the login")


def test_a_held_lock_skips_the_tick_with_a_line(tmp_path, fake) -> None:
    lock = tmp_path / "sync.lock"
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("pid 12345 since 2026-12-05T00:00:00Z\n")
        held.flush()
        started = time.monotonic()
        proc = sync(tmp_path, fake, "--lock-wait", "1")
        waited = time.monotonic() - started
    assert proc.returncode == 0 and not calls(tmp_path)
    assert waited >= 1
    assert proc.stderr.strip().endswith(
        "skipped: the previous pass still holds sync.lock (pid 12345 since 2026-12-05T00:00:00Z) after 1 s")


def test_back_to_back_passes_until_the_time_is_up_and_stop_at_a_failure(tmp_path, fake) -> None:
    """Passes back to back; freshness and the alerts once, after the last pass (or the first that fails)."""
    proc = sync(tmp_path, fake, "--for", "3")
    assert proc.returncode == 0, proc.stderr
    passes = [line for line in proc.stderr.splitlines() if "inventory-sync: pass finished" in line]
    made = [blocks_of(c) for c in calls(tmp_path)]
    assert len(passes) >= 2 and len(made) == len(passes) + 1
    assert made[-1] == ["dbt-duckdb:freshness", "inventory-alerts"]
    assert all(blocks[-1] == "dbt-duckdb:build" for blocks in made[:-1])
    assert passes[-1].endswith("dbt build ok; freshness ok; alerts ok")
    assert all(line.endswith("dbt build ok") for line in passes[:-1])
    (tmp_path / "calls.jsonl").unlink()
    failing = sync(tmp_path, fake, "--for", "30", fail={"tap-magento-inventory target-duckdb": "boom"})
    assert failing.returncode == 1
    assert len([line for line in failing.stderr.splitlines() if "pass finished" in line]) == 1
    assert blocks_of(calls(tmp_path)[-1]) == ["dbt-duckdb:freshness", "inventory-alerts"]  # the failure is heard


def test_a_failed_block_is_told_by_its_plugins_own_line() -> None:
    """dbt's wrapper ends with "error invoking dbt"; the line that helps is the one after dbt's error heading.
    A tap's is its last line before the block failed (the tap's one-line error)."""
    from inventory_runner import meltano

    result = meltano.Result()
    plugins = meltano._block_plugins(["tap-shopify-inventory", "target-duckdb", "dbt-duckdb:build"])
    assert plugins == [["tap-shopify-inventory", "target-duckdb"], ["dbt-duckdb"]]
    lines = [
        {"event": "METRIC: {\"type\": \"counter\"}", "name": "tap-shopify-inventory"},
        {"event": "Shopify store x not found (HTTP 404): check store", "name": "tap-shopify-inventory"},
        {"event": "Block run completed", "set_number": 0, "success": False, "exit_codes": {"extractors": 1}},
        {"event": "Encountered an error:", "name": "dbt-duckdb"},
        {"event": "Runtime Error", "name": "dbt-duckdb"},
        {"event": "  The profile inventory does not have a target named 'demo'.", "name": "dbt-duckdb"},
        {"event": " - dev", "name": "dbt-duckdb"},
        {"event": "error invoking dbt None", "name": "dbt-duckdb"},
        {"event": "Block run completed", "set_number": 1, "success": False, "exit_codes": {}},
    ]
    printed = [meltano.read_line(result, json.dumps({"level": "info", "timestamp": "t", **e}), plugins) for e in lines]
    assert result.error(0) == "Shopify store x not found (HTTP 404): check store"
    assert result.error(1) == "Runtime Error: The profile inventory does not have a target named 'demo'."
    assert printed[1] == "t [info     ] tap-shopify-inventory Shopify store x not found (HTTP 404): check store\n"


def test_a_dbt_failure_carries_the_reason_dbt_gives_on_the_next_line() -> None:
    """A setting's check fails at compile time: the pass's line must say which setting, not only which model."""
    from inventory_runner import meltano

    result = meltano.Result()
    plugins = meltano._block_plugins(["dbt-duckdb:build"])
    lines = [
        "Compilation Error in model int_inventory_push_levels (models/intermediate/push/int_inventory_push_levels.sql)",
        "  INVENTORY_PUSH_OTHER_LOCATIONS (var push_other_locations) must be leave or lower, not 'lowest'",
        "  > in macro push_other_locations (macros/push_settings.sql)",
        "Compilation Error in model int_inventory_push_levels (models/intermediate/push/int_inventory_push_levels.sql)",
        "  something dbt repeats in its summary",
        "error invoking dbt None",
    ]
    for text in lines:
        meltano.read_line(result, json.dumps({"level": "info", "timestamp": "t", "event": text, "name": "dbt-duckdb"}),
                          plugins)
    meltano.read_line(result, json.dumps({"event": "Block run completed", "set_number": 0, "success": False,
                                          "exit_codes": {}}), plugins)
    assert result.error(0) == ("Compilation Error in model int_inventory_push_levels: INVENTORY_PUSH_OTHER_LOCATIONS "
                               "(var push_other_locations) must be leave or lower, not 'lowest'")
