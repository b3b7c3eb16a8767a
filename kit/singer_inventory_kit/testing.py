"""Test helpers for the inventory taps, and the one definition of "in CI" for every test suite of the repo.

Importing this module has no side effects: it registers no pytest plugin and no fixture, so it can be imported
by any suite next to its own fixtures. A suite takes what it uses:

    from singer_inventory_kit.testing import IN_CI, needs

and a tap's `tests/conftest.py` opts in to the shared fixtures by importing them (pytest then finds them there):

    from singer_inventory_kit.testing import SandboxStore, sandbox_fixtures, sleeps

What is here:

- `in_ci()` / `IN_CI`: `CI` is 1, true or yes, in any case;
- `needs(reason)`: a test that lacks something it needs fails under CI (where every part must be present) and
  is skipped elsewhere, with the reason either way; `needs_module` and `needs_command` for the usual cases
  (instead of `pytest.importorskip`, which skips under CI too); `singer_inventory_kit.ci_guard` holds the two
  hooks a conftest imports so that no other skip passes under CI either;
- running a tap in-process (`run_tap`) or through its console script (`run_cli`), and the Singer messages of
  a run as records, states and bookmarks (`Run`);
- the sandbox store: `start_sandbox` runs `inventory-sandbox serve` and waits for its `READY` line,
  `SandboxStore` talks to its control API (truth, log, faults) and stops it, `sandbox_fixtures` makes the
  session-wide and per-test fixtures; the `sleeps` fixture records sleeps instead of sleeping;
- contract checks every tap's tests make: `progress_summaries` (one summary line per stream, with the records
  the run emitted), `settings_table` (the settings table of a README or of `--about --format=markdown`),
  `check_about` (capabilities and documented settings), `requests_of` and `check_faults_spent` (every queued
  sandbox fault used, each by one retried request), `SinceCase` / `since_cases` / `instants` (hypothesis: an
  incremental read starts where the bookmark, `lookback` and `start_date` say, never later),
  `undeclared_imports` (a package imports only the standard library, itself and what it declares).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from singer_inventory_kit.timestamps import parse_utc, utc_z

if t.TYPE_CHECKING:
    from types import ModuleType

    from singer_sdk import Tap

#: Values of `CI` that mean a CI run (compared without case).
CI_VALUES = frozenset({"1", "true", "yes"})


def in_ci(environ: t.Mapping[str, str] | None = None) -> bool:
    """Whether this is a CI run: `CI` is 1, true or yes, in any case."""
    env = os.environ if environ is None else environ
    return env.get("CI", "").strip().lower() in CI_VALUES


#: Whether this process runs under CI (read once at import; `needs` reads the environment when called).
IN_CI = in_ci()


def needs(reason: str, *, available: bool = False) -> None:
    """This test needs something `reason` names: return when it is `available`, else fail or skip.

    Under CI every part must be present, so the test fails ("required in CI: ..."); elsewhere it is skipped.
    Either way the reason is shown.
    """
    if available:
        return
    if in_ci():
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)  # a module that needs it as it is imported skips whole


def needs_module(name: str, why: str) -> ModuleType:
    """`import name`, or `needs` it (what `pytest.importorskip` does, without skipping under CI)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        needs(f"{name} cannot be imported ({exc}): {why}")
        raise  # not reached: needs() failed or skipped


def find_command(name: str) -> str | None:
    """A console script next to this interpreter (the test venv), else on PATH; None when missing."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def needs_command(name: str, why: str) -> str:
    """The path of a console script, or `needs` it."""
    path = find_command(name)
    needs(f"{name} is not installed: {why}", available=path is not None)
    return t.cast("str", path)


# --------------------------------------------------------------------------- running a tap


@dataclass
class Run:
    """Singer messages of one run."""

    messages: list[dict] = field(default_factory=list)

    @property
    def records(self) -> dict[str, list[dict]]:
        """Records by stream."""
        out: dict[str, list[dict]] = {}
        for message in self.messages:
            if message["type"] == "RECORD":
                out.setdefault(message["stream"], []).append(message["record"])
        return out

    @property
    def states(self) -> list[dict]:
        """STATE values in order."""
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def state(self) -> dict:
        """The last STATE value."""
        return self.states[-1] if self.states else {}

    def bookmark(self, stream: str) -> str | None:
        """The stream's committed bookmark in the last state."""
        return self.state.get("bookmarks", {}).get(stream, {}).get("replication_key_value")


