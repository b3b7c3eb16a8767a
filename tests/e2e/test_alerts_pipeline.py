"""The job a user schedules, end to end, with alerts: three shared-catalog sandbox stores with seeded problems
(discrepancies, oversell risks, anomalies), the scheduled pass `inventory-sync` (taps -> DuckDB -> dbt build ->
dbt source freshness -> inventory-alerts), a real SMTP server and webhook receiver on loopback.

The first run tells both receivers about every seeded problem once; running the alerts again tells nothing;
a fix at the store, synced again, is one "resolved" message and nothing else is repeated.
"""

from __future__ import annotations

from conftest import IN_CI, needs_module, run_meltano, run_sync
from support.alert_receivers import smtp_server, webhook_server
from support.shared_catalog import (
    ANOMALY_KINDS,
    DISCREPANCY_KINDS,
    RISK_KINDS,
    seeded_cases,
    shared_catalog,
    tap_env,
)

needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")
needs_module("aiosmtpd", "aiosmtpd is not installed: run scripts/setup.sh")

ITEMS = 40 if IN_CI else 80
USER, PASSWORD = "alerts-bot", "pipeline-smtp-pass"


def expected_line(case: dict) -> str:
    """How the alert names a seeded case (inventory_alerts.conditions words it)."""
    where = f"{case['channel']}/{case['store_id']}"
    return {
        "discrepancy": f"{case['sku']} on {where}: sells",
        "above_system_of_record": f"{case['sku']} on {where} sells more than the system of record holds",
        "continue_with_nothing_available": f"{case['sku']} on {where} keeps selling",
        "negative_stock": f"{case['sku']} at {where} location {case.get('location_id')}: negative stock {case['quantity']}",
        "tracked_without_levels": f"{case['sku']} at {where}: tracked but stocked at no location",
        "abnormal_change": f"{case['sku']} at {where}",
    }[case["kind"]]


def expected_conditions(cases: list[dict]) -> int:
    """Conditions the seeded cases must raise, from the scenario alone: one per discrepancy, per oversell
    risk and per anomaly (a channel above the record is both a discrepancy and a risk)."""
    return sum((c["kind"] in DISCREPANCY_KINDS) + (c["kind"] in RISK_KINDS) + (c["kind"] in ANOMALY_KINDS)
               for c in cases)


def test_inventory_sync_alerts_once_and_resolves_after_a_fix(meltano_env) -> None:
    with shared_catalog(ITEMS, seed=7) as servers, smtp_server(USER, PASSWORD) as smtp, webhook_server() as webhook:
        cases = seeded_cases(servers)
        assert cases, "the shared catalog seeds problems"
        env = {**tap_env(servers, meltano_env),
               "INVENTORY_ALERTS_SMTP_HOST": smtp.host, "INVENTORY_ALERTS_SMTP_PORT": str(smtp.port),
               "INVENTORY_ALERTS_SMTP_TLS": "none", "INVENTORY_ALERTS_SMTP_USER": USER,
               "INVENTORY_ALERTS_SMTP_PASSWORD": PASSWORD, "INVENTORY_ALERTS_EMAIL_TO": "ops@example.test",
               "INVENTORY_ALERTS_WEBHOOK_URL": webhook.url}

        # 1. The job: every seeded problem in one email and one webhook message.
        run_sync(env)
        assert len(smtp.mails) == 1 and len(webhook.payloads) == 1
        mail = smtp.mails[0]
        assert mail.rcpt_tos == ["ops@example.test"] and mail.login == USER
        # Every source was loaded a moment ago: nothing is stale, so the seeded cases are all there is.
        assert "Stale source" not in mail.body
        assert mail.subject == f"Inventory alerts: {expected_conditions(cases)} new"
        for case in cases:
            assert expected_line(case) in mail.body, case
            assert expected_line(case) in webhook.payloads[0]["text"], case

        # 2. Nothing changed: the alerts step sends nothing.
        run_meltano(env, "run", "inventory-alerts")
        assert len(smtp.mails) == 1 and len(webhook.payloads) == 1

        # 3. The negative stock is corrected at the store; the next sync of that store resolves it, repeats
        #    nothing. (Only that store's tap runs, and no new freshness check: the job's other steps were proven
        #    in 1 and cost CI time.)
        negative = next(c for c in cases if c["kind"] == "negative_stock")
        store = servers[negative["channel"]]
        key = "variant_id" if negative["channel"] == "bigcommerce" else "inventory_item_id"
        store.post("stock", set=[{key: negative["inventory_item_id"], "location_id": negative["location_id"],
                                  "quantities": {"available": 4}}])
        run_meltano(env, "run", f"tap-{negative['channel']}-inventory", "target-duckdb", "dbt-duckdb:build",
                    "inventory-alerts")
        assert len(smtp.mails) == 2 and len(webhook.payloads) == 2
        mail = smtp.mails[1]
        assert "resolved" in mail.subject and "new" not in mail.subject, mail.subject
        assert expected_line(negative) in mail.body.split("RESOLVED")[1]
        for case in cases:
            if case is not negative:
                assert case["sku"] not in mail.body, f"repeated: {case}"
