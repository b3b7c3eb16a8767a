"""The fault matrix: every fault on every tap, end to end into DuckDB, and the mart against ground truth.

Per platform one sandbox holds one small store per case; each case queues its faults, runs the tap into
the loader (and reruns as the next scheduled run would when run 1 failed), then one `dbt build` makes the
mart and every store must equal its truth: 0 rows lost, 0 duplicated, 0 differing. A fault that outlasts
the retries must fail run 1 with one clear line, and the rerun from the state it left must lose nothing.
Results: output/reliability/fault_matrix.json -> docs/reliability.md (scripts/reliability.sh).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import IN_CI, require
from reliability_harness import (
    DBT,
    LOADER,
    Case,
    Outcome,
    Pipeline,
    compare,
    dbt_build,
    merge_warehouses,
    run_case,
    store_name,
    tmpdir,
    write_results,
)
from support.duckdb_rows import duckdb_rows

inventory_sandbox = pytest.importorskip("inventory_sandbox", reason="the sandbox package is not installed")

PLATFORMS = ("shopify", "bigcommerce", "magento")
# Shopify pages hold up to 250 rows and the tap has no page-size setting: enough items for two pages.
ITEMS = {"shopify": 260, "bigcommerce": 24 if IN_CI else 40, "magento": 24 if IN_CI else 40}
FIRST = {"kind": "none"}  # let the first request through, so the fault lands mid-sync


def cases(platform: str) -> list[Case]:
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
        Case("outlasting_5xx", "5xx outlasting the retries (max_retries 1)", [FIRST, {"kind": "http_500", "count": 6}],
             settings={"max_retries": 1}, expect_failure=True),
        Case("rows_duplicated", "rows duplicated across pages",
             [FIRST, {"kind": "overlap", "count": 6, "rows": 2}]),
        Case("rows_changing", "rows changing between pages",
             [FIRST, {"kind": "none", "count": 2}, {"kind": "mutate", "route": "stock",
                                                    "body": {"changes": 5, "seed": 3}}], next_sync=True),
        Case("location_deactivated", "location deactivated mid-sync",
             [FIRST, {"kind": "mutate", "route": "location", "body": {"deactivate": True}}], next_sync=True),
        Case("kill_tap", "kill -9 of the tap mid-sync, then rerun",
             [{"kind": "none", "count": 2}, {"kind": "latency", "delay_ms": 1500}], kill="tap"),
        Case("kill_loader", "kill -9 of the loader mid-sync, then rerun",
             [{"kind": "none", "count": 2}, {"kind": "latency", "delay_ms": 1500}], kill="loader"),
    ]
    # BigCommerce's 429 carries its reset headers (the throttled case) or nothing at all: no Retry-After case.
    return [c for c in every if not (platform == "bigcommerce" and c.name == "http_429_retry_after")]


def _sandbox(platform: str, stores: list[str]):
    common = {"stores": stores, "locations": 2, "items": ITEMS[platform], "seed": 5}
    if platform == "shopify":
        return inventory_sandbox.ShopifySandbox(**common)
    if platform == "bigcommerce":
        return inventory_sandbox.BigCommerceSandbox(**common, quota=100_000)
    return inventory_sandbox.MagentoSandbox(**common)


def _run_platform(platform: str, work, outcomes: list[Outcome]):
    """Every case of one platform, in order, into the platform's own DuckDB file (one writer per file)."""
    all_cases = cases(platform)
    sandbox = _sandbox(platform, [store_name(platform, c.name) for c in all_cases]).__enter__()
    pipeline = Pipeline(work, work / f"{platform}.duckdb")
    for case in all_cases:
        outcomes.append(Outcome(platform, case.name, case.title, run_case(pipeline, platform, sandbox, case)))
    return sandbox


@pytest.fixture(scope="module")
def matrix() -> list[Outcome]:
    require(LOADER.exists() and DBT.exists(), "target-duckdb / dbt-duckdb are not installed: run scripts/setup.sh")
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
    return outcomes


CASE_IDS = [(p, c.name) for p in PLATFORMS for c in cases(p)]


@pytest.mark.parametrize(("platform", "case"), CASE_IDS, ids=[f"{p}-{c}" for p, c in CASE_IDS])
def test_fault_loses_and_duplicates_nothing(matrix, platform, case) -> None:
    outcome = next(o for o in matrix if (o.platform, o.case) == (platform, case))
    spec = next(c for c in cases(platform) if c.name == case)
    final = outcome.runs[-1]
    assert final.exit_code == 0 and final.loader_exit == 0, f"last run failed: {final}"
    assert outcome.expected > 0 and outcome.loaded == outcome.expected
    assert (outcome.lost, outcome.duplicated, outcome.differ, outcome.locations_differ) == (0, 0, 0, 0), outcome
    if spec.expect_failure:
        first = outcome.runs[0]
        assert first.exit_code != 0, "a fault outlasting the retries must fail the run"
        assert "\n" not in first.message and ("500" in first.message or "tries" in first.message), first.message
    elif spec.kill is None:
        assert outcome.runs[0].exit_code == 0, f"the tap should have retried through {case}: {outcome.runs[0]}"
