"""`InventoryTap`: config checks beyond the schema, and one line (exit 1) for an API error, not a traceback."""

from __future__ import annotations

import json
import logging
import typing as t

import pytest
import responses
from click.testing import CliRunner
from demo_tap import API, DemoTap, config
from singer_sdk.exceptions import ConfigValidationError

if t.TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"start_date": "2999-01-01T00:00:00Z"},
         "start_date 2999-01-01T00:00:00Z is in the future: nothing would be read"),
        ({"api_url": "ftp://example.test"},
         "api_url 'ftp://example.test' must start with http:// or https:// and a host"),
        ({"store": "Shop"}, "store 'Shop' must be lower case"),  # the platform's own check
    ],
)  # fmt: skip
def test_config_errors_are_one_line_each(overrides: dict, error: str) -> None:
    with pytest.raises(ConfigValidationError) as info:
        DemoTap(config=config(**overrides))
    assert info.value.errors == [error]


def test_a_start_date_that_is_no_date_is_named() -> None:
    tap = DemoTap(config=config(), validate_config=False)
    tap._config["start_date"] = "soon"  # noqa: SLF001 - past the schema, as a hand-edited file could be
    assert tap._validate_config(raise_errors=False) == [  # noqa: SLF001
        "start_date 'soon' is not an ISO 8601 date: write 2025-12-05 or 2025-12-05T00:00:00Z"]


@pytest.mark.parametrize(
    ("setting", "error"),
    [
        ("stroe", "unknown setting 'stroe' (did you mean store?); tap-demo takes: api_url, lookback, max_retries, "
                  "max_retry_seconds, reconcile, request_timeout, start_date, store"),
        ("page_size", "unknown setting 'page_size'; tap-demo takes: api_url, lookback, max_retries, max_retry_seconds, "
                      "reconcile, request_timeout, start_date, store"),
    ],
)  # fmt: skip
def test_an_unknown_setting_is_named_with_the_nearest_valid_one(setting: str, error: str) -> None:
    """A misspelt or foreign setting is refused, not ignored (the SDK's own settings, e.g. stream_maps, pass)."""
    with pytest.raises(ConfigValidationError) as info:
        DemoTap(config=config(**{setting: "x"}))
    assert info.value.errors == [error]
    assert DemoTap(config=config(stream_maps={})).store_id == "shop"


@pytest.mark.parametrize("value", ["05/12/2025", "2025-13-01", "yesterday"])
def test_a_start_date_must_be_iso_8601(value: str) -> None:
    tap = DemoTap(config=config(), validate_config=False)
    tap._config["start_date"] = value  # noqa: SLF001 - as Meltano passes a string setting
    assert tap._validate_config(raise_errors=False) == [  # noqa: SLF001
        f"start_date {value!r} is not an ISO 8601 date: write 2025-12-05 or 2025-12-05T00:00:00Z"]


def test_a_base_url_that_does_not_name_the_store_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        DemoTap(config=config(store="other"))
    assert f"api_url {API} does not name store other: every record is filed under store_id other; check both " \
           "settings" in caplog.messages
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        DemoTap(config=config(api_url="http://demo.test/stores/shop"))
    assert not [m for m in caplog.messages if "does not name" in m]


def test_a_bad_config_ends_with_its_own_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        result = CliRunner().invoke(DemoTap.cli, ["--config", write_config(tmp_path, stroe="shop")])
    assert result.exit_code == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors[-1].startswith("unknown setting 'stroe' (did you mean store?)")
    assert "Config validation failed" not in errors


def test_a_valid_config_passes() -> None:
    assert DemoTap(config=config(start_date="2026-01-01T00:00:00Z")).store_id == "shop"


def write_config(tmp_path: Path, **overrides: t.Any) -> str:  # noqa: ANN401
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config(**overrides)))
    return str(path)


def test_an_api_error_ends_the_run_in_one_line_and_exit_1(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with responses.RequestsMock() as rsps, caplog.at_level(logging.ERROR):
        rsps.get(f"{API}/items", status=401)
        result = CliRunner().invoke(DemoTap.cli, ["--config", write_config(tmp_path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not the API error: no traceback
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors[-1].getMessage() == "Demo rejected the token (HTTP 401) for store shop: missing scope read_items (x)"
    assert not [r for r in errors if r.exc_info]  # no traceback anywhere


def test_a_bug_keeps_its_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: t.Any) -> t.NoReturn:  # noqa: ANN401
        raise KeyError("bug")

    monkeypatch.setattr("demo_tap.ItemsStream.read_rows", broken)
    result = CliRunner().invoke(DemoTap.cli, ["--config", write_config(tmp_path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, KeyError)