def singer_messages(text: str) -> list[dict]:
    """The Singer messages (JSON lines) of a tap's stdout."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def run_tap(tap_class: type[Tap], config: dict, state: dict | None = None, catalog: dict | None = None) -> Run:
    """Run a full sync in-process; a failing sync raises, with its messages on `exc.run`."""
    buffer = io.StringIO()
    run = Run()
    try:
        with contextlib.redirect_stdout(buffer):
            tap = tap_class(config=config, state=state, catalog=catalog)
            tap.sync_all()
    except BaseException as exc:
        run.messages = singer_messages(buffer.getvalue())
        exc.run = run  # type: ignore[attr-defined]
        raise
    run.messages = singer_messages(buffer.getvalue())
    return run


def run_cli(
    executable: str,
    *args: str,
    config: dict | None = None,
    state: dict | None = None,
    tmp_path: Path,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """Run a console script as a subprocess, with `config` and `state` written to files in `tmp_path`."""
    command = [executable, *args]
    if config is not None:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        command += ["--config", str(path)]
    if state is not None:
        path = tmp_path / "state.json"
        path.write_text(json.dumps(state))
        command += ["--state", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, cwd=tmp_path)


def console_script(name: str) -> str:
    """A tap's console script: next to this interpreter, else on PATH, else the bare name."""
    return find_command(name) or name


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record every sleep (backoff and pacing) instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


# --------------------------------------------------------------------------- contract checks


def instants() -> t.Any:  # noqa: ANN401
    """A hypothesis strategy of timestamps 2001-2025, aware in three zones or naive (hypothesis is imported here)."""
    from hypothesis import strategies as st  # noqa: PLC0415 - only the property tests need it

    zones = st.sampled_from(
        [dt.timezone.utc, dt.timezone(dt.timedelta(hours=-7)), dt.timezone(dt.timedelta(hours=5, minutes=30)), None]
    )
    return st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(dt.datetime(2001, 1, 1), dt.datetime(2025, 12, 31)),
                     zones)  # fmt: skip


@dataclass(frozen=True)
class SinceCase:
    """A bookmark (or none), a `lookback` and a `start_date` (or none): where an incremental read must start."""

    bookmark: dt.datetime | None
    lookback: int
    start: dt.datetime | None

    def config(self, **base: t.Any) -> dict:  # noqa: ANN401
        """The tap config `base` with this case's `lookback` and `start_date`."""
        return {**base, "lookback": self.lookback} | ({"start_date": self.start.isoformat()} if self.start else {})

    def state(self, stream: str, replication_key: str = "updated_at") -> dict:
        """A state holding this case's bookmark for `stream` (empty without one)."""
        if self.bookmark is None:
            return {}
        bookmark = {"replication_key": replication_key, "replication_key_value": utc_z(self.bookmark)}
        return {"bookmarks": {stream: bookmark}}

    def check(self, since: str | None) -> None:
        """The read's start `since` (None: a full read) never skips a row and never re-reads a second more."""
        floors = [parse_utc(self.bookmark) - dt.timedelta(seconds=self.lookback)] if self.bookmark else []
        floors += [parse_utc(self.start)] if self.start else []
        if not floors:
            assert since is None, f"no bookmark and no start date, yet the read starts at {since}"
            return
        assert since is not None, f"a full read, where it should start at {max(floors)}"
        start = parse_utc(since)
        assert start <= max(floors) < start + dt.timedelta(seconds=1), (since, max(floors))


def since_cases() -> t.Any:  # noqa: ANN401
    """A hypothesis strategy of `SinceCase`s (lookback up to a day)."""
    from hypothesis import strategies as st  # noqa: PLC0415 - only the property tests need it

    maybe_instant = st.one_of(st.none(), instants())
    return st.builds(SinceCase, maybe_instant, st.integers(0, 86_400), maybe_instant)


@dataclass(frozen=True)
class Summary:
    """The figures of one `Synced <stream>: ...` line (`SyncProgress`)."""

    stream: str
    records: int
    pages: int
    waits: int


_SUMMARY = re.compile(r"^Synced (?P<stream>\w+): (?P<records>[\d,]+) records, (?P<pages>[\d,]+) pages, "
                      r"(?P<waits>\d+) rate-limit waits ")


