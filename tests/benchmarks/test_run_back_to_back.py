"""scripts/run-back-to-back.sh, the cron entry point: runs the job again and again for --for seconds, passes
the job's arguments through, stops at the first failing run with its status, refuses bad arguments.
A stand-in `meltano` (MELTANO=...) records its calls, so no real job runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "run-back-to-back.sh"


def _fake_meltano(tmp_path: Path, body: str) -> Path:
    fake = tmp_path / "meltano"
    fake.write_text(f"#!/usr/bin/env bash\necho \"$@\" >> {tmp_path / 'calls'}\n{body}\n")
    fake.chmod(0o755)
    return fake


def _run(tmp_path: Path, fake: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], env={**os.environ, "MELTANO": str(fake)}, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)


def test_runs_the_job_back_to_back_until_the_time_is_up(tmp_path: Path) -> None:
    """Behaviour, not a count that depends on the machine's speed: every run starts inside the window, each
    starts as the last one ends, and the loop goes on until a run ends after the window."""
    fake = _fake_meltano(tmp_path, "sleep 0.4")
    proc = _run(tmp_path, fake, "--for", "2", "inventory-sync")
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert set(calls) == {"run inventory-sync"}
    lines = [line for line in proc.stderr.splitlines() if line.startswith("run-back-to-back: run started")]
    assert len(lines) == len(calls) >= 2 and all(line.endswith("exit 0") for line in lines)
    runs = [(float(line.split()[3]), float(line.split()[5])) for line in lines]
    first = runs[0][0]
    assert all(start - first < 2.0 for start, _ in runs), runs  # none starts after the window
    assert runs[-1][1] - first > 2.0 - 0.1, runs  # the loop stopped only once the window was over
    gaps = [nxt[0] - prev[1] for prev, nxt in zip(runs, runs[1:])]
    assert all(gap < 0.4 for gap in gaps), gaps  # the next run starts as the last one ends, not at a tick


def test_a_failing_run_stops_the_loop_with_its_status(tmp_path: Path) -> None:
    fake = _fake_meltano(tmp_path, "exit 3")
    proc = _run(tmp_path, fake, "--for", "5", "tap-x", "target-y")
    assert proc.returncode == 3
    assert (tmp_path / "calls").read_text().splitlines() == ["run tap-x target-y"]


def test_bad_arguments_get_one_line_and_exit_2(tmp_path: Path) -> None:
    fake = _fake_meltano(tmp_path, "true")
    no_job = _run(tmp_path, fake, "--for", "5")
    assert no_job.returncode == 2 and "usage" in no_job.stderr
    bad_seconds = _run(tmp_path, fake, "--for", "soon", "inventory-sync")
    assert bad_seconds.returncode == 2 and "whole seconds" in bad_seconds.stderr
    assert not (tmp_path / "calls").exists()
