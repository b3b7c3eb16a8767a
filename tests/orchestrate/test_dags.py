"""The DAG generator (orchestrate/dags/inventory_dags.py): what it makes of the compiled Meltano manifest.

- `meltano compile`'s manifest keeps the fan-out schedules, jobs and annotations exactly as the generated file
  has them (so the generator needs nothing else);
- a fan-out schedule into DuckDB is refused with one line, by the generator's own command and as the DAG file's
  only import error in Airflow;
- 500 stores: Airflow's own DagBag parses the file into 501 DAGs with the right pool, queue, retries and
  max_active_runs per store; the parse time is printed. (`meltano compile` of a 500-store project takes minutes
  in Meltano 4.4, once per deploy; here the manifest's jobs and schedules are built the way compile copies them.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT, needs

from orchestrate import generate
from orchestrate.project_copy import synthetic_stores

DAG_FILE = ROOT / "orchestrate" / "dags" / "inventory_dags.py"
AIRFLOW_PYTHON = ROOT / ".meltano" / "utilities" / "airflow" / "venv" / "bin" / "python"
sys.path.insert(0, str(DAG_FILE.parent))
import inventory_dags  # noqa: E402  (the DAG file's plan needs no Airflow)


def fanout_manifest(generated: dict) -> dict:
    """The jobs and schedules `meltano compile` puts in the manifest: meltano.yml's followed by the included file's."""
    project = generate.meltano_project(skip=(generate.GENERATED,))  # meltano.yml and its other included files
    return {"jobs": project.get("jobs", []) + generated["jobs"],
            "schedules": project.get("schedules", []) + generated["schedules"]}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "MELTANO_", "AIRFLOW", "INVENTORY_"))}
    return {**env, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}


def test_compiled_manifest_keeps_jobs_schedules_and_annotations(tmp_path: Path) -> None:
    manifest = tmp_path / "manifests"
    proc = subprocess.run([str(Path(sys.executable).parent / "meltano"), "--log-level=warning", "--environment=postgres",
                           "compile", "--directory", str(manifest)], cwd=ROOT, env=clean_env(), capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    compiled = json.loads((manifest / "meltano-manifest.postgres.json").read_text())
    expected = fanout_manifest(yaml.safe_load(generate.GENERATED.read_text()))

    def by_name(items: list[dict]) -> dict:
        return {i["name"]: {k: v for k, v in i.items() if k != "env" or v} for i in items}

    assert by_name(compiled["jobs"]) == by_name(expected["jobs"])
    assert by_name(compiled["schedules"]) == by_name(expected["schedules"])
    stores, transform = inventory_dags.plan(compiled)
    assert [s.dag_id for s in stores] == [generate.store_key(s) for s in yaml.safe_load(
        generate.STORES.read_text())["stores"]]
    assert transform is not None and transform.job == "inventory-transform--postgres"


def duckdb_manifest() -> dict:
    made = yaml.safe_load(generate.GENERATED.read_text())
    manifest = fanout_manifest(made)
    for job in manifest["jobs"]:
        if job["name"].startswith("store-"):
            job["tasks"] = [t.replace("target-postgres", "target-duckdb") for t in job["tasks"]]
    return manifest


def test_fanout_into_duckdb_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "meltano-manifest.dev.json"
    path.write_text(json.dumps(duckdb_manifest()))
    proc = subprocess.run([sys.executable, str(DAG_FILE), "--manifest", str(path)], capture_output=True, text=True,
                          timeout=60, check=False, env=clean_env())
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "loads into DuckDB (target-duckdb), which allows one writer at a time" in lines[0], lines
    assert "postgres or snowflake" in lines[0] and "inventory-sync--many-stores" in lines[0]


def test_missing_manifest_says_how_to_make_it(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(DAG_FILE), "--manifest", str(tmp_path / "meltano-manifest.postgres.json")],
                          capture_output=True, text=True, timeout=60, check=False, env=clean_env())
    assert proc.returncode == 2 and "run `meltano --environment=postgres compile`" in proc.stderr, proc.stderr


DAGBAG = r"""
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
wall = time.perf_counter() - started
(stat,) = bag.dagbag_stats
started = time.perf_counter()
for dag in bag.dags.values():
    DagSerialization.to_dict(dag)
