"""Smoke test of the push benchmark (benchmarks/push.py, section `push` of scripts/bench.sh) at its tiny size.

Both modes, the no-push run beside one pass of the one-minute schedule with push. Asserted: counts and
invariants that do not depend on the machine (the same seeded orders in every run, no write without a push,
the push corrects the seeded disagreements, no pass fails, shares are shares, the report has the section);
never a time or an oversell figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, needs, which


def test_bench_push_tiny_run(tmp_path: Path) -> None:
    needs("inventory-sandbox is not installed: run scripts/setup.sh", available=which("inventory-sandbox") is not None)
    needs("inventory-sync is not installed: run scripts/setup.sh", available=which("inventory-sync") is not None)
    docs = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--size", "tiny", "--sections", "push",
         "--results", str(tmp_path), "--docs", str(docs)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [result_file] = tmp_path.glob("*-tiny.json")
    push = json.loads(result_file.read_text())["push"]
    runs = {(r["mode"], r["scenario"]): r for r in push["runs"]}
    assert set(runs) == {(m, s) for m in ("system_of_record", "pooled") for s in ("a", "c")}
    orders = {r["orders"] for r in runs.values()}
    assert len(orders) == 1 and orders.pop() > 0  # one seeded stream for every run
    for (mode, kind), r in runs.items():
        assert 0 <= r["oversells"] <= r["accepted"] <= r["orders"], (mode, kind)
        assert 0 <= r["refused_in_stock"] <= r["orders"] - r["accepted"], (mode, kind)
        assert r["errors"] == 0 and r["cycles"] >= 1 and r["failed_passes"] == 0, (mode, kind)
        for key in ("agree_physical_after", "agree_record_after"):
            assert r[key] is not None and 0 <= r[key] <= 1, (mode, kind, key)
        if kind == "a":
            assert r["writes_total"] == 0  # nothing writes the stores without a push
        else:
            assert r["writes_total"] > 0  # at least the seeded disagreements were corrected
            assert "reduction_vs_a" in r
            # the last plan read back from the warehouse (its demand buffer is on in this size)
            assert r["agree_plan_after"] is not None and 0 <= r["agree_plan_after"] <= 1, (mode, kind)
    assert "## 7. Closing the loop: oversells prevented by the push" in docs.read_text()