def progress_summaries(log_messages: t.Iterable[str], run: Run) -> dict[str, Summary]:
    """The summary lines of a run by stream, checked: one line per stream that emitted records (and no stream
    twice), each counting exactly the records the run emitted for it."""
    found = [m for m in (_SUMMARY.match(line) for line in log_messages) if m]
    streams = [m["stream"] for m in found]
    assert len(streams) == len(set(streams)), f"a stream has several summary lines: {streams}"
    assert set(run.records) <= set(streams), f"streams without a summary line: {set(run.records) - set(streams)}"
    summaries = {
        m["stream"]: Summary(m["stream"], *(int(m[k].replace(",", "")) for k in ("records", "pages", "waits")))
        for m in found
    }
    for stream, summary in summaries.items():
        assert summary.records == len(run.records.get(stream, [])), (stream, summary)
    return summaries


#: What every inventory tap's `--about` lists (and the repository's tests rely on).
STANDARD_CAPABILITIES = frozenset({"about", "catalog", "discover", "state", "stream-maps", "schema-flattening"})


def check_about(
    about: dict, *, settings: t.Iterable[str], required: list[str], secrets: t.Iterable[str] = ("access_token",)
) -> dict[str, dict]:
    """A tap's `--about --format=json`: the standard capabilities, every named setting with a title and a
    description, secrets marked, the required settings; returns the settings' schemas."""
    assert set(STANDARD_CAPABILITIES) <= set(about["capabilities"]), about["capabilities"]
    properties = about["settings"]["properties"]
    for name in settings:
        assert properties[name]["title"], name
        assert properties[name]["description"], name
    for name in secrets:
        assert properties[name].get("secret") is True, f"{name} is not marked secret"
    assert about["settings"]["required"] == required
    return t.cast("dict[str, dict]", properties)


def requests_of(store: SandboxStore, sync: t.Callable[[], object]) -> int:
    """The requests `sync()` makes against a reset `store` (the sandbox's log); the store is reset again after."""
    store.reset()
    sync()
    made = int(store.log()["requests"])
    store.reset()
    return made


def check_faults_spent(store: SandboxStore, queued: int, faultless_requests: int) -> None:
    """Every fault queued in the sandbox was used, each by one request the tap then sent again: the run made
    `queued` more requests than the same run without faults (the sandbox's log)."""
    pending = store.pending_faults()
    assert pending == [], f"faults never used: {pending}"
    made = store.requests_made(at_least=faultless_requests + queued)
    assert made == faultless_requests + queued, (
        f"{made} requests, expected {faultless_requests} + {queued} retried: a fault did not fire as queued"
    )


def undeclared_imports(distribution: str, package: str) -> dict[str, set[str]]:
    """What the installed `package` imports beyond the standard library, itself and what `distribution` declares
    (its requirements, transitively): by file, empty when it imports nothing else (e.g. from its repository)."""
    import ast  # noqa: PLC0415
    import importlib.metadata as metadata  # noqa: PLC0415
    import importlib.util  # noqa: PLC0415

    from packaging.requirements import Requirement  # noqa: PLC0415
    from packaging.utils import canonicalize_name  # noqa: PLC0415

    declared: set[str] = set()
    todo = [distribution]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in declared:
            continue
        declared.add(name)
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requirements:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    providers = metadata.packages_distributions()
    allowed = set(sys.stdlib_module_names) | {package, "__future__"}
    allowed |= {module for module, dists in providers.items() if {canonicalize_name(d) for d in dists} & declared}
    allowed |= {name.replace("-", "_") for name in declared}  # an editable install records no module names
    spec = importlib.util.find_spec(package)
    assert spec is not None, f"{package} is not installed"
    assert spec.submodule_search_locations, f"{package} is not a package"
    found: dict[str, set[str]] = {}
    for path in Path(next(iter(spec.submodule_search_locations))).rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module}  # fmt: skip
        if outside := {n.split(".")[0] for n in names} - allowed:
            found[path.name] = outside
    return found


def settings_table(text: str) -> str:
    """The settings table (`| Setting | ...` and the table lines below it) of a README or of `--about`'s markdown."""
    start = text.index("| Setting |")
    lines = []
    for line in text[start:].splitlines():
        if not line.startswith("|"):
            break
        lines.append(line)
    return "\n".join(lines)


# --------------------------------------------------------------------------- the sandbox store


