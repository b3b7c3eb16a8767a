"""Three sandbox servers sharing one catalog (`inventory-sandbox serve --catalog shared`), started as a user
starts them (the console script), and the cases they seeded (`GET /_sandbox/scenario`).

The mart tests compare what the marts flag with these cases; scripts/demo.sh starts the same servers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

VENV_BIN = Path(sys.executable).parent
STORES = {"shopify": "demo-store", "bigcommerce": "demostore", "magento": "demo-store"}
RECORD = ("magento", "demo-store")  # inventory_sandbox.catalog.RECORD_CHANNEL and its store


@dataclass
class Server:
    platform: str
    store: str
    url: str

    def get(self, path: str) -> dict:
        response = requests.get(f"{self.url}/_sandbox/{path}", timeout=60)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, **body) -> dict:
        response = requests.post(f"{self.url}/_sandbox/{path}", json={"store": self.store, **body}, timeout=60)
        response.raise_for_status()
        return response.json()

    def truth(self) -> dict:
        return self.get(f"truth?store={self.store}")

    def scenario(self) -> dict:
        return self.get("scenario")["stores"][self.store]


@contextmanager
def _server(platform: str, items: int, seed: int) -> Iterator[Server]:
    store = STORES[platform]
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready"
        proc = subprocess.Popen(
            [str(VENV_BIN / "inventory-sandbox"), "serve", "--platform", platform, "--stores", store,
             "--locations", "6", "--items", str(items), "--seed", str(seed), "--catalog", "shared",
             "--ready-file", str(ready), *(["--quota", "100000"] if platform == "bigcommerce" else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while not ready.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{platform} sandbox did not start: {proc.stderr.read() if proc.stderr else ''}")
                time.sleep(0.05)
            yield Server(platform, store, ready.read_text().strip())
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@contextmanager
def shared_catalog(items: int, seed: int) -> Iterator[dict[str, Server]]:
    with ExitStack() as stack:
        yield {p: stack.enter_context(_server(p, items, seed)) for p in STORES}


def tap_env(servers: dict[str, Server], env: dict[str, str]) -> dict[str, str]:
    """Every extractor pointed at its shared-catalog store, and dbt told which store is the record."""
    s, b, m = servers["shopify"], servers["bigcommerce"], servers["magento"]
    return {
        **env,
        "TAP_SHOPIFY_INVENTORY_STORE": s.store, "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": f"shpat_sandbox_{s.store}",
        "TAP_SHOPIFY_INVENTORY_API_URL": f"{s.url}/stores/{s.store}", "TAP_SHOPIFY_INVENTORY_LOOKBACK": "0",
        "TAP_BIGCOMMERCE_INVENTORY_STORE_HASH": b.store, "TAP_BIGCOMMERCE_INVENTORY_ACCESS_TOKEN": f"bc_sandbox_{b.store}",
        "TAP_BIGCOMMERCE_INVENTORY_API_URL": f"{b.url}/stores/{b.store}", "TAP_BIGCOMMERCE_INVENTORY_LOOKBACK": "0",
        "TAP_MAGENTO_INVENTORY_BASE_URL": f"{m.url}/stores/{m.store}", "TAP_MAGENTO_INVENTORY_STORE_ID": m.store,
        "TAP_MAGENTO_INVENTORY_ACCESS_TOKEN": f"mg_sandbox_{m.store}", "TAP_MAGENTO_INVENTORY_LOOKBACK": "0",
        "INVENTORY_RECORD_CHANNEL": RECORD[0], "INVENTORY_RECORD_STORE_ID": RECORD[1],
    }


def seeded_cases(servers: dict[str, Server]) -> list[dict]:
    return [case for server in servers.values() for case in server.scenario()["cases"]]


DISCREPANCY_KINDS = {"discrepancy", "above_system_of_record"}
RISK_KINDS = {"above_system_of_record", "continue_with_nothing_available"}
ANOMALY_KINDS = {"negative_stock", "tracked_without_levels"}


def tracked_skus(truth: dict) -> set[str]:
    """The SKUs a store tracks (normalized as staging does), composites aside."""
    return {i["sku"].strip().upper() for i in truth["inventory_items"]
            if i["is_tracked"] and i["sku"] and i.get("type_id") not in ("configurable", "bundle", "grouped")}


def expected_accuracy(servers: dict[str, Server], cases: list[dict]) -> tuple[int, int]:
    """(SKUs compared, SKUs accurate) from ground truth: every SKU some store tracks is compared with the
    record; it is accurate unless a seeded case makes a channel disagree."""
    compared = set().union(*(tracked_skus(s.truth()) for s in servers.values()))
    wrong = {c["sku"] for c in cases if c["kind"] in DISCREPANCY_KINDS}
    return len(compared), len(compared - wrong)


def assert_marts_flag_seeded_cases(rows, servers: dict[str, Server]) -> tuple[set, set, tuple[int, int]]:
    """After a sync of the shared-catalog stores, on any warehouse (`rows(sql)`): the marts flag every seeded
    case and nothing else, and the accuracy KPI equals the share from ground truth. Returns what was flagged."""
    cases = seeded_cases(servers)
    assert {c["kind"] for c in cases} == DISCREPANCY_KINDS | RISK_KINDS | ANOMALY_KINDS

    # Which SKUs disagree across channels: exactly the seeded discrepancies, with the planned difference.
    flagged = {(r["sku"], r["channel"], r["store_id"], int(r["difference"])) for r in rows(
        "select * from analytics.fct_inventory_discrepancies where is_discrepancy")}
    assert flagged == {(c["sku"], c["channel"], c["store_id"], c["delta"]) for c in cases
                       if c["kind"] in DISCREPANCY_KINDS}
    record = rows("select distinct record_channel, record_store_id from analytics.fct_inventory_discrepancies")
    assert [(r["record_channel"], r["record_store_id"]) for r in record] == [RECORD]

    # Which can oversell now: the channels above the record and the one selling at zero on `continue`.
    risks = {(r["sku"], r["channel"], r["risk_reason"]) for r in rows("select * from analytics.fct_oversell_risk")}
    assert risks == {(c["sku"], c["channel"], c["kind"]) for c in cases if c["kind"] in RISK_KINDS}

    anomalies = rows("select * from analytics.fct_inventory_anomalies")
    assert {(a["anomaly_type"], a["channel"], a["sku"], a["location_id"]) for a in anomalies} == {
        (c["kind"], c["channel"], c["sku"], c.get("location_id")) for c in cases if c["kind"] in ANOMALY_KINDS}

    # What the accuracy is: the share from ground truth.
    compared, accurate = expected_accuracy(servers, cases)
    (kpi,) = rows("select * from analytics.mart_inventory_accuracy where grain = 'run'")
    assert (kpi["skus_compared"], kpi["skus_accurate"]) == (compared, accurate)
    assert float(kpi["accuracy"]) == pytest.approx(accurate / compared)
    return flagged, risks, (compared, accurate)


if __name__ == "__main__":  # a quick look: python -m tests.support.shared_catalog
    with shared_catalog(int(os.environ.get("ITEMS", "60")), 7) as found:
        for case in seeded_cases(found):
            print(case)
