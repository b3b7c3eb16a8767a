"""A push refused by a guard becomes one alert, delivered for real (as in test_alerts_delivery.py).

The real `inventory-push` refuses a plan whose system of record is hours old (exit 3, one line, nothing written);
`inventory-alerts` then reads the push's latest run in `push.push_runs` and sends one "Push refused" alert with
the guard's line. The same refusal again is not news; a later run that is not refused resolves it. No store is
needed: a refused run stops before any request, and the fixed run is a dry run.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from conftest import needs, needs_module, which
from support import contract_marts
from support.alert_receivers import smtp_server, webhook_server
from test_alerts_delivery import PASSWORD, USER, alerts_env, duck, send

needs_module("aiosmtpd", "aiosmtpd is not installed: run scripts/setup.sh")

PLAN = ("plan_id varchar, plan_row_id varchar, mode varchar, channel varchar, store_id varchar, location_id varchar, "
        "sku varchar, inventory_item_id varchar, variant_id varchar, product_id varchar, source_code varchar, "
        "observed_quantity integer, observed_at timestamp, observed_sync_run varchar, planned_quantity integer, "
        "is_action boolean, hold_reason varchar, record_synced_at timestamp, record_sync_complete boolean")


def write_plan(execute, record_age: timedelta) -> None:
    """One Shopify change planned from a system of record synced ``record_age`` ago."""
    now = datetime.now(UTC).replace(tzinfo=None)
    synced = (now - record_age).isoformat(sep=" ", timespec="seconds")
    execute("drop table if exists analytics.fct_inventory_push_plan")
    execute(f"create table analytics.fct_inventory_push_plan ({PLAN})")
    execute("insert into analytics.fct_inventory_push_plan values ('p1', 'r1', 'system_of_record', 'shopify', "
            "'demo-store', '60000000001', 'SKU-1', '1', null, null, null, 5, "
            f"timestamp '{synced}', 'run-1', 4, true, null, timestamp '{synced}', true)")


def push(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    command = which("inventory-push")
    needs("inventory-push is not installed: run scripts/setup.sh", available=command is not None)
    env = {"PATH": str(Path(command).parent), "INVENTORY_PUSH_PATH": str(tmp_path / "warehouse.duckdb")}
    return subprocess.run([command], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_refused_push_is_one_alert_until_a_run_is_not_refused(tmp_path) -> None:
    execute = duck(tmp_path / "warehouse.duckdb")
    contract_marts.build(execute, date.today())
    for table in ("fct_inventory_discrepancies", "fct_oversell_risk", "fct_inventory_anomalies"):
        execute(f"delete from analytics.{table}")  # only the push is news here
    with smtp_server(USER, PASSWORD) as smtp, webhook_server() as webhook:
        env = alerts_env(tmp_path, smtp, webhook)
        proc = send(env)
        assert not smtp.mails and "0 push refused" not in proc.stderr  # no push has run: nothing to read

        write_plan(execute, timedelta(hours=3))
        refused = push(tmp_path)
        assert refused.returncode == 3, refused.stderr
        line = refused.stderr.strip()
        assert len(line.splitlines()) == 1 and "the system of record's data is 180 minutes old" in line
        send(env)
        assert len(smtp.mails) == 1 and len(webhook.payloads) == 1
        mail = smtp.mails[0]
        assert mail.subject == "Inventory alerts: 1 new"
        guard = line.removeprefix("inventory-push: refused, nothing written: ")
        assert (f"Push refused (1)\r\n    - the push was refused, nothing was written to any channel: {guard}"
                in mail.body)
        assert guard in webhook.payloads[0]["text"]

        write_plan(execute, timedelta(hours=4))  # refused again, by the same guard with another age: not news
        assert push(tmp_path).returncode == 3
        proc = send(env)
        assert len(smtp.mails) == 1 and "nothing new, changed or resolved" in proc.stderr

        write_plan(execute, timedelta(minutes=1))  # the record synced again: the (dry) run is not refused
        fixed = push(tmp_path)
        assert fixed.returncode == 0, fixed.stderr
        send(env)
        assert len(smtp.mails) == 2
        assert smtp.mails[1].subject == "Inventory alerts: 1 resolved"
        assert "the push was refused" in smtp.mails[1].body
