"""The store list (orchestrate/stores.yml) and the Meltano file generated from it (orchestrate/stores.meltano.yml).

The generated file is committed and included by meltano.yml; it must be exactly what the generator makes from
the committed list, and the generator must refuse a bad list with one line, writing nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from orchestrate import generate

GENERATOR = ROOT / "orchestrate" / "generate.py"


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GENERATOR), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, check=False)


def test_generated_file_is_up_to_date() -> None:
    proc = run_generator("--check")
    assert proc.returncode == 0, (f"orchestrate/stores.meltano.yml is stale: run .venv/bin/python "
                                  f"orchestrate/generate.py and commit it\n{proc.stderr}")


def test_check_fails_when_the_list_changes(tmp_path: Path) -> None:
    changed = tmp_path / "stores.yml"
    doc = yaml.safe_load(generate.STORES.read_text())
    doc["stores"].append({"name": "fr", "platform": "shopify", "config": {"store": "acme-fr"},
                          "credentials": {"access_token": "ACME_FR_SHOPIFY_TOKEN"}})
    changed.write_text(yaml.safe_dump(doc))
    proc = run_generator("--check", "--stores", str(changed))
    assert proc.returncode == 1 and "stale" in proc.stderr, proc.stderr


def test_meltano_includes_the_generated_file() -> None:
    project = generate.meltano_project(skip=(generate.GENERATED,))  # meltano.yml and its other includes
    assert "./orchestrate/stores.meltano.yml" in project["include_paths"]
    names = {p["name"] for p in project["plugins"]["extractors"]}
    assert not [n for n in names if n.count("--") and not n.endswith("--reconcile")], \
        "per-store plugins belong in the store list, not in meltano.yml"


def test_one_plugin_job_and_schedule_per_store() -> None:
    fanout, stores = generate.validate(yaml.safe_load(generate.STORES.read_text()),
                                       generate.tap_settings(generate.meltano_project()))
    made = yaml.safe_load(generate.GENERATED.read_text())
    plugins = {p["name"]: p for p in made["plugins"]["extractors"]}
    schedules = {s["name"]: s for s in made["schedules"]}
    jobs = {j["name"]: j for j in made["jobs"]}
    assert len(plugins) == len(schedules) == len(stores)
    for store in stores:
        plugin = plugins[generate.plugin_name(store)]
        assert plugin["inherit_from"] == generate.tap(store["platform"])
        # secrets only as references to the variables the list names
        assert plugin["config"]["access_token"] == "$" + store["credentials"]["access_token"]
        schedule = schedules[generate.store_key(store)]
        assert jobs[schedule["job"]]["tasks"] == [f"{plugin['name']} target-{fanout['warehouse']}"]
        assert schedule["annotations"]["airflow"]["pool"] == store["platform"]
    transform = jobs[f"inventory-transform--{fanout['warehouse']}"]
    assert set(transform["annotations"]["airflow"]["after_assets"]) == {
        s["annotations"]["airflow"]["asset"] for s in schedules.values()}


def test_snowflake_stores_load_in_snowflake_pools() -> None:
    settings = generate.tap_settings(generate.meltano_project())
    doc = {"fanout": {"warehouse": "snowflake"}, "stores": [
        {"name": "eu", "platform": "shopify", "config": {"store": "a"}, "credentials": {"access_token": "A"}},
        {"name": "eu", "platform": "magento", "config": {"base_url": "https://m.example", "store_id": "m"},
         "credentials": {"access_token": "M"}}]}
    made = generate.meltano_file(*generate.validate(doc, settings))
    assert [s["annotations"]["airflow"]["pool"] for s in made["schedules"]] == [
        "snowflake_loads_shopify", "snowflake_loads_magento"]
    assert [j["tasks"] for j in made["jobs"] if j["name"].startswith("store-")] == [
        ["tap-shopify-inventory--eu target-snowflake"], ["tap-magento-inventory--eu target-snowflake"]]
    pools = json.loads((ROOT / "orchestrate" / "pools.json").read_text())
    for platform in generate.PLATFORMS:  # Snowflake aborts the 21st statement queued on one table's lock
        assert pools[platform]["slots"] >= 1 and 1 <= pools[f"snowflake_loads_{platform}"]["slots"] <= 20


def test_unset_credential_variable_never_falls_back_to_the_parent_token() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "MELTANO_", "ACME_"))}
    env.update(MELTANO_SEND_ANONYMOUS_USAGE_STATS="false", TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN="another-stores-token")

    def config(**extra: str) -> dict:
        proc = subprocess.run([str(Path(sys.executable).parent / "meltano"), "--log-level=warning", "config",
                               "--unsafe", "print", "tap-shopify-inventory--eu"], cwd=ROOT, env={**env, **extra},
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=True)
        return json.loads(proc.stdout[proc.stdout.index("{"):])

    assert config(ACME_EU_SHOPIFY_TOKEN="its-own-token")["access_token"] == "its-own-token"
    assert "access_token" not in config(), "a store without its own token would send the parent's"


STORE = {"name": "eu", "platform": "shopify", "config": {"store": "acme-eu"},
         "credentials": {"access_token": "ACME_EU_SHOPIFY_TOKEN"}}


@pytest.mark.parametrize(("doc", "says"), [
    ({"fanout": {"warehouse": "duckdb"}, "stores": [STORE]}, "fanout.warehouse is duckdb, which allows one writer"),
    ({"stores": [{**STORE, "config": {"store": "a", "access_token": "shpat_x"}}]}, "access_token is a secret"),
    ({"stores": [STORE, STORE]}, "listed twice"),
    ({"stores": [{**STORE, "credentials": {}}]}, "credentials must name the variable holding its access_token"),
    ({"stores": [{**STORE, "config": {}}]}, "config must name the store (store)"),
    ({"stores": [{**STORE, "name": "EU"}]}, "must be lower-case"),
    ({"stores": [{**STORE, "platform": "woocommerce"}]}, "platform must be one of"),
    ({"stores": [{**STORE, "every": "often"}]}, "not a five-field cron interval"),
])
def test_bad_list_is_one_line_and_writes_nothing(tmp_path: Path, doc: dict, says: str) -> None:
    stores, out = tmp_path / "stores.yml", tmp_path / "out.yml"
    stores.write_text(yaml.safe_dump(doc))
    proc = run_generator("--stores", str(stores), "--out", str(out))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines
    assert "shpat_x" not in proc.stderr
    assert not out.exists()
