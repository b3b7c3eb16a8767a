"""Bad configuration: one clear line, a non-zero exit, and nothing emitted that a loader could store.

Per tap: a missing required setting, a malformed one, a misspelt one, a wrong token, an unknown store, a wrong
API version (where the platform has one in the path), a start_date in the future and one that is not ISO 8601. The tap runs against a live
sandbox; its stdout must hold no STATE and no RECORD message, so no state or partial data is ever written;
its error line must name the setting to fix (and the bad value where there is one); no traceback.
Results: output/reliability/bad_config.json -> docs/reliability.md.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import needs_module
from reliability_harness import TAPS, VENV_BIN, write_results

inventory_sandbox = needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")

FUTURE = "2999-01-01T00:00:00Z"
RESULTS: list[dict] = []


def _base(platform: str, sandbox) -> dict:
    if platform == "shopify":
        return {"store": "good", "access_token": sandbox.token("good"), "api_url": sandbox.api_url("good")}
    if platform == "bigcommerce":
        return {"store_hash": "good", "access_token": sandbox.token("good"), "api_url": sandbox.api_url("good")}
    return {"base_url": sandbox.base_url("good"), "access_token": sandbox.token("good")}


def _bad(platform: str, sandbox) -> dict[str, tuple[dict, tuple[str, ...]]]:
    """case -> (config, words the error line must all contain: the setting to fix, and the bad value)."""
    base = _base(platform, sandbox)
    token_key = "access_token"
    no_token = {k: v for k, v in base.items() if k != token_key}
    cases = {
        "missing token": (no_token, ("access_token",)),
        "malformed setting": ({**base, "request_timeout": "soon"}, ("request_timeout", "soon")),
        "wrong token": ({**base, token_key: "not-the-token"}, ("401", "access_token")),
        "future start_date": ({**base, "start_date": FUTURE}, ("start_date", "future")),
        "non-ISO start_date": ({**base, "start_date": "05/12/2025"}, ("start_date", "05/12/2025", "ISO 8601")),
        "misspelt setting": ({**base, "acess_token": "x"}, ("unknown setting 'acess_token'", "access_token")),
    }
    if platform == "shopify":
        cases["unknown store"] = ({**base, "store": "nostore", "api_url": sandbox.api_url("nostore")},
                                  ("404", "nostore", "store"))
        cases["wrong API version"] = ({**base, "api_version": "2026-13"}, ("api_version", "2026-13"))
    elif platform == "bigcommerce":
        cases["unknown store"] = ({**base, "store_hash": "nostore", "api_url": sandbox.api_url("nostore")},
                                  ("404", "nostore", "store_hash"))
    else:
        cases["unknown store"] = ({**base, "base_url": sandbox.base_url("nostore")}, ("404", "base_url"))
        cases["wrong API version"] = ({**base, "store_code": "fr"}, ("404", "store_code", "fr"))
    return cases


def _sandbox(platform: str):
    common = {"stores": ["good"], "locations": 1, "items": 3, "seed": 1}
    return {"shopify": inventory_sandbox.ShopifySandbox, "bigcommerce": inventory_sandbox.BigCommerceSandbox,
            "magento": inventory_sandbox.MagentoSandbox}[platform](**common)


def _clear_line(stderr: str) -> str:
    """The error line a user reads: the last line that is neither a traceback frame nor blank."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("File ", "Traceback", "^", "~"))]
    errors = [ln for ln in lines if "ERROR" in ln or "Error:" in ln or "Exception:" in ln]
    meaningful = [ln for ln in errors if "Config validation failed" not in ln]
    return (meaningful or errors or lines or [""])[-1]


@pytest.mark.parametrize("platform", ["shopify", "bigcommerce", "magento"])
def test_bad_configuration_is_one_clear_line_and_writes_nothing(platform, tmp_path) -> None:
    with _sandbox(platform) as sandbox:
        failures = []
        for case, (config, words) in _bad(platform, sandbox).items():
            path = tmp_path / f"{case.replace(' ', '_')}.json"
            path.write_text(json.dumps(config))
            proc = subprocess.run([str(VENV_BIN / TAPS[platform]), "--config", str(path)], capture_output=True,
                                  text=True, timeout=120, check=False)
            kinds = {json.loads(ln).get("type") for ln in proc.stdout.splitlines() if ln.startswith("{")}
            line = _clear_line(proc.stderr)
            traceback = "Traceback" in proc.stderr
            ok = (proc.returncode != 0 and not kinds & {"STATE", "RECORD"} and all(w in line for w in words)
                  and not traceback)
            RESULTS.append({"platform": platform, "case": case, "exit_code": proc.returncode,
                            "messages": sorted(k for k in kinds if k), "line": line, "traceback": traceback,
                            "ok": ok})
            if not ok:
                failures.append((case, proc.returncode, sorted(k for k in kinds if k), traceback, words, line))
        write_results("bad_config", RESULTS)
        assert not failures, failures
