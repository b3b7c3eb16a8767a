"""Airflow DAGs for many stores, built from the compiled Meltano manifest (docs/scaling.md).

One DAG per store: the schedules orchestrate/generate.py writes (`store-<platform>-<name>`, with
`annotations.airflow`) each become a DAG with one task, `meltano --environment=<env> run <job>` (the store's own
plugin -> the warehouse's loader), on the schedule's interval, `max_active_runs=1` (Meltano's own "already
running" check is not atomic: the orchestrator keeps one run per store), retries with exponential backoff, in
its platform's pool (orchestrate/pools.json) and queue (Celery), updating its platform's raw-schema asset.

One dbt DAG (`inventory-transform`): scheduled on those assets, so it runs when any store has loaded; its task
`hold` keeps each run open until dbt has finished and INVENTORY_TRANSFORM_INTERVAL_SECONDS have passed since its
last try started, and with `max_active_runs=1` the loads that land meanwhile queue exactly one next run: dbt runs
at most once per interval, a retry included.

The manifest (`meltano --environment=<env> compile`, .meltano/manifests/meltano-manifest.<env>.json) is read
once per parse: reading it costs milliseconds where `meltano schedule list` costs a second or more, and unlike
that command it keeps the annotations. A fan-out schedule that loads into DuckDB (one writer at a time) is
refused with one line: the file then shows as an import error and no DAG is made.

    python orchestrate/dags/inventory_dags.py [--manifest PATH]   # the plan, the parse time, or the one-line error
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path(__file__).resolve().parents[2])
#: Loaders and dbt utilities that allow one writer at a time: never fanned out.
SINGLE_WRITER = ("target-duckdb", "dbt-duckdb")
TRANSFORM_DAG = "inventory-transform"
#: A failed store run is tried again after 30 s, 60 s, 120 s (then its next scheduled run takes over).
RETRIES, RETRY_DELAY, BACKOFF, MAX_RETRY_DELAY = 3, timedelta(seconds=30), 2.0, timedelta(minutes=10)
#: A store run that hangs is stopped (and retried) after this.
RUN_TIMEOUT = timedelta(hours=1)
DBT_RETRIES = 2
#: The states in which the dbt task will not start again in its run, and how often `hold` looks until then.
DBT_FINISHED = {"success", "failed", "upstream_failed", "skipped", "removed"}
DBT_POLL = timedelta(seconds=10)
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


class FanoutError(RuntimeError):
    """The manifest cannot be fanned out; the message is one line saying why and what to do."""


@dataclass(frozen=True)
class StoreDag:
    dag_id: str
    interval: str
    job: str
    platform: str
    store: str
    pool: str
    asset: str


@dataclass(frozen=True)
class TransformDag:
    dag_id: str
    job: str
    assets: tuple[str, ...]
    channels: str


def manifest_path(environment: str) -> Path:
    override = os.environ.get("INVENTORY_MANIFEST")
    if override:
        return Path(override)
    return PROJECT_ROOT / ".meltano" / "manifests" / f"meltano-manifest.{environment}.json"


def load_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        env = path.name.removeprefix("meltano-manifest.").removesuffix(".json")
        raise FanoutError(f"no compiled Meltano manifest at {path}; run `meltano --environment={env} compile` "
                          "after every change to meltano.yml or orchestrate/stores.yml") from None


def plan(manifest: dict) -> tuple[list[StoreDag], TransformDag | None]:
    """The store DAGs and the dbt DAG the manifest asks for (no Airflow needed)."""
    tasks = {job["name"]: " ".join(job["tasks"] if isinstance(job["tasks"], list) else [job["tasks"]]).split()
             for job in manifest.get("jobs", [])}
    stores = []
    for schedule in manifest.get("schedules", []):
        note = (schedule.get("annotations") or {}).get("airflow")
        if note is None:
            continue  # a cron schedule (the single-box path), not part of the fan-out
        job = schedule.get("job")
        if job not in tasks:
            raise FanoutError(f"fan-out schedule {schedule['name']!r} names job {job!r}, which meltano.yml lacks")
        serial = [word for word in tasks[job] if word.split(":")[0] in SINGLE_WRITER]
        if serial:
            raise FanoutError(f"fan-out schedule {schedule['name']!r} loads into DuckDB ({serial[0]}), which allows "
                              "one writer at a time: set fanout.warehouse to postgres or snowflake in "
                              "orchestrate/stores.yml, or run the serial job inventory-sync--many-stores from cron")
        stores.append(StoreDag(dag_id=schedule["name"], interval=schedule["interval"], job=job,
                               platform=note["platform"], store=note["store"], pool=note["pool"],
                               asset=note["asset"]))
    transform = None
    for job in manifest.get("jobs", []):
        note = (job.get("annotations") or {}).get("airflow")
        if note and "after_assets" in note:
            serial = [word for word in tasks[job["name"]] if word.split(":")[0] in SINGLE_WRITER]
            if serial:
                raise FanoutError(f"job {job['name']!r} runs {serial[0]} after fanned-out loads; DuckDB allows one "
                                  "writer at a time: use postgres or snowflake (orchestrate/stores.yml)")
            transform = TransformDag(dag_id=TRANSFORM_DAG, job=job["name"], assets=tuple(note["after_assets"]),
                                     channels=note.get("channels", ""))
    return stores, transform


def build_dags(stores: list[StoreDag], transform: TransformDag | None, *, environment: str, meltano: str,
               interval_s: int) -> list:
    """Airflow DAG objects for the plan."""
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG, Asset, AssetAny, BaseSensorOperator, CronTriggerTimetable
    from airflow.sdk.exceptions import AirflowRescheduleException

    def command(job: str) -> str:
        return f"exec {meltano} --environment={environment} run {job}"

    # Everything a DAG would otherwise look up in Airflow's configuration is given, and objects shared between
    # stores are made once: 500 stores parse in well under a second.
    given = {"start_date": START, "catchup": False, "max_active_runs": 1, "max_consecutive_failed_dag_runs": 0,
             "disable_bundle_versioning": False}
    assets: dict[str, Asset] = {}
    timetables: dict[str, CronTriggerTimetable] = {}
    dags = []
    for s in stores:
        asset = assets.get(s.asset) or assets.setdefault(s.asset, Asset(s.asset))
        timetable = timetables.get(s.interval) or timetables.setdefault(
            s.interval, CronTriggerTimetable(s.interval, timezone="UTC"))
        with DAG(dag_id=s.dag_id, schedule=timetable, max_active_tasks=1, **given,
                 tags=["inventory", "store", s.platform],
                 description=f"{s.platform} store {s.store}: meltano run {s.job}") as dag:
            BashOperator(task_id="sync", bash_command=command(s.job), cwd=str(PROJECT_ROOT), pool=s.pool,
                         queue=s.platform, outlets=[asset], retries=RETRIES, retry_delay=RETRY_DELAY,
                         retry_exponential_backoff=BACKOFF, max_retry_delay=MAX_RETRY_DELAY,
                         execution_timeout=RUN_TIMEOUT)
        dags.append(dag)
    if transform is not None:

        def record_start(context) -> None:
            """The dbt task's try records when it started (a new try clears the last one's XComs)."""
            context["ti"].xcom_push(key="started_at", value=datetime.now(timezone.utc).isoformat())

        class HoldForInterval(BaseSensorOperator):
            """Succeeds once dbt has finished and `interval_s` has passed since its last try started (and since the
            run started); until then the run stays open and frees its slot. A retried dbt thus also starts at
            least `interval_s` before the next run's."""

            def poke(self, context) -> bool:
                ti, run = context["ti"], context["dag_run"]
                states = ti.get_task_states(dag_id=ti.dag_id, task_ids=["dbt"], run_ids=[run.run_id])
                started = ti.xcom_pull(task_ids="dbt", key="started_at")
                start = max(run.start_date, datetime.fromisoformat(started)) if started else run.start_date
                until = start + timedelta(seconds=interval_s)
                now = datetime.now(timezone.utc)
                finished = states.get(run.run_id, {}).get("dbt") in DBT_FINISHED
                if finished and now >= until:
                    return True
                raise AirflowRescheduleException(reschedule_date=until if finished else max(until, now + DBT_POLL))

        watched = [assets.get(uri) or Asset(uri) for uri in transform.assets]
        with DAG(dag_id=transform.dag_id, schedule=AssetAny(*watched), max_active_tasks=2, **given,
                 tags=["inventory", "dbt"],
                 description=f"dbt after store loads, at most every {interval_s} s: meltano run {transform.job}") as dag:
            BashOperator(task_id="dbt", bash_command=command(transform.job), cwd=str(PROJECT_ROOT),
                         env={"INVENTORY_CHANNELS": transform.channels} if transform.channels else None,
                         append_env=True, retries=DBT_RETRIES, retry_delay=RETRY_DELAY,
                         retry_exponential_backoff=BACKOFF, execution_timeout=RUN_TIMEOUT, pre_execute=record_start)
            HoldForInterval(task_id="hold", mode="reschedule", poke_interval=interval_s,
                            timeout=interval_s + (DBT_RETRIES + 1) * (RUN_TIMEOUT + MAX_RETRY_DELAY).total_seconds())
        dags.append(dag)
    return dags


