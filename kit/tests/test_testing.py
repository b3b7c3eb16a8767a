"""The test helpers: one definition of "in CI", `needs` (fails under CI, skips elsewhere), no side effects."""

from __future__ import annotations

import datetime as dt
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import requests

from singer_inventory_kit import testing
from singer_inventory_kit.testing import (
    STANDARD_CAPABILITIES,
    Run,
    SandboxStore,
    SinceCase,
    check_about,
    check_faults_spent,
    in_ci,
    needs,
    needs_module,
    progress_summaries,
    requests_of,
    settings_table,
    singer_messages,
    start_sandbox,
    undeclared_imports,
)


@pytest.mark.parametrize(
    ("value", "ci"),
    [("1", True), ("true", True), ("TRUE", True), ("True", True), ("yes", True), ("Yes ", True),
     ("0", False), ("false", False), ("no", False), ("", False), (None, False), ("ci", False)],
)  # fmt: skip
def test_one_definition_of_ci(value: str | None, ci: bool) -> None:  # noqa: FBT001
    assert in_ci({} if value is None else {"CI": value}) is ci


def test_needs_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "yes")
    with pytest.raises(pytest.fail.Exception, match=r"^required in CI: the moon \(for tides\)$"):
        needs("the moon (for tides)")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match=r"^the moon \(for tides\)$"):
        needs("the moon (for tides)")
    needs("the moon (for tides)", available=True)  # returns
    assert needs_module("json", "stdlib") is __import__("json")


HIDDEN = """
from singer_inventory_kit.testing import needs_module

def test_it():
    needs_module("surely_not_an_installed_module", "the test needs it")
"""


