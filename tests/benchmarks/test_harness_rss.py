"""benchmarks/harness.py measures a process's own peak RSS, not the benchmark's: on Linux a child started
straight from a big process inherits that process's high-water mark at exec. Here the test process grows by
300 MB before it starts a small command through the harness."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import harness  # noqa: E402


def test_peak_rss_is_the_spawned_process_own() -> None:
    ballast = bytearray(300 * 1024 * 1024)  # touched pages: this process's RSS is now above 300 MB
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    small = harness.spawn([sys.executable, "-c", "pass"], stdin=subprocess.DEVNULL)
    code, small_rss = harness._wait(small)
    big = harness.spawn([sys.executable, "-c", "b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"],
                        stdin=subprocess.DEVNULL)
    big_code, big_rss = harness._wait(big)
    assert code == 0 and big_code == 0
    assert small_rss < 60, small_rss  # an interpreter doing nothing, not the 300 MB parent
    assert big_rss > 200, big_rss  # what the command itself touched is still seen
    del ballast


def test_exit_status_and_cpu_come_through() -> None:
    proc = harness.spawn([sys.executable, "-c", "import sys; sum(range(3_000_000)); sys.exit(3)"],
                         stdin=subprocess.DEVNULL)
    code, _ = harness._wait(proc)
    assert code == 3
    assert harness._CPU.pop(proc.pid) > 0.01