serialize = time.perf_counter() - started
dags = {}
for dag_id, dag in bag.dags.items():
    task = dag.tasks[0]
    dags[dag_id] = {"tasks": sorted(t.task_id for t in dag.tasks), "max_active_runs": dag.max_active_runs,
                    "pool": task.pool, "queue": task.queue, "retries": task.retries,
                    "backoff": task.retry_exponential_backoff, "outlets": [a.uri for a in task.outlets],
                    "schedule": str(getattr(dag.timetable, "summary", dag.timetable))}
print(json.dumps({"errors": {k: v.splitlines()[-1] for k, v in bag.import_errors.items()}, "dags": dags,
                  "parse_s": stat.duration.total_seconds(), "wall_s": wall, "serialize_s": serialize}))
"""


def dagbag(manifest: Path, env: dict[str, str]) -> dict:
    needs("the airflow utility is not installed: run scripts/setup.sh", available=AIRFLOW_PYTHON.exists())
    proc = subprocess.run([str(AIRFLOW_PYTHON), "-c", DAGBAG, str(DAG_FILE)], capture_output=True, text=True,
                          timeout=300, check=False, stdin=subprocess.DEVNULL,
                          env={**env, "INVENTORY_MANIFEST": str(manifest), "MELTANO_ENVIRONMENT": "postgres",
                               "AIRFLOW__CORE__LOAD_EXAMPLES": "false"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_500_stores_parse_into_501_dags(tmp_path: Path) -> None:
    counts = {"shopify": 250, "bigcommerce": 150, "magento": 100}
    stores_file = tmp_path / "stores.yml"
    stores_file.write_text(yaml.safe_dump(synthetic_stores(counts)))
    made = yaml.safe_load(generate.render(stores_file))
    manifest = tmp_path / "meltano-manifest.postgres.json"
    manifest.write_text(json.dumps(fanout_manifest(made)))
    found = dagbag(manifest, clean_env(AIRFLOW_HOME=str(tmp_path / "airflow")))
    print(f"\n500 stores: Airflow's DagBag parsed {len(found['dags'])} DAGs in {found['parse_s']:.3f} s "
          f"(the file; {found['wall_s']:.3f} s with DagBag set-up), serialized in {found['serialize_s']:.3f} s")
    assert not found["errors"], found["errors"]
    assert len(found["dags"]) == 501
    for store in made["schedules"]:
        dag = found["dags"][store["name"]]
        platform = store["annotations"]["airflow"]["platform"]
        assert dag["tasks"] == ["sync"] and dag["max_active_runs"] == 1
        assert dag["pool"] == dag["queue"] == platform
        assert dag["retries"] == 3 and dag["backoff"] == 2.0
        assert dag["outlets"] == [f"inventory://postgres/raw_{platform}"]
    transform = found["dags"]["inventory-transform"]
    assert transform["tasks"] == ["dbt", "hold"] and transform["max_active_runs"] == 1
    # The parse must stay cheap: reading the manifest, not calling Meltano per store (one `meltano` call alone
    # takes over a second). Generous against a loaded CI machine; docs/scaling.md has the measured figure.
    assert found["parse_s"] < 5, f"parsing 500 stores took {found['parse_s']:.1f} s"


def test_duckdb_fanout_is_an_import_error_in_airflow(tmp_path: Path) -> None:
    manifest = tmp_path / "meltano-manifest.postgres.json"
    manifest.write_text(json.dumps(duckdb_manifest()))
    found = dagbag(manifest, clean_env(AIRFLOW_HOME=str(tmp_path / "airflow")))
    assert found["dags"] == {}
    (error,) = found["errors"].values()
    assert "FanoutError: fan-out schedule 'store-shopify-eu' loads into DuckDB" in error, error