@pytest.mark.parametrize(("ci", "failed", "skipped"), [("true", 1, 0), ("", 0, 1)])
def test_a_hidden_dependency_fails_a_ci_run_and_skips_a_local_one(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, failed: int, skipped: int
) -> None:
    monkeypatch.setenv("CI", ci)
    pytester.makepyfile(test_hidden=HIDDEN)
    result = pytester.runpytest_inprocess("-q", "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=failed, skipped=skipped)
    result.stdout.fnmatch_lines(["*required in CI: surely_not_an_installed_module*" if failed else
                                 "*SKIPPED*surely_not_an_installed_module cannot be imported*"])


SKIPPING = """
import pytest

def test_skips():
    pytest.skip("the server is down")

def test_runs():
    assert True
"""
SKIPPING_MODULE = """
import pytest

pytest.skip("nothing here today", allow_module_level=True)

def test_never():
    assert True
"""
GUARD = "from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport\n"


@pytest.mark.parametrize("ci", ["true", ""])
def test_under_ci_no_skip_passes(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    """With the guard's hooks in a conftest, a test or a module that skips fails under CI; elsewhere it skips."""
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest(GUARD)
    pytester.makepyfile(test_skipping=SKIPPING)
    result = pytester.runpytest_inprocess("-q", "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1) if ci else result.assert_outcomes(passed=1, skipped=1)
    if ci:
        result.stdout.fnmatch_lines(["*skipped under CI, where every test must run: the server is down*"])
    (pytester.path / "test_skipping.py").unlink()
    pytester.makepyfile(test_skipping_module=SKIPPING_MODULE)  # a module that skips itself: a collection error
    result = pytester.runpytest_inprocess("-q", "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1) if ci else result.assert_outcomes(skipped=1)
    if ci:
        result.stdout.fnmatch_lines(["*skipped under CI, where every test must run: nothing here today*"])


def test_importing_the_helpers_registers_nothing() -> None:
    """No pytest plugin entry point (auto-loaded) and no hooks: a suite gets only what it imports."""
    assert not [e for e in entry_points(group="pytest11") if e.value.startswith("singer_inventory_kit")]
    assert not [name for name in vars(testing) if name.startswith("pytest_")]


def test_run_reads_singer_messages() -> None:
    text = "\n".join([
        "not a message",
        '{"type": "RECORD", "stream": "a", "record": {"x": 1}}',
        '{"type": "STATE", "value": {"bookmarks": {"a": {"replication_key_value": "2026-01-01T00:00:00Z"}}}}',
        '{"type": "RECORD", "stream": "b", "record": {"y": 2}}',
    ])  # fmt: skip
    run = Run(singer_messages(text))
    assert run.records == {"a": [{"x": 1}], "b": [{"y": 2}]}
    assert run.bookmark("a") == "2026-01-01T00:00:00Z"
    assert run.bookmark("b") is None


def test_progress_summaries_check_one_line_per_stream_with_its_records() -> None:
    run = Run([{"type": "RECORD", "stream": "a", "record": {}}] * 3)
    lines = ["Synced a: 3 records, 2 pages, 1 rate-limit waits (0.5s), 1.0s, 3 records/s", "other"]
    (summary,) = progress_summaries(lines, run).values()
    assert (summary.stream, summary.records, summary.pages, summary.waits) == ("a", 3, 2, 1)
    with pytest.raises(AssertionError, match="several summary lines"):
        progress_summaries(lines * 2, run)
    with pytest.raises(AssertionError):
        progress_summaries(["Synced a: 2 records, 2 pages, 0 rate-limit waits (0.0s), 1.0s"], run)
    with pytest.raises(AssertionError, match="without a summary line"):
        progress_summaries([], run)


def test_settings_table() -> None:
    text = "# Tap\n\n| Setting | Required |\n|:--|:--|\n| store | True |\n<!-- end -->\nMore text.\n"
    assert settings_table(text) == "| Setting | Required |\n|:--|:--|\n| store | True |"
    assert settings_table(text.replace("<!-- end -->\n", "\n")) == settings_table(text)


def test_check_about() -> None:
    about = {"capabilities": sorted(STANDARD_CAPABILITIES | {"activate-version"}),
             "settings": {"required": ["store"], "properties": {
                 "store": {"title": "Store", "description": "The store."},
                 "access_token": {"title": "Token", "description": "A token.", "secret": True}}}}  # fmt: skip
    assert check_about(about, settings=["store", "access_token"], required=["store"])["store"]["title"] == "Store"
    with pytest.raises(AssertionError):
        check_about({**about, "capabilities": ["about"]}, settings=[], required=["store"])
    with pytest.raises(AssertionError):
        check_about(about, settings=["store"], required=["store"], secrets=["store"])


def test_since_case_checks_where_a_read_starts() -> None:
    utc = dt.timezone.utc
    case = SinceCase(dt.datetime(2026, 1, 1, 12, tzinfo=utc), 3600, dt.datetime(2025, 6, 1, tzinfo=utc))
    assert case.config(store="s") == {"store": "s", "lookback": 3600, "start_date": "2025-06-01T00:00:00+00:00"}
    bookmark = {"replication_key": "updated_at", "replication_key_value": "2026-01-01T12:00:00Z"}
    assert case.state("items") == {"bookmarks": {"items": bookmark}}
    case.check("2026-01-01T11:00:00Z")
    case.check("2026-01-01 11:00:00")  # any timestamp form
    for wrong in (None, "2026-01-01T11:00:01Z", "2026-01-01T10:59:59Z"):  # full read, a second late, a second early
        with pytest.raises(AssertionError):
            case.check(wrong)
    SinceCase(None, 300, None).check(None)
    with pytest.raises(AssertionError):
        SinceCase(None, 300, None).check("2026-01-01T00:00:00Z")


def test_undeclared_imports_finds_what_a_package_does_not_declare() -> None:
    """The kit's runtime code imports only singer-sdk and requests; its test helpers (and the CI guard's hooks)
    need pytest and hypothesis."""
    found = undeclared_imports("singer-inventory-kit", "singer_inventory_kit")
    assert found == {"testing.py": {"hypothesis", "pytest"}, "ci_guard.py": {"pytest"}}


class Shop(SandboxStore):
    platform = "shopify"


def test_a_sandbox_store_starts_answers_and_stops(tmp_path: Path) -> None:
    box = start_sandbox(Shop, tmp_path, "--locations", "1", "--items", "3", "--seed", "1", store="kit-test")
    try:
        assert len(box.truth()["inventory_items"]) == 3  # noqa: PLR2004
        box.control("POST", "faults", {"kind": "http_500", "count": 2})
        assert [f["kind"] for f in box.pending_faults()] == ["http_500"]
        assert box.requests_made(at_least=0) == 0
        with pytest.raises(AssertionError, match="faults never used"):
            check_faults_spent(box, 2, 0)
        endpoint = f"{box.url}/stores/kit-test/admin/api/2026-10/graphql.json"
        for _ in range(2):
            requests.post(endpoint, json={"query": "{ shop { name } }"}, timeout=10,
                          headers={"X-Shopify-Access-Token": "shpat_sandbox_kit-test"})  # fmt: skip
        check_faults_spent(box, 2, 0)  # both used, by two requests
        box.control("POST", "faults", {"kind": "http_500", "count": 1})
        assert requests_of(box, lambda: requests.post(endpoint, json={"query": "{ shop { name } }"}, timeout=10)) == 1
        assert box.pending_faults() == []  # reset before and after
        assert box.requests_made() == 0
    finally:
        box.stop()
    assert box.process.returncode is not None
    assert testing.find_command("surely-not-a-command") is None
