"""The fault matrix: every fault on every tap, end to end into DuckDB, and the mart against ground truth.

Per platform one sandbox holds one small store per case; each case queues its faults, runs the tap into
the loader (and reruns as the next scheduled run would when run 1 failed), then one `dbt build` makes the
mart and every store must equal its truth: 0 rows lost, 0 duplicated, 0 differing. A fault that outlasts
the retries must fail run 1 with one clear line, and the rerun from the state it left must lose nothing.
Results: output/reliability/fault_matrix.json -> docs/reliability.md (scripts/reliability.sh).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import IN_CI, needs_module, needs
from reliability_harness import (
    DBT,
    HOLD_MS,
    LEVELS_REQUEST,
    LOADER,
    TAPS,
    VENV_BIN,
    Case,
    Outcome,
    Pipeline,
    compare,
    dbt_build,
    merge_warehouses,
    queued_kinds,
    run_case,
    run_case_with,
    store_name,
    tmpdir,
    write_results,
)
from support.duckdb_rows import duckdb_rows

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

PLATFORMS = ("shopify", "bigcommerce", "magento")
# Shopify pages hold up to 250 rows and the tap has no page-size setting: enough items for two pages.
ITEMS = {"shopify": 260, "bigcommerce": 24 if IN_CI else 40, "magento": 24 if IN_CI else 40}
FIRST = {"kind": "none"}  # let the first request through, so the fault lands mid-sync
#: Kill cases: level pages let through before the held one, and the loader's batch size, so that at least two
#: batches of levels reach the loader (one committed for sure) while the tap is still held mid-sync. Shopify reads
#: up to 250 levels a page (one page per location here); the others read 10 rows a page (the harness's page_size).
KILL_PAGES = {"shopify": 1, "bigcommerce": 2, "magento": 2}
KILL_BATCH = {"shopify": 25, "bigcommerce": 4, "magento": 4}


def cases(platform: str) -> list[Case]:
    levels = LEVELS_REQUEST[platform]
    hold = [{"kind": "none", "count": KILL_PAGES[platform], "match": levels},
            {"kind": "latency", "delay_ms": HOLD_MS, "match": levels}]
    throttled = {
        "shopify": Case("throttled", "Shopify THROTTLED (HTTP 200, cost exhausted)", [{"kind": "throttled", "count": 2}]),
        "bigcommerce": Case("throttled", "429 with X-Rate-Limit-Time-Reset-Ms (quota spent)",
                            [{"kind": "throttled", "count": 2, "retry_after": 1}]),
        "magento": Case("throttled", "CDN 429 HTML page with Retry-After",
                        [{"kind": "throttled", "count": 2, "retry_after": 1}]),
    }[platform]
    every = [
        Case("baseline", "no fault" + (" (last-page repeat on, Magento's default)" if platform == "magento" else "")),
        Case("http_429_retry_after", "429 with Retry-After: 1", [FIRST, {"kind": "http_429", "count": 2, "retry_after": 1}]),
        Case("http_429_bare", "429 without Retry-After or reset headers", [FIRST, {"kind": "http_429"}]),
        throttled,
        Case("burst_5xx", "burst of 5xx (500, 500, 503)", [FIRST, {"kind": "http_500", "count": 2},
                                                           {"kind": "http_503", "count": 1}]),
        Case("timeout", "request timeout (answer after 4 s, client waits 2 s)",
             [FIRST, {"kind": "timeout", "delay_ms": 4000}]),
        Case("reset", "connection reset (TCP RST) x2", [FIRST, {"kind": "reset", "count": 2}]),
        Case("malformed", "malformed JSON", [FIRST, {"kind": "malformed"}]),
        Case("truncated", "truncated JSON body", [FIRST, {"kind": "truncated"}]),
        Case("html_firewall", "HTML firewall page (503)", [FIRST, {"kind": "html", "status": 503}]),
        # max_retries 1: the request is tried twice, and both tries get a 500.
        Case("outlasting_5xx", "5xx outlasting the retries (max_retries 1)", [FIRST, {"kind": "http_500", "count": 2}],
             settings={"max_retries": 1}, expect_failure=True),
        Case("rows_duplicated", "rows duplicated across pages (levels page 2 repeats page 1's last rows)",
             [{"kind": "none", "match": levels}, {"kind": "overlap", "rows": 2, "match": levels}]),
        Case("rows_changing", "rows changing between pages",
             [FIRST, {"kind": "none", "count": 2}, {"kind": "mutate", "route": "stock",
                                                    "body": {"changes": 5, "seed": 3}}], next_sync=True),
        Case("location_deactivated", "location deactivated mid-sync",
             [FIRST, {"kind": "mutate", "route": "location", "body": {"deactivate": True}}], next_sync=True),
        # request_timeout above the hold: the held page must hold the tap, not time out and be retried.
        Case("kill_tap", "kill -9 of the tap mid-load (levels partly committed), then rerun", hold, kill="tap",
             settings={"request_timeout": 60}, loader={"batch_size_rows": KILL_BATCH[platform]}),
        Case("kill_loader", "kill -9 of the loader mid-load (levels partly committed), then rerun", hold,
             kill="loader", settings={"request_timeout": 60}, loader={"batch_size_rows": KILL_BATCH[platform]}),
        Case("bad_data", "bad data (duplicate, case/whitespace, unicode, null SKUs; negative and 32-bit quantities)",
             bad_data=True),
    ]
    # BigCommerce's 429 carries its reset headers (the throttled case) or nothing at all: no Retry-After case.
    chosen = CHOSEN.split(",") if CHOSEN else None
    return [c for c in every if not (platform == "bigcommerce" and c.name == "http_429_retry_after")
            and (not chosen or c.name in chosen)]


#: RELIABILITY_CASES=baseline,bad_data runs only those cases while working on one; CI runs them all.
CHOSEN = os.environ.get("RELIABILITY_CASES", "")


def _sandbox(platform: str, stores: list[str]):
    common = {"stores": stores, "locations": 2, "items": ITEMS[platform], "seed": 5}
    if platform == "shopify":
        return inventory_sandbox.ShopifySandbox(**common)
    if platform == "bigcommerce":
        return inventory_sandbox.BigCommerceSandbox(**common, quota=100_000)
    return inventory_sandbox.MagentoSandbox(**common)


@dataclass
class Matrix:
    outcomes: list[Outcome]
    work: Path  # every log, state, config and dbt artifact of the runs


def _run_platform(platform: str, work, outcomes: list[Outcome]):
    """Every case of one platform, in order, into the platform's own DuckDB file (one writer per file)."""
    all_cases = cases(platform)
    sandbox = _sandbox(platform, [store_name(platform, c.name) for c in all_cases]).__enter__()
    pipeline = Pipeline(work, work / f"{platform}.duckdb", {"LOGLEVEL": "DEBUG"})  # secrets are grepped at DEBUG
    for case in all_cases:
        outcomes.append(Outcome(platform, case.name, case.title, run_case(pipeline, platform, sandbox, case)))
        if case.bad_data:
            (work / f"{platform}.bad_data.json").write_text(json.dumps(case.planted))
    (work / f"{platform}.states.json").write_text(json.dumps({s: v for (_, s), v in pipeline.states.items()}))
    return sandbox


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    needs("target-duckdb / dbt-duckdb are not installed: run scripts/setup.sh", available=LOADER.exists() and DBT.exists())
    if CHOSEN:
        if IN_CI:
            pytest.fail(f"RELIABILITY_CASES={CHOSEN} would shrink the fault matrix; CI runs every case")
        warnings.warn(f"RELIABILITY_CASES={CHOSEN}: only these cases of the fault matrix run", stacklevel=1)
    work = tmpdir("reliability-matrix-")
    warehouse = work / "warehouse.duckdb"
    found: dict[str, list[Outcome]] = {p: [] for p in PLATFORMS}
    with ThreadPoolExecutor(len(PLATFORMS)) as pool:  # the platforms wait on backoffs: run them side by side
        futures = {p: pool.submit(_run_platform, p, work, found[p]) for p in PLATFORMS}
        sandboxes = {p: f.result() for p, f in futures.items()}
    try:
        merge_warehouses(warehouse, [work / f"{p}.duckdb" for p in PLATFORMS])
        build = dbt_build(warehouse, work)
        assert build.returncode == 0, build.stdout[-4000:]
        rows = duckdb_rows(str(warehouse))
        outcomes = [o for p in PLATFORMS for o in found[p]]
        for outcome in outcomes:
            figures = compare(rows, outcome.platform, sandboxes[outcome.platform],
                              store_name(outcome.platform, outcome.case))
            for key, value in figures.items():
                setattr(outcome, key, value)
            outcome.ok = not (outcome.lost or outcome.duplicated or outcome.differ or outcome.locations_differ)
    finally:
        for sandbox in sandboxes.values():
            sandbox.__exit__(None, None, None)
    write_results("fault_matrix", outcomes)
    return Matrix(outcomes, work)


