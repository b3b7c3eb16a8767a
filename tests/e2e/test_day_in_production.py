"""The first day in production, as a merchant's data engineer lives it, on the shared-catalog sandbox stores with
the scheduled pass (`inventory-sync`), a real SMTP server and the DuckDB warehouse. The clock is shifted (the
warehouse's sync times moved back), never slept.

1. Two quiet hours: nobody edits a product, so the item tables do not change; the pass stays green, freshness
   passes (it is measured on completed syncs) and the alerts run without a stale-source alert.
2. A wrong Shopify token: BigCommerce and Magento still load, dbt builds, one "Source down" alert names the
   tap's error line, and the pass exits non-zero; the fixed token resolves it.
3. The demo, then the same plugins on real stores: the real store's first pass reads everything (no demo bookmark).
A crash (kill -9) and the next pass starting at once: tests/reliability/test_concurrency.py. Unknown settings:
each tap's own tests and tests/reliability/test_bad_config.py.
"""

from __future__ import annotations

import re

import duckdb
from conftest import needs_module, run_sync
from support.alert_receivers import smtp_server
from support.shared_catalog import shared_catalog, tap_env

needs_module("inventory_sandbox", "the sandbox package is not installed: run scripts/setup.sh")
needs_module("aiosmtpd", "aiosmtpd is not installed: run scripts/setup.sh")

ITEMS = 30
TIMES = ("synced_at", "run_started_at", "finished_at", "_sdc_batched_at", "_sdc_extracted_at")


def shift_back(warehouse: str, hours: int) -> None:
    """Move every sync time of the raw tables back: as if the last pass had run `hours` ago."""
    with duckdb.connect(warehouse) as con:
        tables = con.execute("select table_schema, table_name, column_name from information_schema.columns "
                             "where table_schema like 'raw_%'").fetchall()
        for schema, table, column in tables:
            if column in TIMES:
                con.execute(f'update {schema}."{table}" set "{column}" = "{column}" - interval {hours} hour')


def synced(output: str, stream: str) -> dict[str, int]:
    """Records each tap said it synced for ``stream`` in a pass's log."""
    return {m[1]: int(m[2]) for m in re.finditer(rf"(tap-\w+-inventory)\S*\s+Synced {stream}: (\d+) records", output)}


def test_quiet_hours_a_source_down_and_its_recovery(meltano_env) -> None:
    with shared_catalog(ITEMS, seed=7) as servers, smtp_server("ops-bot", "smtp-pass") as smtp:
        env = {**tap_env(servers, meltano_env), "INVENTORY_ALERTS_SMTP_HOST": smtp.host,
               "INVENTORY_ALERTS_SMTP_PORT": str(smtp.port), "INVENTORY_ALERTS_SMTP_TLS": "none",
               "INVENTORY_ALERTS_SMTP_USER": "ops-bot", "INVENTORY_ALERTS_SMTP_PASSWORD": "smtp-pass",
               "INVENTORY_ALERTS_EMAIL_TO": "ops@example.test"}
        run_sync(env)
        assert len(smtp.mails) == 1 and "Stale source" not in smtp.mails[0].body  # the seeded cases, nothing stale

        # 1. Two hours pass without a product edit (the last sync was two hours ago): the pass stays green.
        shift_back(env["WAREHOUSE_PATH"], hours=2)
        quiet = run_sync(env)
        assert synced(quiet.stderr, "inventory_items")["tap-shopify-inventory"] == 0  # nothing edited, nothing read
        last = quiet.stderr.strip().splitlines()[-1]
        assert "all ok" in last and "freshness ok; alerts ok" in last, last
        assert len(smtp.mails) == 1, [m.subject for m in smtp.mails]  # no false stale-source alert

        # 2. A wrong Shopify token: the other channels load, the mart is rebuilt, one alert says why, exit 1.
        before = {c: newest_run(env["WAREHOUSE_PATH"], c) for c in ("shopify", "bigcommerce", "magento")}
        broken = run_sync({**env, "TAP_SHOPIFY_INVENTORY_ACCESS_TOKEN": "shpat_wrong"}, check=False)
        assert broken.returncode == 1, broken.stderr[-3000:]
        line = "Shopify rejected the access token (HTTP 401) for store demo-store: check access_token"
        last = broken.stderr.strip().splitlines()[-1]
        assert " ERROR inventory-sync: " in last and f"shopify demo-store FAILED: {line}" in last, last
        assert "dbt build ok; freshness ok; alerts ok" in last, last
        after = {c: newest_run(env["WAREHOUSE_PATH"], c) for c in before}
        assert after["shopify"] == before["shopify"]
        assert after["bigcommerce"] > before["bigcommerce"] and after["magento"] > before["magento"]
        assert len(smtp.mails) == 2 and smtp.mails[1].subject == "Inventory alerts: 1 new"
        assert f"shopify/demo-store did not load (tap-shopify-inventory): {line}" in smtp.mails[1].body

        # ... and the next pass with the right token resolves it.
        run_sync(env)
        assert len(smtp.mails) == 3 and smtp.mails[2].subject == "Inventory alerts: 1 resolved"


def newest_run(warehouse: str, channel: str):
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute(f"select max(finished_at) from raw_{channel}.sync_runs").fetchone()[0]


def test_the_demo_leaves_no_bookmark_for_real_stores(meltano_env) -> None:
    with shared_catalog(ITEMS, seed=7) as servers:
        env = {**tap_env(servers, meltano_env), "INVENTORY_CHANNELS": "shopify"}
        truth = len(servers["shopify"].truth()["inventory_items"])
        demo = run_sync({**env, "MELTANO_ENVIRONMENT": "demo"})
        assert synced(demo.stderr, "inventory_items") == {"tap-shopify-inventory": truth}
        again = run_sync({**env, "MELTANO_ENVIRONMENT": "demo"})  # the demo's own bookmark works
        assert synced(again.stderr, "inventory_items") == {"tap-shopify-inventory": 0}
        # The same plugin, now in the environment of real use: a full first sync, not the demo's bookmark. (Another
        # store in the same environment is another state id too: runner/tests/test_runner.py.)
        real = run_sync(env)
        assert synced(real.stderr, "inventory_items") == {"tap-shopify-inventory": truth}
