"""Under CI, nothing may be skipped: a skip there is a part of the run that did not happen, so it fails.

`needs` (singer_inventory_kit.testing) already fails under CI for what a test lacks; these two hooks catch every
other way a test or a whole module can skip (`pytest.skip`, a `skipif` that is true, a module-level skip), so a
suite cannot pass in CI with tests that never ran. Off CI they change nothing. A suite opts in from its
`conftest.py`:

    from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401

Expected failures (`xfail`) are left alone: they ran.
"""

from __future__ import annotations

import typing as t

import pytest

from singer_inventory_kit.testing import in_ci


def _failed_instead(report: t.Any) -> None:  # noqa: ANN401 - a pytest report
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped under CI, where every test must run: {reason.removeprefix('Skipped: ')}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> t.Generator[None, t.Any, None]:  # noqa: ARG001
    """A test that skipped under CI is reported failed, with its skip reason."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and in_ci():
        _failed_instead(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> t.Generator[None, t.Any, None]:  # noqa: ARG001
    """A module that skipped itself while being collected, under CI, is a collection error instead."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci():
        _failed_instead(report)
