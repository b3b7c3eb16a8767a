"""The Snowflake emulator for the warehouse tests: fakesnow's server plus the stage shim (server.py).

fakesnow needs duckdb 2.0 while the root venv pins duckdb 1.2.2, so the emulator has its own venv,
.meltano/test-support/snowflake-emulator/venv, created here with uv from requirements.txt (PyPI) the first
time and whenever requirements.txt changes. `emulator()` starts the server on a free loopback port and
yields an `Emulator` with the environment a Meltano run needs to reach it and a `rows(sql)` query helper.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
VENV = ROOT / ".meltano" / "test-support" / "snowflake-emulator" / "venv"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = HERE / "requirements.txt"
STAMP = VENV / "requirements.sha256"
REDIRECT = HERE / "redirect"
PTH_NAME = "inventory_snowflake_redirect.pth"
# The plugin venvs whose snowflake-connector-python must dial the emulator (meltano.yml).
PLUGIN_VENVS = [ROOT / ".meltano" / kind / name / "venv" for kind, name in (
    ("loaders", "target-snowflake"), ("utilities", "dbt-snowflake"), ("utilities", "warehouse-check"))]

ACCOUNT, USER, PASSWORD = "inventory-emulator", "loader", "emulated"


def ensure_venv() -> str | None:
    """Create or refresh the emulator venv; None when ready, else why it could not be made (one line)."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return None
    uv = Path(sys.executable).parent / "uv"
    if not uv.exists():
        return f"uv is missing from {uv.parent}: run scripts/setup.sh"
    commands = [
        [str(uv), "venv", "--quiet", "--allow-existing", "--python", sys.executable, str(VENV)],
        [str(uv), "pip", "install", "--quiet", "--python", str(PYTHON), "-r", str(REQUIREMENTS)],
    ]
    for command in commands:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
            return f"cannot install the Snowflake emulator ({' '.join(command[:3])}): {tail[0]}"
    STAMP.write_text(digest)
    return None


QUERY = r"""
import json, sys, datetime, decimal
import snowflake.connector
url, database, sql = sys.argv[1], sys.argv[2], sys.stdin.read()
host, port = url.split("://")[1].split(":")
con = snowflake.connector.connect(account=sys.argv[3], user=sys.argv[4], password=sys.argv[5], database=database,
                                  host=host, port=int(port), protocol="http", login_timeout=30, network_timeout=120)
cur = con.cursor()
cur.execute(sql)
names = [d[0].lower() for d in cur.description]
def plain(v):
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    return v
print(json.dumps([{n: plain(v) for n, v in zip(names, row)} for row in cur.fetchall()]))
"""


@dataclass
class Emulator:
    url: str
    database: str

    def env(self) -> dict[str, str]:
        """What a user exports for the snowflake jobs, plus the test-only redirect to the emulator."""
        return {
            "SNOWFLAKE_ACCOUNT": ACCOUNT,
            "SNOWFLAKE_USER": USER,
            "SNOWFLAKE_PASSWORD": PASSWORD,
            "SNOWFLAKE_DATABASE": self.database,
            "SNOWFLAKE_WAREHOUSE": "INVENTORY_WH",
            "SNOWFLAKE_ROLE": "LOADER",
            # test support only (redirect/inventory_snowflake_redirect.py): dial the emulator
            "INVENTORY_SNOWFLAKE_EMULATOR_URL": self.url,
        }

    def rows(self, sql: str) -> list[dict]:
        proc = subprocess.run([str(PYTHON), "-c", QUERY, self.url, self.database, ACCOUNT, USER, PASSWORD],
                              input=sql, capture_output=True, text=True, timeout=180, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"query on the emulator failed: {sql}\n{proc.stderr[-2000:]}")
        return json.loads(proc.stdout)


@contextmanager
def redirect_installed() -> Iterator[None]:
    """Make the plugin venvs import the redirect at start-up (inert without INVENTORY_SNOWFLAKE_EMULATOR_URL)."""
    written = []
    for venv in PLUGIN_VENVS:
        for site in venv.glob("lib/python3*/site-packages"):
            pth = site / PTH_NAME
            pth.write_text(f"{REDIRECT}\nimport inventory_snowflake_redirect\n")
            written.append(pth)
    try:
        yield
    finally:
        for pth in written:
            pth.unlink(missing_ok=True)


def missing_plugins() -> str | None:
    missing = [str(v.relative_to(ROOT)) for v in PLUGIN_VENVS if not v.exists()]
    return f"not installed: {', '.join(missing)} (run scripts/setup.sh)" if missing else None


@contextmanager
def emulator(database: str = "INVENTORY") -> Iterator[Emulator]:
    with tempfile.TemporaryDirectory(prefix="snowflake-emulator-") as tmp:
        ready = Path(tmp) / "ready"
        log = open(Path(tmp) / "server.log", "w")  # noqa: SIM115
        proc = subprocess.Popen([str(PYTHON), str(HERE / "server.py"), "--port", "0", "--ready-file", str(ready)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp)
        try:
            deadline = time.monotonic() + 60
            while not ready.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError("the Snowflake emulator did not start:\n"
                                       + (Path(tmp) / "server.log").read_text()[-3000:])
                time.sleep(0.1)
            running = Emulator(ready.read_text().strip(), database)
            running.rows(f"create database if not exists {database}")  # as a Snowflake admin would
            with redirect_installed():
                yield running
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
