"""Smoke test of the benchmark suite (benchmarks/bench.py) at its tiny size: the scripts keep working.

It runs the same entry point as `scripts/bench.sh`, then checks that every section produced its figures
and that the facts that do not depend on the machine hold: a sync never makes fewer requests than the
minimum, a Shopify incremental run makes no more requests than a full one, the rate-limited runs are never
refused, the floor reads the same records as the tap, every stock change reaches the mart. No time is
asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, needs, which

SECTIONS = ("throughput", "budget", "ratelimit", "freshness", "scale")  # fanout: its own smoke test
PLATFORMS = ("shopify", "bigcommerce", "magento")


def test_bench_tiny_run_has_every_section(tmp_path: Path) -> None:
    needs("inventory-sandbox is not installed: run scripts/setup.sh", available=which("inventory-sandbox") is not None)
    loader = ROOT / ".meltano/loaders/target-duckdb/venv/bin/target-duckdb"
    needs("target-duckdb is not installed: run scripts/setup.sh", available=loader.exists())
    docs = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--size", "tiny", "--sections", ",".join(SECTIONS),
         "--results", str(tmp_path), "--docs", str(docs)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [result_file] = tmp_path.glob("*-tiny.json")
    res = json.loads(result_file.read_text())
    assert set(SECTIONS) <= set(res)
    assert res["machine"]["cores"] >= 1 and len(res["load_before"]) == 3

    for p in PLATFORMS:
        tp = res["throughput"][p]
        assert tp["levels"] > 0 and tp["floor_levels"] == tp["levels"]

        full = res["budget"][p]["full"]
        assert full["requests"] >= full["minimum"] >= 1
        incremental = res["budget"][p]["incremental"]
        assert [r["k"] for r in incremental] == [1, 10]
        assert all(r["requests"] > 0 for r in incremental)
        if p == "shopify":  # levels read with updated_at >= bookmark: never more requests than a full sync
            assert all(r["requests"] <= full["requests"] for r in incremental)
        # BigCommerce and Magento levels are a full snapshot on every run (their APIs have no modified-since
        # filter); a Magento incremental run also looks up the product ids a full run takes from its items.

        rows = res["scale"][p]
        assert len(rows) == 2 and rows[0]["levels"] < rows[1]["levels"]
        assert all(r["peak_rss_mb"] > 0 for r in rows)

    bulk = res["throughput"]["shopify"]["bulk"]  # the same store read through one bulk export
    assert bulk["levels"] == res["throughput"]["shopify"]["levels"] and bulk["graphql_requests"] >= 2

    cost = res["budget"]["shopify"]["cost"]
    assert cost["requested"] >= cost["optimal_requested"] > 0 and cost["actual"] <= cost["requested"]
    for p in ("shopify", "bigcommerce"):
        rl = res["ratelimit"][p]
        assert rl["levels"] > 0 and rl["throttled_or_429"] == 0 and rl["lower_bound_s"] > 0
    assert "skipped" in res["ratelimit"]["magento"]

    fresh = res["freshness"]
    assert fresh["all_visible"] and fresh["batch_visible"] and fresh["levels"] > 0
    scheduled = fresh["schedule"]  # cron ticks starting inventory-sync --for, as the README ships it
    assert scheduled["all_visible"]
    assert scheduled["runs"] >= 1  # a tick finding the last pass still running skips (a loaded CI box)
    assert scheduled["measured"] == scheduled["changes"] > 0

    text = docs.read_text()
    for heading in ("## 1. Throughput", "## 2. API budget", "## 3. Rate-limit", "## 4. Freshness",
                    "## 5. Scale"):
        assert heading in text
    assert {png.name for png in tmp_path.glob("*.png")} == {f"{p}.png" for p in PLATFORMS}