def settings() -> tuple[str, str, int]:
    """(Meltano environment, meltano executable, dbt interval in s) from the variables Meltano exports."""
    environment = os.environ.get("MELTANO_ENVIRONMENT") or "postgres"
    meltano = os.environ.get("INVENTORY_MELTANO_BIN") or str(PROJECT_ROOT / ".venv" / "bin" / "meltano")
    return environment, meltano, int(os.environ.get("INVENTORY_TRANSFORM_INTERVAL_SECONDS") or 300)


def main(argv: list[str]) -> int:
    environment, meltano, interval_s = settings()
    path = Path(argv[argv.index("--manifest") + 1]) if "--manifest" in argv else manifest_path(environment)
    started = time.perf_counter()
    try:
        stores, transform = plan(load_manifest(path))
    except FanoutError as exc:
        print(f"inventory_dags: {exc}", file=sys.stderr)
        return 2
    planned = time.perf_counter()
    try:
        dags = build_dags(stores, transform, environment=environment, meltano=meltano, interval_s=interval_s)
    except ImportError:
        dags = None  # outside Airflow's venv: the plan only
    built = time.perf_counter()
    platforms = sorted({s.platform for s in stores})
    print(f"inventory_dags: {len(stores)} store DAGs ({', '.join(platforms)}), "
          f"dbt DAG: {transform.job if transform else 'none'}; manifest read in {planned - started:.3f} s"
          + (f", {len(dags)} DAGs built in {built - planned:.3f} s" if dags is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
elif "airflow" in sys.modules:  # parsed by Airflow (its dag-processor, a DagBag), not imported for its plan
    _environment, _meltano, _interval_s = settings()
    for _dag in build_dags(*plan(load_manifest(manifest_path(_environment))), environment=_environment,
                           meltano=_meltano, interval_s=_interval_s):
        globals()[_dag.dag_id.replace("-", "_")] = _dag