CASE_IDS = [(p, c.name) for p in PLATFORMS for c in cases(p)]


@pytest.mark.parametrize(("platform", "case"), CASE_IDS, ids=[f"{p}-{c}" for p, c in CASE_IDS])
def test_fault_loses_and_duplicates_nothing(matrix, platform, case) -> None:
    outcome = next(o for o in matrix.outcomes if (o.platform, o.case) == (platform, case))
    spec = next(c for c in cases(platform) if c.name == case)
    final = outcome.runs[-1]
    assert final.exit_code == 0 and final.loader_exit == 0, f"last run failed: {final}"
    assert outcome.expected > 0 and outcome.loaded == outcome.expected
    assert (outcome.lost, outcome.duplicated, outcome.differ, outcome.locations_differ) == (0, 0, 0, 0), outcome
    first = outcome.runs[0]
    # The fault really happened: the sandbox used every fault queued, each kind as often as queued.
    assert (first.faults_fired, first.faults_left) == (queued_kinds(spec.faults), 0), first
    if spec.expect_failure:
        assert first.exit_code != 0, "a fault outlasting the retries must fail the run"
        assert "\n" not in first.message and ("500" in first.message or "tries" in first.message), first.message
    elif spec.kill is not None:
        # Run 1 died by our kill -9, mid-load: some but not all of the store's levels were in the warehouse.
        assert first.killed == spec.kill, f"run 1 was not killed: {first}"
        assert 0 < first.levels_in_warehouse < outcome.expected, first
        assert len(outcome.runs) == 2 and outcome.runs[1].exit_code == 0, outcome.runs
    else:
        assert first.exit_code == 0, f"the tap should have retried through {case}: {first}"


