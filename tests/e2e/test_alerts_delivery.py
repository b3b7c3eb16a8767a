"""Alerts delivered for real: a warehouse with the mart contract's tables and known problems, the
`inventory-alerts` command, an SMTP server and a Slack-style webhook receiver on loopback.

What a person would check: the message arrives once with every problem named, the next run is silent, a fix
sends one "resolved" message, a changed quantity is news, a failing receiver is retried and logged without
failing the run (and without printing the webhook URL, which is the secret).
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
from datetime import date
from pathlib import Path

import duckdb
from conftest import needs_module, needs, which
from support import contract_marts
from support.alert_receivers import smtp_server, webhook_server

needs_module("aiosmtpd", "aiosmtpd is not installed: run scripts/setup.sh")

USER, PASSWORD = "alerts-bot", "s3cret-smtp-pass"
RECIPIENTS = ["ops@example.test", "buyer@example.test"]


def alerts_env(tmp_path: Path, smtp, webhook, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_ALERTS_")}
    env.update(
        WAREHOUSE_PATH=str(tmp_path / "warehouse.duckdb"),
        INVENTORY_ALERTS_FRESHNESS_RESULTS=str(tmp_path / "sources.json"),
        INVENTORY_ALERTS_SMTP_HOST=smtp.host, INVENTORY_ALERTS_SMTP_PORT=str(smtp.port),
        INVENTORY_ALERTS_SMTP_TLS="none", INVENTORY_ALERTS_SMTP_USER=USER, INVENTORY_ALERTS_SMTP_PASSWORD=PASSWORD,
        INVENTORY_ALERTS_EMAIL_FROM="inventory@example.test", INVENTORY_ALERTS_EMAIL_TO=",".join(RECIPIENTS),
        INVENTORY_ALERTS_WEBHOOK_URL=webhook.url, INVENTORY_ALERTS_RETRY_WAIT_SECONDS="0.1",
    )
    env.update(extra)
    return env


def send(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = which("inventory-alerts")
    needs("inventory-alerts is not installed: run scripts/setup.sh", available=command is not None)
    proc = subprocess.run([command], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert PASSWORD not in proc.stderr
    return proc


def duck(path: Path):
    def execute(sql: str) -> None:
        with duckdb.connect(str(path)) as con:
            con.execute(sql)
    return execute


def test_alerts_arrive_once_then_changed_then_resolved(tmp_path) -> None:
    execute = duck(tmp_path / "warehouse.duckdb")
    contract_marts.build(execute, date.today())
    contract_marts.freshness_results(tmp_path / "sources.json", stale=True)
    with smtp_server(USER, PASSWORD) as smtp, webhook_server() as webhook:
        env = alerts_env(tmp_path, smtp, webhook)

        # 1. The seeded problems: one email to every recipient, one webhook post, each naming all of them.
        send(env)
        assert len(smtp.mails) == 1 and len(webhook.payloads) == 1
        mail = smtp.mails[0]
        assert mail.login == USER
        assert sorted(mail.rcpt_tos) == sorted(RECIPIENTS)
        assert mail.message["To"] == ", ".join(RECIPIENTS)
        assert mail.mail_from == "inventory@example.test"
        problems = len(contract_marts.DISCREPANT) + len(contract_marts.OVERSELL) + len(contract_marts.ANOMALIES) + 1
        assert mail.subject == f"Inventory alerts: {problems} new"
        text = webhook.payloads[0]["text"]
        for sku, channel, store, sellable, record in contract_marts.DISCREPANT:
            line = f"{sku} on {channel}/{store}: sells {sellable}, system of record magento/demo-store has {record}"
            assert line in mail.body and line in text
        for sku, channel, store, *_ in contract_marts.OVERSELL:
            assert f"{sku} on {channel}/{store}" in mail.body
        assert "SKU-TEAL-4 at magento/demo-store location src-2: negative stock -3" in mail.body
        assert "SKU-GOLD-5 at shopify/demo-store location 11: moved from 12 to 480" in mail.body
        assert "source magento: no completed sync for 9.0 h" in mail.body
        assert "source shopify" not in mail.body  # fresh sources are not news

        # 2. Same conditions on the next run: nothing is sent.
        proc = send(env)
        assert len(smtp.mails) == 1 and len(webhook.payloads) == 1
        assert "nothing new, changed or resolved" in proc.stderr

        # 3. A discrepancy is fixed, an oversell risk grows, Magento is synced again.
        execute("update analytics.fct_inventory_discrepancies set sellable_quantity = 7, difference = 0, "
                "is_discrepancy = false where sku = 'SKU-BLUE-2'")
        execute("update analytics.fct_oversell_risk set sellable_quantity = 15, excess_units = 6 where sku = 'SKU-RED-1'")
        contract_marts.freshness_results(tmp_path / "sources.json", stale=False)
        send(env)
        assert len(smtp.mails) == 2 and len(webhook.payloads) == 2
        mail = smtp.mails[1]
        assert mail.subject == "Inventory alerts: 1 changed, 2 resolved"
        changed, resolved = mail.body.split("RESOLVED (2)")
        assert "SKU-RED-1 on shopify/demo-store sells more than the system of record holds: sellable 15" in changed
        assert "SKU-BLUE-2 on bigcommerce/demostore" in resolved
        assert "source magento: no completed sync" in resolved
        assert "SKU-BLUE-2" in webhook.payloads[1]["text"]

        # 4. And the resolved ones are not resolved again.
        send(env)
        assert len(smtp.mails) == 2 and len(webhook.payloads) == 2

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        events = con.execute("select destination, event, count(*) from alerts.sent_alerts group by all order by all").fetchall()
    assert events == [("email", "changed", 1), ("email", "new", problems), ("email", "resolved", 2),
                      ("webhook", "changed", 1), ("webhook", "new", problems), ("webhook", "resolved", 2)]


def test_failed_send_is_retried_logged_and_never_fails_the_run(tmp_path) -> None:
    execute = duck(tmp_path / "warehouse.duckdb")
    contract_marts.build(execute, date.today())
    with smtp_server(USER, PASSWORD) as smtp, webhook_server() as webhook:
        webhook.fail_next = 10
        proc = send(alerts_env(tmp_path, smtp, webhook, INVENTORY_ALERTS_SEND_RETRIES="3"))
        assert webhook.attempts == 3 and not webhook.payloads
        assert "alerts: webhook failed (attempt 1 of 3): HTTP 500" in proc.stderr
        assert "attempt 3 of 3): HTTP 500 Internal Server Error; giving up until the next run" in proc.stderr
        assert webhook.url not in proc.stderr and "secret-token" not in proc.stderr
        assert len(smtp.mails) == 1  # the other destination is not held back

        # The receiver is back: the webhook gets what it missed, email is not repeated.
        webhook.fail_next = 0
        send(alerts_env(tmp_path, smtp, webhook))
        assert len(webhook.payloads) == 1 and "SKU-RED-1" in webhook.payloads[0]["text"]
        assert len(smtp.mails) == 1

    # Nobody listening at all: still exit 0, one clear line per attempt.
    env = alerts_env(tmp_path, smtp, webhook, INVENTORY_ALERTS_SEND_RETRIES="2")
    execute("update analytics.fct_oversell_risk set excess_units = 5 where sku = 'SKU-RED-1'")
    proc = send(env)
    assert "alerts: email to ops@example.test, buyer@example.test failed (attempt 2 of 2): ConnectionRefusedError" in proc.stderr


def test_missing_marts_and_freshness_skip_without_resolving(tmp_path) -> None:
    execute = duck(tmp_path / "warehouse.duckdb")
    contract_marts.build(execute, date.today())
    with smtp_server(USER, PASSWORD) as smtp, webhook_server() as webhook:
        env = alerts_env(tmp_path, smtp, webhook)
        send(env)
        assert len(smtp.mails) == 1
        execute("drop table analytics.fct_oversell_risk")
        proc = send(env)
        assert "analytics.fct_oversell_risk is missing (run dbt build); Oversell risk skipped" in proc.stderr
        assert "no source-freshness results" in proc.stderr
        assert len(smtp.mails) == 1  # an unreadable mart resolves nothing


def test_bad_setting_is_one_line_and_no_warehouse_exits_2(tmp_path) -> None:
    command = which("inventory-alerts")
    needs("inventory-alerts is not installed: run scripts/setup.sh", available=command is not None)
    env = {**os.environ, "WAREHOUSE_PATH": str(tmp_path / "absent.duckdb"), "INVENTORY_ALERTS_SMTP_TLS": "maybe"}
    proc = subprocess.run([command], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "alerts: INVENTORY_ALERTS_SMTP_TLS must be starttls, ssl or none, got 'maybe'"
    env.pop("INVENTORY_ALERTS_SMTP_TLS")
    proc = subprocess.run([command], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "no DuckDB warehouse at" in proc.stderr


def test_postgres_warehouse_remembers_what_was_sent(tmp_path, database) -> None:
    import psycopg

    with psycopg.connect(**database.params(), autocommit=True) as con:
        contract_marts.build(lambda sql: con.execute(sql), date.today())
    with smtp_server(USER, PASSWORD) as smtp, webhook_server() as webhook:
        pg = database.env()
        env = alerts_env(tmp_path, smtp, webhook, INVENTORY_ALERTS_WAREHOUSE="postgres",
                         **{k: pg[k] for k in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")})
        send(env)
        send(env)
        assert len(smtp.mails) == 1 and len(webhook.payloads) == 1
        assert "SKU-RED-1" in smtp.mails[0].body
        with psycopg.connect(**database.params()) as con:
            con.execute("delete from analytics.fct_oversell_risk where sku = 'SKU-GREEN-3'")
            con.commit()
        send(env)
        assert smtp.mails[1].subject == "Inventory alerts: 1 resolved"


def test_starttls_is_verified_before_the_password_is_sent(tmp_path) -> None:
    openssl = which("openssl")
    needs("openssl is not installed", available=openssl is not None)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    contract_marts.build(duck(tmp_path / "warehouse.duckdb"), date.today())
    with smtp_server(USER, PASSWORD, tls=server_tls) as smtp, webhook_server() as webhook:
        base = {"INVENTORY_ALERTS_SMTP_TLS": "starttls", "INVENTORY_ALERTS_WEBHOOK_URL": "",
                "INVENTORY_ALERTS_SEND_RETRIES": "1"}
        # A certificate nobody vouches for: refused, logged, nothing sent, the run still exits 0.
        proc = send(alerts_env(tmp_path, smtp, webhook, **base))
        assert "CERTIFICATE_VERIFY_FAILED" in proc.stderr and not smtp.mails
        # Trusted through smtp_ca_file: STARTTLS, then AUTH, then the message.
        send(alerts_env(tmp_path, smtp, webhook, **base, INVENTORY_ALERTS_SMTP_CA_FILE=str(cert)))
        assert len(smtp.mails) == 1 and smtp.mails[0].login == USER


def test_a_source_down_and_a_wrong_record_store_are_one_alert_each(tmp_path) -> None:
    """inventory-sync's status names a failed source with its error line: one "Source down" alert, resolved when
    the source loads again. A record store id that names no store is one condition, not a discrepancy per SKU."""
    execute = duck(tmp_path / "warehouse.duckdb")
    contract_marts.build(execute, date.today())
    execute("delete from analytics.fct_inventory_discrepancies")
    execute("delete from analytics.fct_oversell_risk")
    execute("delete from analytics.fct_inventory_anomalies")
    execute("update analytics.mart_system_of_record set record_store_id = 'typo', record_skus = 0, status = 'no_rows'")
    line = "Shopify rejected the access token (HTTP 401) for store demo-store: check access_token"
    status = tmp_path / "run-status.json"

    def write_status(failed: bool) -> None:
        sources = [{"name": f"tap-{c}-inventory", "channel": c, "store": s, "status": "ok", "error": ""}
                   for c, s in contract_marts.STORES]
        if failed:
            sources[0].update(status="failed", error=line)
        status.write_text(json.dumps({"sources": sources, "steps": [{"name": "dbt build", "status": "ok"}]}))

    with smtp_server(USER, PASSWORD) as smtp, webhook_server() as webhook:
        env = alerts_env(tmp_path, smtp, webhook, INVENTORY_ALERTS_RUN_STATUS=str(status))
        write_status(failed=True)
        send(env)
        mail = smtp.mails[0]
        assert mail.subject == "Inventory alerts: 2 new"
        assert f"Source down (1)\r\n    - shopify/demo-store did not load (tap-shopify-inventory): {line}" in mail.body
        assert ("the system of record magento/typo has no SKUs in the mart, so nothing is compared and no discrepancy "
                "is alerted: check INVENTORY_RECORD_STORE_ID (the mart holds bigcommerce/demostore, magento/demo-store, "
                "shopify/demo-store)") in mail.body
        write_status(failed=False)
        send(env)
        assert smtp.mails[1].subject == "Inventory alerts: 1 resolved"
        assert "shopify/demo-store did not load" in smtp.mails[1].body
        status.unlink()  # no status to read (alerts run on their own): nothing is resolved or raised from it
        proc = send(env)
        assert len(smtp.mails) == 2 and "no inventory-sync status at" in proc.stderr