class SandboxStore:
    """A running `inventory-sandbox serve` and its control API under `/_sandbox/`.

    A tap's conftest subclasses it with the platform (`platform`) and what its tap needs: the token and the
    tap config for a store, and how to reset the store between tests.
    """

    #: `--platform` of `inventory-sandbox serve`.
    platform: t.ClassVar[str] = ""

    def __init__(self, url: str, process: subprocess.Popen, store: str) -> None:
        """Bind to a started server."""
        self.url = url.rstrip("/")
        self.process = process
        self.store = store

    def control(self, method: str, path: str, body: dict | None = None, **params: t.Any) -> t.Any:  # noqa: ANN401
        """Call the control API under /_sandbox/."""
        response = requests.request(method, f"{self.url}/_sandbox/{path}", json=body, params=params or None, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def truth(self) -> dict:
        """Every row that exists now, in the normalized record shapes."""
        return t.cast("dict", self.control("GET", "truth", store=self.store))

    def log(self) -> dict:
        """Request counters."""
        return t.cast("dict", self.control("GET", "log"))

    def reset(self) -> None:
        """Clear the queued faults and the request log (a platform's store also restores its limits)."""
        with contextlib.suppress(requests.HTTPError):
            self.control("DELETE", "faults")
        self.control("POST", "log/reset")

    def pending_faults(self) -> list[dict]:
        """The queued faults no request has used yet."""
        return t.cast("list[dict]", self.control("GET", "faults")["pending"])

    def requests_made(self, *, at_least: int = 0, within: float = 10.0) -> int:
        """API requests the log counts, waiting up to `within` seconds for `at_least` of them.

        A request the client gave up on (a timeout) is counted when the server finishes answering it.
        """
        deadline = time.monotonic() + within
        while True:
            made = int(self.log()["requests"])
            if made >= at_least or time.monotonic() >= deadline:
                return made
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM, then kill if needed."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


S = t.TypeVar("S", bound=SandboxStore)


def start_sandbox(store_class: type[S], tmp_dir: Path, *args: str, store: str) -> S:
    """Start `inventory-sandbox serve --platform ... --stores store ARGS` on a free port and wait for READY.

    Without the command the test `needs` it (fails under CI, skips elsewhere).
    """
    command = needs_command("inventory-sandbox", "integration tests need the sandbox stores (sandbox/ package)")
    args_ = [
        command, "serve", "--platform", store_class.platform, "--host", "127.0.0.1", "--port", "0",
        "--stores", store, *args, "--ready-file", str(tmp_dir / "ready.txt"),
    ]  # fmt: skip
    process = subprocess.Popen(args_, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    url = None
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("READY "):
            url = line.split(" ", 1)[1].strip()
            break
        if not line and process.poll() is not None:
            break
    if url is None:
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"inventory-sandbox did not print READY: {err[-2000:]}")
    return store_class(url, process, store)


def sandbox_fixtures(start: t.Callable[[Path], S]) -> tuple[t.Any, t.Any]:
    """The `sandbox` (one store for the session) and `fresh_sandbox` (one per test) fixtures of a tap's tests.

    `start(tmp_dir)` starts the tap's store; bind the result in the conftest:
    `sandbox, fresh_sandbox = sandbox_fixtures(start_sandbox)`.
    """

    @pytest.fixture(scope="session")
    def sandbox(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[S]:
        """One sandbox store for the session (tests that change data or throttling use `fresh_sandbox`)."""
        box = start(tmp_path_factory.mktemp("sandbox"))
        yield box
        box.stop()

    @pytest.fixture
    def fresh_sandbox(tmp_path: Path) -> t.Iterator[S]:
        """A sandbox of its own, for tests that change data or throttling."""
        box = start(tmp_path)
        yield box
        box.stop()

    return sandbox, fresh_sandbox


__all__ = [
    "CI_VALUES",
    "IN_CI",
    "Run",
    "STANDARD_CAPABILITIES",
    "SandboxStore",
    "SinceCase",
    "Summary",
    "check_about",
    "check_faults_spent",
    "console_script",
    "find_command",
    "in_ci",
    "instants",
    "needs",
    "needs_command",
    "needs_module",
    "progress_summaries",
    "requests_of",
    "run_cli",
    "run_tap",
    "sandbox_fixtures",
    "settings_table",
    "since_cases",
    "singer_messages",
    "sleeps",
    "start_sandbox",
    "undeclared_imports",
]