# --------------------------------------------------------------------------- secrets

SIGNATURE = re.compile(r"oauth_signature=\"?(?!\")[^\s\",&]{8,}")


def _secret_scan(files: list[Path], secrets: set[str]) -> dict[str, list[str]]:
    """Every file that contains a secret or an OAuth signature: {file: [what]}."""
    leaks: dict[str, list[str]] = {}
    for path in files:
        text = path.read_text(errors="replace")
        found = [f"secret {s[:6]}..." for s in secrets if s in text]
        found += ["an oauth_signature"] if SIGNATURE.search(text) else []
        if found:
            leaks[str(path)] = found
    return leaks


def test_no_secret_in_any_artifact(matrix, tmp_path) -> None:
    """Logs at DEBUG (retries and errors of every fault included), state, catalogs, --about, error messages,
    loader logs and dbt artifacts hold no token, secret or signature. Magento also runs with OAuth 1.0a."""
    secrets: set[str] = set()
    for platform in PLATFORMS:
        prefix = {"shopify": "shpat_sandbox_", "bigcommerce": "bc_sandbox_", "magento": "mg_sandbox_"}[platform]
        secrets |= {prefix + store_name(platform, c.name) for c in cases(platform)}
    extra = tmp_path / "extra"
    extra.mkdir()
    with inventory_sandbox.MagentoSandbox(stores=["roauth"], locations=2, items=12, seed=5) as magento:
        creds = magento.oauth("roauth")
        secrets |= {creds["consumer_secret"], creds["access_token"], creds["access_token_secret"]}
        settings = {"auth_method": "oauth1", "consumer_key": creds["consumer_key"],
                    "consumer_secret": creds["consumer_secret"], "access_token": creds["access_token"],
                    "access_token_secret": creds["access_token_secret"]}
        pipeline = Pipeline(extra, extra / "oauth.duckdb", {"LOGLEVEL": "DEBUG"})
        outlasting = Case("oauth", "OAuth 1.0a, 5xx outlasting the retries", [{"kind": "http_500", "count": 9}],
                          settings={**settings, "max_retries": 1})
        runs = run_case_with(pipeline, "magento", magento, "roauth", outlasting)
        assert runs[0].exit_code != 0 and runs[-1].exit_code == 0, runs
        (extra / "oauth.states.json").write_text(json.dumps(pipeline.states.get(("magento", "roauth"))))
        (extra / "errors.txt").write_text("\n".join(r.message for o in matrix.outcomes for r in o.runs))
        for platform in PLATFORMS:
            config = extra / f"{platform}-about.config.json"
            sandbox = magento if platform == "magento" else None
            token = "shpat_sandbox_rbaseline" if platform == "shopify" else "bc_sandbox_rbaseline"
            config.write_text(json.dumps(
                {**settings, "base_url": magento.base_url("roauth")} if sandbox else
                {"store" if platform == "shopify" else "store_hash": "rbaseline", "access_token": token}))
            for args, name in ((["--about", "--format=json"], "about.json"), (["--about", "--format=markdown"],
                               "about.md"), (["--discover"], "catalog.json")):
                proc = subprocess.run([str(VENV_BIN / TAPS[platform]), "--config", str(config), *args],
                                      capture_output=True, text=True, timeout=120, check=False,
                                      env={**os.environ, "LOGLEVEL": "DEBUG"})
                assert proc.returncode == 0, proc.stderr[-2000:]
                (extra / f"{platform}-{name}").write_text(proc.stdout + proc.stderr)
    files = [p for root in (matrix.work, extra) for p in root.rglob("*")
             if p.is_file() and not p.name.endswith((".config.json", ".duckdb", ".duckdb.wal"))
             and not p.name.startswith("target-")]  # inputs: the configs we wrote hold the secrets by design
    kinds = Counter(_kind(p) for p in files)
    for needed in ("tap log", "loader log", "state", "about", "catalog", "dbt artifact", "error messages"):
        assert kinds[needed], f"no {needed} was scanned: {kinds}"
    leaks = _secret_scan(files, secrets)
    write_results("secrets", {"files_scanned": len(files), "by_kind": dict(kinds), "secrets": len(secrets),
                              "leaks": leaks})
    assert not leaks, leaks


