"""The inventory health report as a person sees it: written by `inventory-report` from mart-contract tables,
opened in headless Chromium (Debian's `chromium`, installed by scripts/setup.sh), screenshotted and read back.

The expected figures are computed here from the same tables with SQL of the test's own, so the report's
numbers must match the mart.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import needs_module, needs, which
from support import contract_marts

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                  "--disable-extensions", "--window-size=1366,1500"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    needs("Debian's chromium is not installed (scripts/setup.sh installs it as root)", available=path is not None)
    return path


def browse(html: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}", *args,
                           html.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def write_report(tmp_path: Path) -> Path:
    command = which("inventory-report")
    needs("inventory-report is not installed: run scripts/setup.sh", available=command is not None)
    output = tmp_path / "report" / "health.html"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_ALERTS_")},
           "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
           "INVENTORY_ALERTS_FRESHNESS_RESULTS": str(tmp_path / "sources.json")}
    proc = subprocess.run([command, "--output", str(output)], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert f"report: wrote {output}" in proc.stderr
    return output


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        contract_marts.build(con.execute, date.today())
    contract_marts.freshness_results(tmp_path / "sources.json", stale=True)
    return path


ONE_STORE = "select sum(available) from analytics.fct_inventory_levels where channel = ? and store_id = ?"


def expected_figures(path: Path) -> dict[str, str]:
    horizon = date.today() + timedelta(days=14)
    with duckdb.connect(str(path), read_only=True) as con:
        one = lambda sql, *p: con.execute(sql, p).fetchone()[0]  # noqa: E731
        accuracy = one("select accuracy from analytics.mart_inventory_accuracy where grain = 'run' "
                       "order by period_start desc limit 1")
        return {
            "accuracy": f"{accuracy:.1%}",
            "discrepancies": str(one("select count(*) from analytics.fct_inventory_discrepancies where is_discrepancy")),
            "oversell_skus": str(one("select count(distinct sku) from analytics.fct_oversell_risk")),
            "stockouts": str(one("select count(*) from analytics.fct_stockout_forecast "
                                 "where projected_stockout_date <= ?", horizon)),
            # physical stock counted once: at the system of record, not once per channel showing it
            "available_units": f"{one(ONE_STORE, *contract_marts.RECORD):,}",
            "stale_sources": "1",
        }


def test_report_renders_in_chromium_with_the_marts_figures(warehouse, tmp_path) -> None:
    html = write_report(tmp_path)
    source = html.read_text()
    # Self-contained: nothing to fetch when it is opened (no scripts, stylesheets, images or fonts from outside).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\((?!#)|<script|<link|<img""", source, re.I)

    dom = browse(html, tmp_path, "--dump-dom").stdout
    shown = dict(re.findall(r'data-kpi="([a-z_]+)"><div class="value">([^<]+)</div>', dom))
    assert shown == expected_figures(warehouse)
    for title in ("Inventory accuracy over time", "Discrepancies by channel", "SKUs at oversell risk",
                  "Projected stock-outs, next 14 days", "Stock by location", "Source freshness"):
        assert f"<h2>{title}</h2>" in dom
    assert dom.count("<svg") == 6 and "Not available" not in dom
    for sku, *_ in contract_marts.OVERSELL:
        assert f"<td>{sku}</td>" in dom
    assert "<td>magento</td><td>warn</td><td>9.0</td>" in dom
    assert "Units available at the system of record (magento/demo-store)" in dom
    assert str(tmp_path) not in dom  # no path of the machine in what a reader sees
    assert "<td>SKU-9</td>" not in dom  # runs out in 300 days: not in the next 14

    shot = tmp_path / "report.png"
    browse(html, tmp_path, f"--screenshot={shot}")
    image = needs_module("matplotlib.image", "matplotlib is not installed: run scripts/setup.sh").imread(shot)[:, :, :3]
    assert image.shape[:2] == (1500, 1366)
    header = image[:40].mean()
    assert header < 0.3  # the dark title band is drawn
    painted = (abs(image - image[-1, -1]).sum(axis=2) > 0.1).mean()
    assert painted > 0.25  # cards, charts and tables, not a blank page
    for rgb in ((0x5e, 0x8e, 0x3e), (0xee, 0x67, 0x2f)):  # Shopify's and Magento's bars
        assert (abs(image * 255 - rgb).sum(axis=2) < 30).sum() > 500


def test_a_missing_mart_is_named_not_guessed(warehouse, tmp_path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table analytics.fct_oversell_risk")
    (tmp_path / "sources.json").unlink()
    dom = write_report(tmp_path).read_text()  # the file itself: Chromium's rendering is the test above
    assert "Not available: analytics.fct_oversell_risk is not in the warehouse (run dbt build)" in dom
    assert "Not available: no source-freshness results yet" in dom
    assert 'data-kpi="oversell_skus"><div class="value">n/a<' in dom
    assert dom.count("<svg") == 4
