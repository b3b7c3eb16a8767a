"""Data faults and the pass-through kinds: rows repeated across pages, control calls between pages."""

from __future__ import annotations

import pytest
import requests

from inventory_sandbox import BigCommerceSandbox, MagentoSandbox
from inventory_sandbox.faults import Fault


def _faults(sandbox, *specs) -> None:
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"faults": list(specs)}, timeout=10).raise_for_status()


def test_overlap_repeats_the_previous_pages_last_rows():
    with BigCommerceSandbox(stores=["s1"], locations=2, items=12, seed=1) as bc:
        api, headers = bc.api_url("s1"), {"X-Auth-Token": bc.token("s1")}
        _faults(bc, {"kind": "none"}, {"kind": "overlap", "rows": 2})
        pages = [requests.get(f"{api}/v3/inventory/items", params={"limit": 5, "page": n}, headers=headers,
                              timeout=10).json()["data"] for n in (1, 2, 3)]
        ids = [[r["identity"]["variant_id"] for r in page] for page in pages]
        assert ids[1][:2] == ids[0][-2:] and len(ids[1]) == 7  # page 2 repeats page 1's last two rows
        assert len(ids[2]) <= 5 and not set(ids[2]) & set(ids[1])  # the fault is spent


def test_mutate_runs_a_control_call_before_answering():
    with MagentoSandbox(stores=["m1"], locations=2, items=6, seed=1) as mg:
        _faults(mg, {"kind": "mutate", "route": "source", "body": {"store": "m1", "source_code": "eu-warehouse",
                                                                    "enabled": False}})
        assert all(s["is_active"] for s in mg.truth("m1")["locations"])
        requests.get(f"{mg.base_url('m1')}/rest/V1/inventory/sources", params={"searchCriteria": ""},
                     headers={"Authorization": f"Bearer {mg.token('m1')}"}, timeout=10).raise_for_status()
        active = {s["location_id"]: s["is_active"] for s in mg.truth("m1")["locations"]}
        assert active["eu-warehouse"] is False


def test_fault_specs_are_checked():
    assert Fault.from_json({"kind": "timeout"}).delay_ms == 5000
    assert Fault.from_json({"kind": "none"}).delay_ms == 0
    with pytest.raises(ValueError, match="mutate"):
        Fault.from_json({"kind": "mutate", "route": "stock"})
