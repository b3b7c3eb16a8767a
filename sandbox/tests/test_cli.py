"""The console script: READY line, ready file, serving, SIGTERM."""

import signal
import subprocess
import sys
from pathlib import Path

import requests


def _script() -> list[str]:
    exe = Path(sys.executable).with_name("inventory-sandbox")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "inventory_sandbox"]


def test_serve_prints_ready_and_stops_on_sigterm(tmp_path):
    ready_file = tmp_path / "ready.txt"
    proc = subprocess.Popen(_script() + ["serve", "--platform", "shopify", "--host", "127.0.0.1", "--port", "0",
                                         "--stores", "demo-store,second", "--locations", "3", "--items", "40",
                                         "--seed", "7", "--bucket-size", "500", "--restore-rate", "50",
                                         "--cost-model", "linear", "--ready-file", str(ready_file)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:")
        url = line.split(" ", 1)[1]
        assert ready_file.read_text().strip() == url
        assert set(requests.get(f"{url}/_sandbox/health").json()["stores"]) == {"demo-store", "second"}
        resp = requests.post(f"{url}/stores/second/admin/api/2025-07/graphql.json",
                             json={"query": "{ inventoryItems(first: 3) { nodes { id } } }"},
                             headers={"X-Shopify-Access-Token": "shpat_sandbox_second"})
        cost = resp.json()["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 2 + 3 * 1  # linear
        assert cost["throttleStatus"]["maximumAvailable"] == 500.0
        assert len(resp.json()["data"]["inventoryItems"]["nodes"]) == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
