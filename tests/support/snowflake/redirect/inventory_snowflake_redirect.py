"""Test support only: send every Snowflake connection of this process to the emulator.

emulator.py drops a one-line `inventory_snowflake_redirect.pth` into the site-packages of the target-snowflake,
dbt-snowflake and warehouse-check venvs for the duration of the Snowflake tests (Meltano strips PYTHONPATH
from plugin processes), so Python imports this module at start-up there. It does nothing unless
INVENTORY_SNOWFLAKE_EMULATOR_URL is set (e.g. http://127.0.0.1:PORT) and the process has
snowflake-connector-python; then it overrides host, port and protocol of every `SnowflakeConnection`, which
is all target-snowflake lacks a setting for (it always dials https://<account>.snowflakecomputing.com),
and bounds login and network timeouts where the caller set none.
Everything else (account, user, password, database, SQL, PUT uploads) goes through unchanged.
"""

import os

_url = os.environ.get("INVENTORY_SNOWFLAKE_EMULATOR_URL")
if _url:
    import importlib.util

    if importlib.util.find_spec("snowflake") is not None and importlib.util.find_spec("snowflake.connector"):
        from urllib.parse import urlsplit

        import snowflake.connector.connection as _connection

        _parts = urlsplit(_url)
        _original_init = _connection.SnowflakeConnection.__init__

        def _init_via_emulator(self, *args, **kwargs):
            kwargs.update(host=_parts.hostname, port=_parts.port, protocol=_parts.scheme)
            # The connector retries an HTTP 500 for many minutes; an emulator bug should fail a test instead.
            kwargs.setdefault("login_timeout", 30)
            kwargs.setdefault("network_timeout", 120)
            _original_init(self, *args, **kwargs)

        _connection.SnowflakeConnection.__init__ = _init_via_emulator
