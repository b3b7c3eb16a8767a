"""The runner's tests: under CI no skip passes (the repo's guard, from the kit the root test venv installs)."""

from singer_inventory_kit.ci_guard import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401 - under CI no skip passes
