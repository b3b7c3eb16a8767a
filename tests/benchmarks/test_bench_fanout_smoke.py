"""Smoke test of the benchmark's many-stores section (benchmarks/fanout.py) at its tiny size: two sandbox
Shopify stores loaded into PostgreSQL, once by the serial job and once by the Airflow fan-out.

It checks what does not depend on the machine: every store's levels were loaded in every round (every DAG run
succeeded; a try that failed and was retried is printed with its error), no store was ever refused
(THROTTLED), the pool let both stores run at once, every figure the report shows is there. No time is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, needs, which
from support import postgres


def test_bench_fanout_tiny(tmp_path: Path) -> None:
    needs(postgres.unavailable_reason() or "", available=postgres.unavailable_reason() is None)
    needs("inventory-sandbox is not installed: run scripts/setup.sh", available=which("inventory-sandbox") is not None)
    needs("airflow is not installed: scripts/setup.sh", available=(ROOT / ".meltano/utilities/airflow/venv/bin/airflow").exists())
    docs = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--size", "tiny", "--sections", "fanout",
         "--results", str(tmp_path), "--docs", str(docs)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [result_file] = tmp_path.glob("*-tiny.json")
    fo = json.loads(result_file.read_text())["fanout"]
    assert [r["kind"] for r in fo["rounds"]] == ["serial"] + ["airflow"] * len(fo["pool_sizes"])
    for r in fo["rounds"]:
        assert r["all_levels_loaded"] and r["stores_loaded"] == fo["stores"], r
        assert r["throttled"] == 0, r
        if r["failed_runs"]:  # a try Airflow retried (its DAG run still succeeded): shown, with why
            print(f"\n{r['kind']} pool {r['pool']}: {r['failed_runs']} failed try, retried: {r['errors']}")
        assert r["cpu_s_per_run"] > 0 and r["makespan_s"] > 0 and r["vs_serial"] > 0
    for r in fo["rounds"][1:]:
        assert r["tasks"] == fo["stores"] and r["most_at_once"] <= r["pool"]
        assert r["overhead_s_per_task"] is not None
    assert "## 6. Many stores: serial job vs Airflow fan-out" in docs.read_text()