def _kind(path: Path) -> str:
    name = path.name
    if "dbt-" in str(path):
        return "dbt artifact"
    for suffix, kind in ((".tap.log", "tap log"), (".loader.log", "loader log"), (".state.json", "state"),
                         (".states.json", "state"), ("catalog.json", "catalog"), ("errors.txt", "error messages"),
                         (".bad_data.json", "planted bad data")):
        if name.endswith(suffix):
            return kind
    return "about" if "-about." in name else "other"


# --------------------------------------------------------------------------- bad data

DATA_TESTS = ("levels_without_sku", "skus_differing_by_case_or_whitespace", "duplicate_skus",
              "negative_stock_without_overselling", "quantities_at_int32_limit")
#: Which data-quality test must flag each planted value; None: it must simply load unchanged.
FLAGGED_BY = {"duplicate SKU": "duplicate_skus", "SKU differing by case": "skus_differing_by_case_or_whitespace",
              "SKU differing by whitespace": "skus_differing_by_case_or_whitespace", "null SKU": "levels_without_sku",
              "negative quantity": "negative_stock_without_overselling",
              "quantity at the 32-bit limit": "quantities_at_int32_limit", "unicode SKU": None,
              "missing optional field (unit cost)": None}


def test_bad_data_loads_and_the_mart_tests_flag_it(matrix) -> None:
    """The sync completes and the bad store equals its truth (checked with the matrix); each planted value is
    flagged by its data-quality test (severity warn, transform/tests/data_quality) for that very store."""
    compiled = {name: next((matrix.work / "dbt-target").rglob(f"compiled/**/{name}.sql")).read_text()
                for name in DATA_TESTS}
    rows = duckdb_rows(str(matrix.work / "warehouse.duckdb"))
    report, missing = [], []
    for platform in PLATFORMS:
        outcome = next(o for o in matrix.outcomes if (o.platform, o.case) == (platform, "bad_data"))
        store = store_name(platform, "bad_data")
        planted = json.loads((matrix.work / f"{platform}.bad_data.json").read_text())
        flagged = {name for name, sql in compiled.items()
                   if rows(f"select count(*) as n from ({sql}) where store_id = '{store}'")[0]["n"]}
        for value in planted:
            needed = FLAGGED_BY[value["case"]]
            hit = needed is None or needed in flagged
            if not hit:
                missing.append((platform, value["case"], needed, sorted(flagged)))
            report.append({"platform": platform, "case": value["case"],
                           "sync": "completed" if outcome.runs[-1].exit_code == 0 else "failed",
                           "rows": outcome.loaded, "lost": outcome.lost, "wrong": outcome.differ,
                           "flagged_by": needed or "nothing to flag: loaded unchanged (mart = truth)"})
    write_results("bad_data", report)
    assert not missing, missing
