"""`--test`: one line per stream from the tap's own outcomes, a verdict, and exit 1 when a stream cannot sync."""

from __future__ import annotations

import io
import json
import typing as t

import requests
import responses
from click.testing import CliRunner
from demo_tap import API, DemoTap, config, items

from singer_inventory_kit.connection import CHECK_MAX_RETRIES, connection_test

if t.TYPE_CHECKING:
    from pathlib import Path


def check(*answers: dict) -> tuple[bool, str]:
    out = io.StringIO()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for answer in answers:
            rsps.get(f"{API}/items", **answer)
        ok = connection_test(DemoTap(config=config()), out)
    return ok, out.getvalue()


def test_every_stream_reachable() -> None:
    ok, text = check({"json": items({"id": 1, "updated_at": "2026-01-01T00:00:00Z", "qty": 1})})
    assert ok
    assert text.splitlines() == [
        "Connection test of tap-demo for store shop:",
        "  items      OK: reachable, records read",
        "  sync_runs  OK: written by the tap from the other streams",
        "Ready: every stream can sync (2 streams).",
    ]


def test_reachable_without_records_yet() -> None:
    ok, text = check({"json": items()})
    assert ok
    assert "items      OK: reachable, no records yet" in text


def test_a_matching_outcome_names_what_is_missing() -> None:
    ok, text = check({"status": 401})
    assert not ok
    assert "  items      MISSING SCOPE: Demo rejected the token (HTTP 401) for store shop" in text
    assert text.splitlines()[-1] == "Cannot sync 1 of 2 streams: missing scopes read_items; grant it."


def test_an_unknown_failure_is_reported_as_is(sleeps: list[float]) -> None:
    ok, text = check(*[{"body": requests.ConnectionError("reset")}] * (CHECK_MAX_RETRIES + 1))
    assert not ok
    assert "UNREACHABLE: could not get an answer from" in text
    assert f"after {CHECK_MAX_RETRIES + 1} tries" in text  # the check's own small retry budget
    assert len(sleeps) == CHECK_MAX_RETRIES
    assert text.splitlines()[-1] == "Cannot sync 1 of 2 streams: check api_url."


def test_the_cli_exits_1_when_a_stream_cannot_sync(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config()))
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/items", status=401)
        failed = CliRunner().invoke(DemoTap.cli, ["--config", str(path), "--test"])
        rsps.replace(responses.GET, f"{API}/items", json=items())
        passed = CliRunner().invoke(DemoTap.cli, ["--config", str(path), "--test"])
    assert (failed.exit_code, passed.exit_code) == (1, 0)


def test_an_incomplete_config_is_one_line_per_problem(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"api_url": API}))
    result = CliRunner().invoke(DemoTap.cli, ["--config", str(path), "--test"])
    assert result.exit_code == 1
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
