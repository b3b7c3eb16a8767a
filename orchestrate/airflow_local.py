"""Run the project's Airflow on this box: the processes, their settings, and a small client of its REST API.

Used by `scripts/airflow.sh` (the one-command try-out), the Airflow tests and the fan-out benchmark. Every Airflow
process is started through Meltano (`meltano --environment=<env> invoke airflow:<command>`, the utility defined
in meltano.yml), so the settings are the ones a deployment uses; this module only chooses free ports, the
metadata database, shared secrets (the api-server checks the tokens the scheduler hands to tasks, so every
process needs the same JWT secret) and a UI password written before Airflow starts (else Airflow generates one
and prints it to its log).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = {"LocalExecutor": ("api-server", "scheduler", "dag-processor"),
              "CeleryExecutor": ("api-server", "scheduler", "dag-processor", "celery-worker")}
USER = "admin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Airflow:
    """One Airflow deployment of this project: metadata database, executor, home folder, processes."""

    env: dict[str, str]                   # the environment the tasks need (warehouse, Meltano state, store secrets)
    home: Path                            # AIRFLOW_HOME: airflow.cfg, logs, the UI passwords file
    metadata_url: str                     # SQLAlchemy URL of Airflow's own database
    executor: str = "LocalExecutor"
    environment: str = "postgres"         # the Meltano environment of the fan-out (its manifest, its state ids)
    broker_url: str = ""                  # Celery only
    settings: dict[str, str] = field(default_factory=dict)  # more AIRFLOW__* / INVENTORY_* settings
    project: Path = ROOT
    meltano: str = str(ROOT / ".venv" / "bin" / "meltano")
    api_port: int = 0

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "logs").mkdir(exist_ok=True)
        self.api_port = self.api_port or free_port()
        secret_file = self.home / "secrets.json"  # kept so `down` and a later `up` talk to the same deployment
        if secret_file.exists():
            self.secrets = json.loads(secret_file.read_text())
        else:
            self.secrets = {"jwt": secrets.token_urlsafe(32), "api": secrets.token_urlsafe(32),
                            "password": secrets.token_urlsafe(12)}
            secret_file.touch(mode=0o600)
            secret_file.write_text(json.dumps(self.secrets))
        passwords = self.home / "passwords.json"
        passwords.touch(mode=0o600)
        passwords.write_text(json.dumps({USER: self.secrets["password"]}))
        self.procs: dict[str, subprocess.Popen] = {}
        self._token = ""

    # ------------------------------------------------------------------------------------------ processes
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def password(self) -> str:
        return self.secrets["password"]

    def process_env(self) -> dict[str, str]:
        env = {
            **self.env,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__EXECUTOR": self.executor,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_url,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": self.secrets["jwt"],
            "AIRFLOW__API__SECRET_KEY": self.secrets["api"],
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            # Ports of the log servers: free ones, so several deployments (and CI jobs) share a machine.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            **self.settings,
        }
        if self.executor == "CeleryExecutor":
            env["AIRFLOW__CELERY__BROKER_URL"] = self.broker_url
            env["AIRFLOW__CELERY__RESULT_BACKEND"] = "db+" + self.metadata_url.replace("+psycopg2", "")
        return env

    def meltano_cmd(self, *args: str) -> list[str]:
        return [self.meltano, "--log-level=warning", f"--environment={self.environment}", *args]

    def run(self, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
        """A Meltano command in the project with this deployment's settings; raises with its tail on failure."""
        proc = subprocess.run(self.meltano_cmd(*args), cwd=self.project, env=self.process_env(), text=True,
                              capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
            raise RuntimeError(f"meltano {' '.join(args)} exited {proc.returncode}:\n{tail}")
        return proc

    def deploy(self, pools: Path | None = None) -> None:
        """What runs once per deploy, never inside tasks: compile the manifest the DAGs read, migrate Meltano's
        system database (Meltano migrates on start-up without a lock) and Airflow's, import the pools."""
        self.run("compile")
        self.run("state", "list")  # the first Meltano command on a fresh system database migrates it
        self.run("invoke", "airflow:migrate")
        if pools is not None:
            self.settings["INVENTORY_AIRFLOW_POOLS"] = str(pools)
        self.run("invoke", "airflow:pools-import")

    def start(self, components: tuple[str, ...] | None = None, *, detach: bool = False) -> None:
        """Start the processes of this executor (logs in <home>/logs/<component>.out)."""
        env = self.process_env()
        for component in components or COMPONENTS[self.executor]:
            out = open(self.home / "logs" / f"{component}.out", "ab")  # noqa: SIM115 - the child keeps it
            self.procs[component] = subprocess.Popen(
                self.meltano_cmd("invoke", f"airflow:{component}"), cwd=self.project, env=env, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            out.close()
        if detach:
            (self.home / "pids.json").write_text(json.dumps({c: p.pid for c, p in self.procs.items()}))

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for component, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"airflow {component} exited {proc.returncode}:\n{self.log_tail(component)}")
            try:
                health = self.api("GET", "/api/v2/monitor/health", auth=False)
                if health.get("metadatabase", {}).get("status") == "healthy":
                    return
            except (OSError, urllib.error.URLError, RuntimeError):
                pass
            time.sleep(1)
        raise RuntimeError(f"the api-server did not answer within {timeout:.0f} s:\n{self.log_tail('api-server')}")

    def log_tail(self, component: str, lines: int = 30) -> str:
        path = self.home / "logs" / f"{component}.out"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"

    def stop(self) -> None:
        stop_groups([p.pid for p in self.procs.values() if p.poll() is None])
        for proc in self.procs.values():
            proc.wait()
        self.procs.clear()

    # ------------------------------------------------------------------------------------------- REST API
    def api(self, method: str, path: str, body: dict | None = None, *, auth: bool = True):
        headers = {"Content-Type": "application/json"}
        if auth:
            if not self._token:
                self._token = self.api("POST", "/auth/token", {"username": USER, "password": self.password},
                                       auth=False)["access_token"]
            headers["Authorization"] = f"Bearer {self._token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"Airflow API {method} {path}: {exc.code} {exc.read()[:500]!r}") from None

    def dag_ids(self) -> set[str]:
        return {d["dag_id"] for d in self.api("GET", "/api/v2/dags?limit=1000")["dags"]}

    def import_errors(self) -> list[dict]:
        return self.api("GET", "/api/v2/importErrors")["import_errors"]

    def wait_dags(self, expected: set[str], timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            errors = self.import_errors()
            if errors:
                raise RuntimeError(f"DAG import errors: {errors[0].get('stack_trace', errors)}")
            if expected <= self.dag_ids():
                return
            time.sleep(2)
        raise RuntimeError(f"DAGs missing after {timeout:.0f} s: {sorted(expected - self.dag_ids())}\n"
                           f"{self.log_tail('dag-processor')}")

    def trigger(self, dag_id: str) -> str:
        run = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None})
        return run["dag_run_id"]

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": paused})

    def runs(self, dag_id: str) -> list[dict]:
        return self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100&order_by=run_after")["dag_runs"]

    def task_instances(self, dag_id: str = "~") -> list[dict]:
        found = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/~/taskInstances?limit=1000")
        return found["task_instances"]

    def wait_runs(self, dag_id: str, count: int, timeout: float = 600, states=("success",)) -> list[dict]:
        """Wait until `dag_id` has `count` finished runs; fail on a failed run."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs(dag_id)
            failed = [r for r in runs if r["state"] == "failed"]
            if failed and "failed" not in states:
                raise RuntimeError(f"{dag_id} run {failed[0]['dag_run_id']} failed")
            done = [r for r in runs if r["state"] in states]
            if len(done) >= count:
                return done
            time.sleep(2)
        raise RuntimeError(f"{dag_id}: fewer than {count} finished runs after {timeout:.0f} s: "
                           f"{[(r['dag_run_id'], r['state']) for r in self.runs(dag_id)]}")


def stop_groups(pids: list[int], grace: float = 30) -> None:
    """SIGTERM the process groups these processes lead (started with start_new_session), then SIGKILL."""
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# ------------------------------------------------------------------------------------------ the try-out
# `scripts/airflow.sh up|down`: LocalExecutor, a PostgreSQL metadata database, the warehouse and Meltano's state
# in another PostgreSQL database, and sandbox stores for every store of orchestrate/stores.yml. State in
# output/airflow/ (AIRFLOW_HOME, logs, the pids `down` stops).
TRY = ROOT / "output" / "airflow"
WAREHOUSE_DB, METADATA_DB = "inventory_airflow", "inventory_airflow_meta"
TRY_ITEMS = int(os.environ.get("AIRFLOW_TRY_ITEMS", "200"))


def _pg() -> dict[str, str]:
    return {"host": os.environ.get("PGHOST", "127.0.0.1"), "port": os.environ.get("PGPORT", "5432"),
            "user": os.environ.get("PGUSER", "postgres"), "password": os.environ.get("PGPASSWORD", "postgres")}


def _fresh_databases(pg: dict[str, str]) -> None:
    """Empty warehouse and metadata databases: the sandbox stores start anew on every `up`, so old rows and
    bookmarks would not match them."""
    import psycopg

    try:
        with psycopg.connect(**pg, dbname="postgres", autocommit=True, connect_timeout=5) as con:
            for name in (WAREHOUSE_DB, METADATA_DB):
                con.execute(f'drop database if exists "{name}" with (force)')
                con.execute(f'create database "{name}"')
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise SystemExit(f"airflow: cannot use PostgreSQL at {pg['host']}:{pg['port']} as {pg['user']} ({reason}); "
                         "start it or set PGHOST/PGPORT/PGUSER/PGPASSWORD") from None


def _start_sandboxes(stores: list[dict]) -> tuple[dict[str, str], list[int]]:
    from orchestrate.sandbox_stores import sandbox_name

    urls, pids = {}, []
    for platform in sorted({s["platform"] for s in stores}):
        names = ",".join(sandbox_name(s) for s in stores if s["platform"] == platform)
        ready = TRY / f"sandbox-{platform}.url"
        ready.unlink(missing_ok=True)
        with open(TRY / f"sandbox-{platform}.log", "ab") as log:
            proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "inventory-sandbox"), "serve", "--platform", platform,
                                     "--stores", names, "--locations", "3", "--items", str(TRY_ITEMS), "--seed", "7",
                                     "--port", "0", "--ready-file", str(ready)], stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        pids.append(proc.pid)
        deadline = time.monotonic() + 120
        while not ready.exists() or not ready.read_text().strip():
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_groups(pids)
                raise SystemExit(f"airflow: the {platform} sandbox did not start; see {ready.with_suffix('.log')}")
            time.sleep(0.2)
        urls[platform] = ready.read_text().strip()
    return urls, pids


def _alive(pids: list[int]) -> bool:
    try:
        return all(os.killpg(pid, 0) is None for pid in pids)
    except ProcessLookupError:
        return False


def up() -> int:
    from orchestrate import sandbox_stores
    from orchestrate.generate import store_key

    TRY.mkdir(parents=True, exist_ok=True)
    state = TRY / "up.json"
    if state.exists():
        known = json.loads(state.read_text())
        if _alive(known["pids"]):
            print(f"airflow: already up: {known['url']} (user {USER}, password {known['password']}); "
                  "scripts/airflow.sh down stops it")
            return 0
        stop_groups(known["pids"])
    pg = _pg()
    _fresh_databases(pg)
    fanout, stores = sandbox_stores.load()
    if fanout["warehouse"] != "postgres":
        raise SystemExit(f"airflow: the try-out loads into PostgreSQL; orchestrate/stores.yml fans out into "
                         f"{fanout['warehouse']}")
    urls, sandbox_pids = _start_sandboxes(stores)
    url = f"postgresql+psycopg://{pg['user']}:{pg['password']}@{pg['host']}:{pg['port']}/{WAREHOUSE_DB}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "AIRFLOW"))}
    env.update(PGHOST=pg["host"], PGPORT=pg["port"], PGUSER=pg["user"], PGPASSWORD=pg["password"],
               PGDATABASE=WAREHOUSE_DB, MELTANO_DATABASE_URI=url, **sandbox_stores.store_env(stores, urls))
    api_port = 8080
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", api_port)) == 0:
            api_port = free_port()
    airflow = Airflow(env=env, home=TRY / "home", api_port=api_port,
                      metadata_url=f"postgresql+psycopg2://{pg['user']}:{pg['password']}@{pg['host']}:{pg['port']}"
                                   f"/{METADATA_DB}",
                      settings={"INVENTORY_TRANSFORM_INTERVAL_SECONDS": os.environ.get(
                          "INVENTORY_TRANSFORM_INTERVAL_SECONDS", "60")})
    try:
        print(f"airflow: sandbox stores up ({', '.join(f'{p} {u}' for p, u in urls.items())}); deploying "
              "(manifest, Meltano and Airflow databases, pools)", flush=True)
        airflow.deploy()
        airflow.start(detach=True)
        airflow.wait_ready()
        airflow.wait_dags({store_key(s) for s in stores} | {"inventory-transform"})
    except BaseException:
        airflow.stop()
        stop_groups(sandbox_pids)
        raise
    pids = [p.pid for p in airflow.procs.values()] + sandbox_pids
    state.write_text(json.dumps({"pids": pids, "url": airflow.url, "password": airflow.password}))
    state.chmod(0o600)
    print(f"airflow: up. UI {airflow.url}  user {USER}  password {airflow.password}\n"
          f"airflow: {len(stores)} store DAGs sync on their schedules (the first run starts now), the dbt DAG "
          f"follows; warehouse and Meltano state in PostgreSQL database {WAREHOUSE_DB}; logs in "
          f"{TRY.relative_to(ROOT)}/home/logs. Stop with: scripts/airflow.sh down")
    return 0


def down() -> int:
    state = TRY / "up.json"
    if not state.exists():
        print("airflow: not up")
        return 0
    stop_groups(json.loads(state.read_text())["pids"])
    state.unlink()
    print(f"airflow: stopped (PostgreSQL databases {WAREHOUSE_DB} and {METADATA_DB} stay until the next up)")
    return 0


if __name__ == "__main__":
    import sys

    commands = {"up": up, "down": down}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        raise SystemExit("usage: scripts/airflow.sh up|down")
    sys.exit(commands[sys.argv[1]]())
